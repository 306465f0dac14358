/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Capabilities of the calling thread. On Linux the effective, permitted,
 * inheritable, ambient and bounding sets all belong to a thread, and a new
 * thread starts with a copy of its creator's: so netbpf serve starts its
 * HTTP threads from a thread that has dropped everything first.
 */
#ifndef NB_CAPS_H
#define NB_CAPS_H

#include <stddef.h>
#include <stdint.h>

#define NB_CAPBIT(c) (1ull << (c))

/* This thread's permitted set as a bit mask (bit N: capability N). */
uint64_t nb_caps_permitted(void);
/* Remove from this thread's bounding set every capability not in keep.
 * Needs CAP_SETPCAP: returns -EPERM without it, having changed nothing. */
int nb_caps_bound(uint64_t keep);
/* Reduce this thread to keep (as far as it has them) in the effective and
 * permitted sets; inheritable and ambient become empty, and
 * no_new_privs is set. 0 or -errno. */
int nb_caps_limit(uint64_t keep);
/* "cap_net_admin,cap_bpf" for a mask ("none" for 0). */
void nb_caps_names(uint64_t mask, char *buf, size_t len);

/* What netbpf needs, and what it lacks (doctor, and netbpf's errors). */
#define NB_CAP_NET_ADMIN 12
#define NB_CAP_SYS_ADMIN 21
#define NB_CAP_PERFMON 38
#define NB_CAP_BPF 39
/* Effective capability bits of this process, from /proc/self/status. */
unsigned long long nb_cap_effective(void);
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
