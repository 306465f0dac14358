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
/* The capabilities netbpf lacks among those it needs (loading: CAP_BPF and
 * CAP_PERFMON, or CAP_SYS_ADMIN on kernels before 5.8; attaching to
 * interfaces: CAP_NET_ADMIN), as "CAP_BPF, CAP_NET_ADMIN" in buf, for the
 * capability set caps; cap_last_cap is the kernel's highest capability.
 * Returns how many are missing. */
int nb_missing_caps(unsigned long long caps, int cap_last_cap, char *buf, size_t len);
/* The kernel's highest capability number (/proc/sys/kernel/cap_last_cap). */
int nb_cap_last(void);

#endif
