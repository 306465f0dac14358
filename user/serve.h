/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NB_SERVE_H
#define NB_SERVE_H

#include "opts.h"

/* netbpf serve: metrics over HTTP until a signal. Returns the exit status. */
int nb_serve_run(const struct nb_opts *o);

#endif
