/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NB_DOCTOR_H
#define NB_DOCTOR_H

#include "opts.h"

/* Probe this kernel for real and report; returns the exit status
 * (0 netbpf can run here, 1 it cannot). */
int nb_doctor(const struct nb_opts *o);

#endif
