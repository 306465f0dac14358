/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* netbpf trace: a block of rows per interval, text or JSON Lines. */
#ifndef NB_TRACE_H
#define NB_TRACE_H

#include <stdio.h>
#include "collector.h"
#include "opts.h"

/* The rows that moved in the last interval, then the total row. */
void nb_trace_interval(FILE *f, const struct nb_collector *c, const struct nb_opts *o);
/* Every row seen since the start, marked summary, then the total row. */
void nb_trace_summary(FILE *f, const struct nb_collector *c, const struct nb_opts *o);

/* netbpf trace: a block per interval until a signal, --count, or the
 * traced pids are gone; then the summary. Returns the exit status. */
int nb_trace_run(const struct nb_opts *o);

#endif
