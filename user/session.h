/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A running netbpf: the socket programs (loader.c), the TC counters
 * (tc.c), the collector, the traced pids and the signals. Front ends (trace,
 * top) each run their own loop on it: wait, poll, show.
 */
#ifndef NB_SESSION_H
#define NB_SESSION_H

#include <poll.h>
#include <signal.h>
#include "collector.h"
#include "loader.h"
#include "opts.h"
#include "tc.h"

struct nb_session {
	const struct nb_opts *o;
	struct nb_loader loader;
	struct nb_tc *tc;
	struct nb_collector c;
	int pidfds[NB_MAX_PIDS];
	int npids_alive;
	double next;	/* monotonic deadline of the current interval */
};

enum nb_wake {
	NB_WAKE_INTERVAL,	/* the interval is over: poll and show */
	NB_WAKE_FD,		/* the caller's fd is readable (a key in top) */
	NB_WAKE_PIDS_GONE,	/* every traced pid has exited */
	NB_WAKE_SIGNAL,		/* SIGINT or SIGTERM */
	NB_WAKE_RESIZE,		/* SIGWINCH */
};

/* Check the pids, load and attach everything. Prints the one-line error
 * itself; returns 0, or the exit status (1 or 2). */
int nb_session_open(struct nb_session *s, const struct nb_opts *o);
/* Wait for the end of the interval, handling interface events meanwhile.
 * extra_fd (or -1) is polled too. */
enum nb_wake nb_session_wait(struct nb_session *s, int extra_fd);
/* Read the maps and end an interval. 0, or prints the error and returns 1. */
int nb_session_poll(struct nb_session *s);
/*
 * A front end, as the one run loop sees it. After every poll it gets the
 * collector, whose table is the interval's snapshot: read it, never
 * change it, and touch no map. Each callback returns 0 to go on,
 * NB_RUN_STOP to end normally, or an exit status (1) to end with it.
 */
#define NB_RUN_STOP (-1)

struct nb_frontend {
	void *ctx;
	int fd;		/* polled too (top's keyboard), or -1; may change */
	int (*interval)(void *ctx, const struct nb_collector *c);
	int (*input)(void *ctx);	/* fd readable */
	void (*resize)(void *ctx);	/* SIGWINCH */
	/* say on stderr when updates are lost (trace, serve); top shows
	 * them in its header and says them at exit */
	bool warn_lost;
	/* on a signal or when the --pid processes are gone, read the maps
	 * once more and show it (trace's summary must be exact) */
	bool final_poll;
};

/* The warning line for lost updates, when they grew past *said. */
void nb_session_warn_lost(struct nb_session *s, uint64_t *said);
/* The one run loop: wait for the interval, poll, show; until a signal,
 * --count intervals, the --pid processes' exit or the front end says
 * stop. Returns the exit status (0 or 1). */
int nb_session_run(struct nb_session *s, struct nb_frontend *fe);
/* Detach everything; safe on a half-open session. */
void nb_session_close(struct nb_session *s);
/* Set by the signal handlers. */
extern volatile sig_atomic_t nb_exiting, nb_resized;

#endif
