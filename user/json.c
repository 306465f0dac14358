// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
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

/* ---- the reader ---- */

static void ws(struct nb_jread *p)
{
	while (p->s < p->e && isspace((unsigned char)*p->s))
		p->s++;
}

bool nb_jread_char(struct nb_jread *p, char c)
{
	ws(p);
	if (p->s < p->e && *p->s == c) {
		p->s++;
		return true;
	}
	return false;
}

bool nb_jread_str(struct nb_jread *p, char *out, size_t len)
{
	size_t o = 0;

	if (!nb_jread_char(p, '"'))
		return false;
	while (p->s < p->e && *p->s != '"') {
		char c = *p->s++;

		if (c == '\\' && p->s < p->e) {
			c = *p->s++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				unsigned int v = 0;

				if (p->e - p->s < 4 || sscanf(p->s, "%4x", &v) != 1)
					return false;
				p->s += 4;
				c = v && v < 0x80 ? (char)v : '?';
				break;
			}
			default: break;	/* " \ / */
			}
		}
		if (out && o + 1 < len)
			out[o++] = c;
	}
	if (out && len)
		out[o] = '\0';
	if (p->s >= p->e)
		return false;
	p->s++;
	return true;
}

static bool skip(struct nb_jread *p, int depth)
{
	ws(p);
	if (p->s >= p->e || depth > 64)
		return false;
	if (*p->s == '"')
		return nb_jread_str(p, NULL, 0);
	if (*p->s == '{' || *p->s == '[') {
		char close = *p->s == '{' ? '}' : ']';
		bool obj = close == '}';

		p->s++;
		if (nb_jread_char(p, close))
			return true;
		do {
			if (obj && (!nb_jread_str(p, NULL, 0) || !nb_jread_char(p, ':')))
				return false;
			if (!skip(p, depth + 1))
				return false;
		} while (nb_jread_char(p, ','));
		return nb_jread_char(p, close);
	}
	while (p->s < p->e && !strchr(",]}", *p->s) && !isspace((unsigned char)*p->s))
		p->s++;
	return true;
}

bool nb_jread_skip(struct nb_jread *p)
{
	return skip(p, 0);
}
