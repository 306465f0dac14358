// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one rule for hostile names (text.h): what a character is, which are
 * unsafe, and how the terminal, JSON and the metrics spell them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "json.h"
#include "layout.h"
#include "text.h"

/* Every character of s as "cp/len" with "bad/1" for invalid bytes. */
static char *walk(char *buf, size_t len, const char *s)
{
	size_t used = 0;

	buf[0] = '\0';
	while (*s) {
		uint32_t cp;
		int n = nb_utf8_next(s, &cp);

		if (cp == NB_TEXT_BAD)
			used += snprintf(buf + used, len - used, "bad/%d ", n);
		else
			used += snprintf(buf + used, len - used, "%x/%d ", cp, n);
		s += n;
	}
	return buf;
}

static void test_decode(void **state)
{
	char b[256];

	assert_string_equal(walk(b, sizeof(b), "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
			    "61/1 e9/2 20ac/3 1f600/4 ");
	/* the kernel cut a 16-byte comm inside 'é': a lone lead byte at the end */
	assert_string_equal(walk(b, sizeof(b), "abcdefghijklmn\xc3"), "61/1 62/1 63/1 64/1 65/1 66/1 "
			    "67/1 68/1 69/1 6a/1 6b/1 6c/1 6d/1 6e/1 bad/1 ");
	/* stray continuation, overlong '/', surrogate, beyond U+10FFFF, 0xff */
	assert_string_equal(walk(b, sizeof(b), "\x80"), "bad/1 ");
	assert_string_equal(walk(b, sizeof(b), "\xc0\xaf"), "bad/1 bad/1 ");
	assert_string_equal(walk(b, sizeof(b), "\xe0\x80\xaf"), "bad/1 bad/1 bad/1 ");
	assert_string_equal(walk(b, sizeof(b), "\xed\xa0\x80"), "bad/1 bad/1 bad/1 ");
	assert_string_equal(walk(b, sizeof(b), "\xf4\x90\x80\x80"), "bad/1 bad/1 bad/1 bad/1 ");
	assert_string_equal(walk(b, sizeof(b), "\xff" "a"), "bad/1 61/1 ");
	/* a sequence cut short resynchronises on the next byte */
	assert_string_equal(walk(b, sizeof(b), "\xe2\x82" "a"), "bad/1 bad/1 61/1 ");
}

static void test_control(void **state)
{
	assert_true(nb_text_control(0));
	assert_true(nb_text_control(0x1b));
	assert_true(nb_text_control('\n'));
	assert_true(nb_text_control(0x7f));
	assert_true(nb_text_control(0x80));
	assert_true(nb_text_control(0x9b));	/* C1 CSI */
	assert_false(nb_text_control(' '));
	assert_false(nb_text_control('~'));
	assert_false(nb_text_control(0xa0));
	assert_false(nb_text_control(0xe9));
	assert_true(nb_text_clean("nbgen é €"));
	assert_false(nb_text_clean("a\x1b[2J"));
	assert_false(nb_text_clean("\xc2\x9b"));
	assert_false(nb_text_clean("abc\xc3"));
}

static char *spell_all(char *buf, const char *s)
{
	int used = 0;

	while (*s) {
		uint32_t cp;
		int n = nb_utf8_next(s, &cp);

		used += nb_text_spell(buf + used, s, n, cp);
		s += n;
	}
	buf[used] = '\0';
	return buf;
}

static void test_terminal(void **state)
{
	char b[256];

	/* the retitle-and-clear name of the brief, and a faked row */
	assert_string_equal(spell_all(b, "\x1b]0;PWN\a\x1b[2J"), "\\x1b]0;PWN\\x07\\x1b[2J");
	assert_string_equal(spell_all(b, "a\nb\rc\td"), "a\\nb\\rc\\td");
	assert_string_equal(spell_all(b, "\x7f\xc2\x9b"), "\\x7f\\xc2\\x9b");
	assert_string_equal(spell_all(b, "abcdefghijklmn\xc3"), "abcdefghijklmn\\xc3");
	assert_string_equal(spell_all(b, "caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");
	/* nothing a terminal acts on is left in a cell */
	nb_cell(b, sizeof(b), "\x1b]0;PWN\a\x1b[2J\n\x9b", 60, false, false);
	for (const char *p = b; *p; p++)
		assert_false((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f);
	assert_true(nb_text_clean(b));
}

static void test_json(void **state)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	nb_json_escape(f, "\x1b]0;\"\\\n\xc2\x9b\xc3\xa9\xc3");
	fclose(f);
	assert_string_equal(out, "\"\\u001b]0;\\\"\\\\\\n\\u009b\xc3\xa9\\ufffd\"");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
