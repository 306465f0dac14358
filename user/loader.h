/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Open, probe, load, attach and detach the socket accounting programs. */
#ifndef NB_LOADER_H
#define NB_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kretprobe.h"
#include "netbpf.h"
#include "opts.h"

struct netbpf;	/* the skeleton */

/* The outcome of trying one rung, for doctor and --verbose. */
struct nb_rung_result {
	bool tried;
	bool ok;
	int err;		/* negative errno of the failing step */
	const char *step;	/* "open", "load" or "attach" */
};

struct nb_loader {
	struct netbpf *skel;
	enum nb_backend backend;	/* the rung in use */
	struct nb_rung_result rungs[NB_NBACKENDS];
	int recv_nargs;
	int procs_fd, free_fd, drops_fd, cgnames_fd;
	unsigned int procs_max, flows_max;
	struct nb_slot *slots;	/* the map 'slots', mmap-ed: procs_max of them */
	size_t slots_len;
	/* flows (struct nb_flow_slot): the maps flow_slots and flow_bits
	 * mmap-ed, the key index and the stack of free slots */
	struct nb_flow_slot *flow_slots;
	uint64_t *flow_bits;
	size_t flow_slots_len, flow_bits_len;
	int flow_index_fd, free_flows_fd;
	volatile __u64 *flow_next;	/* in the program's .bss */
	bool flows_on;
	/* flows on, rung 1: an event with a flow slot adds to it only, and a
	 * process's bytes are its slot's and its flows' (count() in
	 * bpf/netbpf.bpf.c; the collector adds them up) */
	bool flows_carry;
	bool cgroups_on;	/* cgroup rows (from process rows) */
	struct nb_kretprobes kret;	/* the kprobe rung's return probes */
};

/*
 * Load and attach the first rung that works (or the forced one). Returns 0,
 * or a negative errno with every rung's outcome in l->rungs. Safe to call
 * nb_loader_close() on any state.
 */
int nb_loader_open(struct nb_loader *l, const struct nb_opts *o);
/* The BTF of the module af_packet, where AF_PACKET is a module. */
#define NB_PACKET_MODULE_BTF "/sys/kernel/btf/af_packet"
/* Whether rungs 2 and 3 can hook AF_PACKET here: packet_sendmsg and
 * packet_recvmsg are built in, or in the loaded module af_packet. */
bool nb_loader_packet_hooks(const char *btf_path);
/* Try one rung for real: open, load, attach, detach. */
int nb_loader_probe(enum nb_backend b, const char *btf_path,
		    struct nb_rung_result *res);
void nb_loader_close(struct nb_loader *l);
/* The loaded object, for the collector's program statistics, or NULL. */
struct bpf_object *nb_loader_object(const struct nb_loader *l);

/* Print libbpf's messages on stderr (on with -v). */
void nb_libbpf_verbose(bool on);

#endif
