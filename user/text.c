// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include "text.h"

int nb_utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	int n;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		goto bad;	/* a continuation byte, 0xc0, 0xc1, 0xf5 and up */
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* the NUL stops here too */
			goto bad;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		goto bad;	/* overlong, a surrogate, beyond Unicode */
	*cp = c;
	return n;
bad:
	*cp = NB_TEXT_BAD;
	return 1;
}

bool nb_text_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

bool nb_text_clean(const char *s)
{
	uint32_t cp;

	while (*s) {
		s += nb_utf8_next(s, &cp);
		if (cp == NB_TEXT_BAD || nb_text_control(cp))
			return false;
	}
	return true;
}

int nb_text_spell(char *e, const char *s, int n, uint32_t cp)
{
	int k = 0;

	if (cp != NB_TEXT_BAD && !nb_text_control(cp)) {
		memcpy(e, s, n);
		return n;
	}
	switch (cp) {
	case '\n': return sprintf(e, "\\n");
	case '\r': return sprintf(e, "\\r");
	case '\t': return sprintf(e, "\\t");
	}
	for (int i = 0; i < n; i++)	/* C1 is two bytes: both shown */
		k += sprintf(e + k, "\\x%02x", (unsigned char)s[i]);
	return k;
}
