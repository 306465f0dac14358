/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The kprobe rung's return programs, attached through tracefs with room
 * for NB_KRETPROBE_MAXACTIVE tasks inside each function at once. */
#ifndef NB_KRETPROBE_H
#define NB_KRETPROBE_H

#include <bpf/libbpf.h>

/* tasks inside one function at once (the kernel allows up to 4096);
 * each costs a few bytes, and on Linux 6.7+ (objpool) a pointer per CPU */
#define NB_KRETPROBE_MAXACTIVE	1024
#define NB_MAX_KRETPROBES	16

struct nb_kretprobes {
	int n;				/* events created */
	char event[NB_MAX_KRETPROBES][64];
};

/* Leave the "kretprobe/" programs out of the skeleton's attach. */
void nb_kretprobes_no_autoattach(struct bpf_object *obj);
/* Attach every loaded "kretprobe/" program of the skeleton, its link in
 * the skeleton's place (destroyed with it). 0 or a negative errno; on
 * failure too, nb_kretprobes_remove() after the skeleton is destroyed. */
int nb_kretprobes_attach(struct nb_kretprobes *k, const struct bpf_object_skeleton *sk);
/* Remove the events, once nothing is attached to them any more. */
void nb_kretprobes_remove(struct nb_kretprobes *k);

#endif
