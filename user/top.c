// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf top: the live full-screen view. Runs the session loop of
 * session.h like trace does and hands each interval and each key to the
 * files of top_int.h: the terminal (top_screen.c), the snapshot and the
 * view's rows (top_view.c), the drawing (top_draw.c), the keys
 * (top_keys.c). Pause keeps polling (counters, histories and the freeing
 * of exited processes' map entries go on) but freezes the snapshot, so
 * keys (sort, views, filter) work on the frozen screen.
 */
#define _GNU_SOURCE
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "top.h"
#include "top_int.h"
#include "errors.h"

/* ---- the run loop's callbacks ---- */

#define NB_RUN_NOMEM 3	/* an exit status of ours: out of memory */

static int redraw(struct top *t)
{
	if (top_build_view(t))
		return NB_RUN_NOMEM;
	top_draw(t);
	return 0;
}

static int top_interval(void *ctx, const struct nb_collector *c)
{
	struct top *t = ctx;

	(void)c;	/* t->s.c: top_update() and top_snapshot() read its table */
	if (top_update(t))
		return NB_RUN_NOMEM;
	return redraw(t);
}

static int top_input(void *ctx)
{
	struct top *t = ctx;
	int ch, nkeys = 0;

	/* KEY_RESIZE is resizeterm()'s own echo of a resize handled already
	 * (top_resize): nothing to do */
	while ((ch = getch()) != ERR) {
		nkeys++;
		if (ch != KEY_RESIZE && top_key(t, ch))
			return NB_RUN_STOP;
	}
	/* readable without keys, again and again: the terminal hung up
	 * (under nohup, say); stop reading it */
	t->idle_wakes = nkeys ? 0 : t->idle_wakes + 1;
	if (t->idle_wakes > 100)
		t->fe.fd = -1;
	return redraw(t);
}

static void top_resize(void *ctx)
{
	top_screen_resize();
	redraw(ctx);
}

int nb_top_run(const struct nb_opts *o)
{
	struct top *t = calloc(1, sizeof(*t));
	int ret;

	if (!t) {
		nb_errline("out of memory");
		return 1;
	}
	ret = nb_session_open(&t->s, o);
	if (ret) {
		free(t);
		return ret;
	}
	t->o = o;
	t->bits = o->bits;
	t->s.c.table.fe_free = nb_rowstate_free;
	nb_rate_clock_init(&t->clock, o->interval);
	t->view = o->by & NB_BY(NB_ROW_PROCESS) ? V_PROC :
		  o->by & NB_BY(NB_ROW_IFACE) ? V_IFACE :
		  o->by & NB_BY(NB_ROW_CGROUP) ? V_CGROUP :
		  o->by & NB_BY(NB_ROW_HOST) ? V_HOST : V_PROC;
	setlocale(LC_ALL, "");
	t->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	ret = top_screen_start(t);
	if (ret)
		goto out;
	top_own_cost(t, nb_mono_now());
	if (top_build_view(t))
		goto nomem;
	top_draw(t);
	t->fe = (struct nb_frontend){
		.ctx = t, .fd = isatty(STDIN_FILENO) ? STDIN_FILENO : -1,
		.interval = top_interval, .input = top_input, .resize = top_resize,
	};
	ret = nb_session_run(&t->s, &t->fe);
	if (ret == NB_RUN_NOMEM)
		goto nomem;
	top_screen_end(t);
	nb_session_warn_lost(&t->s, &(uint64_t){ 0 });
	goto out;
nomem:
	top_screen_end(t);
	nb_errline("out of memory");
	ret = 1;
out:
	nb_session_close(&t->s);
	free(t->snap);
	free(t->rows);
	free(t);
	return ret;
}
