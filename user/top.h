/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* netbpf top: the live full-screen view (ncursesw). */
#ifndef NB_TOP_H
#define NB_TOP_H

#include "opts.h"

/* Run the full-screen view on the terminal until q, a signal, --count or
 * the traced pids' exit. The terminal is restored on every way out.
 * Returns the exit status: 0, or 1 (the error printed as one line). */
int nb_top_run(const struct nb_opts *o);

#endif
