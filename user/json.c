// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include "json.h"

/* Length of the valid UTF-8 sequence at p, or 0. */
static int utf8_len(const unsigned char *p)
{
	int n, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void nb_json_escape(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int n = *p >= 0x80 ? utf8_len(p) : 1;

		if (n == 0) {
			/* a name the kernel cut inside a character, or not
			 * UTF-8 at all: JSON must be valid UTF-8 */
			fputs("\\ufffd", f);
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, f);
			p += n - 1;
			continue;
		}
		switch (*p) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void name(struct nb_json *j, const char *n)
{
	if (j->nfields++)
		fputc(',', j->f);
	if (n) {
		nb_json_escape(j->f, n);
		fputc(':', j->f);
	}
}

void nb_json_begin(struct nb_json *j, FILE *f)
{
	j->f = f;
	j->nfields = 0;
	j->depth = 0;
	fputc('{', f);
}

void nb_json_end(struct nb_json *j)
{
	fputs("}\n", j->f);
}

void nb_json_open(struct nb_json *j, const char *n, char bracket)
{
	name(j, n);
	fputc(bracket, j->f);
	j->nfields = 0;
	j->depth++;
}

void nb_json_close(struct nb_json *j, char bracket)
{
	fputc(bracket, j->f);
	j->nfields = 1;	/* the closed value counts as a field of the parent */
	j->depth--;
}

void nb_json_str(struct nb_json *j, const char *n, const char *v)
{
	name(j, n);
	nb_json_escape(j->f, v ? v : "");
}

void nb_json_u64(struct nb_json *j, const char *n, uint64_t v)
{
	name(j, n);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void nb_json_i64(struct nb_json *j, const char *n, int64_t v)
{
	name(j, n);
	fprintf(j->f, "%lld", (long long)v);
}

void nb_json_double(struct nb_json *j, const char *n, double v, int decimals)
{
	name(j, n);
	if (!isfinite(v))
		v = 0;	/* JSON has no NaN or Infinity */
	fprintf(j->f, "%.*f", decimals, v);
}

void nb_json_bool(struct nb_json *j, const char *n, bool v)
{
	name(j, n);
	fputs(v ? "true" : "false", j->f);
}
