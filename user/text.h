/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Names from other processes (command names, cgroup paths, interface
 * names) are hostile: any bytes, cut by the kernel inside a character,
 * with terminal escapes or newlines in them. This is the one rule that
 * decides what a character is and which ones are unsafe; each output
 * (JSON, Prometheus text, terminal) spells the unsafe ones its own way:
 *
 *   output      invalid UTF-8 byte    control character (C0, DEL, C1)
 *   JSON        \ufffd                \n \t ..., else \u00XX
 *   metrics     U+FFFD                newline as \n, else U+FFFD
 *   terminal    \xNN                  \n \r \t, else \xNN per byte
 *
 * Valid multi-byte UTF-8 is kept as it is everywhere. layout.c's nb_cell
 * is how text output (top, trace) cuts and pads a name with this rule.
 */
#ifndef NB_TEXT_H
#define NB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_TEXT_BAD 0xffffffffu	/* a byte that does not start valid UTF-8 */

/*
 * The character at s (not at its NUL): returns its length in bytes, at
 * least 1, and its code point in *cp; a byte that does not start a valid
 * sequence (a stray continuation byte, a sequence cut short, an overlong
 * form, a surrogate, beyond U+10FFFF) is 1 byte long with *cp NB_TEXT_BAD.
 */
int nb_utf8_next(const char *s, uint32_t *cp);
/* C0 (U+0000 to U+001F), DEL (U+007F) and C1 (U+0080 to U+009F). */
bool nb_text_control(uint32_t cp);
/* True when s is valid UTF-8 without any control character. */
bool nb_text_clean(const char *s);

/* The terminal spelling of one character (n bytes at s, code point cp, as
 * nb_utf8_next gives them) into e, not NUL terminated: the character
 * itself, or its escape. Returns its length, at most NB_TEXT_SPELL_MAX. */
#define NB_TEXT_SPELL_MAX 16
int nb_text_spell(char *e, const char *s, int n, uint32_t cp);

#endif
