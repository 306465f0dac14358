/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A small JSON writer: one object per line, strings escaped (command names
 * and cgroup paths are user-controlled); and a small reader, just enough
 * for the container runtimes' files (container.c). */
#ifndef NB_JSON_H
#define NB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct nb_json {
	FILE *f;
	int nfields;
};

void nb_json_escape(FILE *f, const char *s);
void nb_json_begin(struct nb_json *j, FILE *f);	/* { */
void nb_json_end(struct nb_json *j);		/* }\n */
void nb_json_str(struct nb_json *j, const char *name, const char *v);
void nb_json_u64(struct nb_json *j, const char *name, uint64_t v);
void nb_json_i64(struct nb_json *j, const char *name, int64_t v);
void nb_json_double(struct nb_json *j, const char *name, double v, int decimals);
void nb_json_bool(struct nb_json *j, const char *name, bool v);
/* Nested object or array as the value of 'name' (NULL inside an array). */
void nb_json_open(struct nb_json *j, const char *name, char bracket);
void nb_json_close(struct nb_json *j, char bracket);

/*
 * The reader: s moves through the text up to e. Each function skips white
 * space first, and returns false on anything it did not expect.
 */
struct nb_jread {
	const char *s, *e;
};

/* The character c, taken when it comes next. */
bool nb_jread_char(struct nb_jread *p, char c);
/* A string into out (NULL: skip it; truncated to len; \u escapes outside
 * ASCII become '?'). */
bool nb_jread_str(struct nb_jread *p, char *out, size_t len);
/* Any one value, nested up to 64 deep. */
bool nb_jread_skip(struct nb_jread *p);

#endif
