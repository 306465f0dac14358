/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NB_DOCTOR_H
#define NB_DOCTOR_H

#include "opts.h"

/* Probe this kernel for real and report; returns the exit status
 * (0 netbpf can run here, 1 it cannot). */
int nb_doctor(const struct nb_opts *o);

/* Effective capability bits of this process, from /proc/self/status. */
unsigned long long nb_cap_effective(void);
#define NB_CAP_NET_ADMIN 12
#define NB_CAP_SYS_ADMIN 21
#define NB_CAP_PERFMON 38
#define NB_CAP_BPF 39
/* Can this process load tracing programs (root, or CAP_BPF+CAP_PERFMON)? */
int nb_privileged(void);

#endif
