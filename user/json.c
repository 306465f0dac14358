// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include "json.h"
#include "text.h"

void nb_json_escape(FILE *f, const char *s)
{
	fputc('"', f);
	while (*s) {
		uint32_t cp;
		int n = nb_utf8_next(s, &cp);

		if (cp == NB_TEXT_BAD) {
			/* a name the kernel cut inside a character, or not
			 * UTF-8 at all: JSON must be valid UTF-8 */
			fputs("\\ufffd", f);
		} else if (cp == '"' || cp == '\\') {
			fputc('\\', f);
			fputc((int)cp, f);
		} else if (nb_text_control(cp)) {
			switch (cp) {
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			case '\b': fputs("\\b", f); break;
			case '\f': fputs("\\f", f); break;
			default: fprintf(f, "\\u%04x", (unsigned)cp);
			}
		} else {
			fwrite(s, 1, n, f);
		}
		s += n;
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
}

void nb_json_close(struct nb_json *j, char bracket)
{
	fputc(bracket, j->f);
	j->nfields = 1;	/* the closed value counts as a field of the parent */
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
