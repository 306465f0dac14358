/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Types and constants shared by the BPF programs (bpf/) and the loader
 * (user/). Fixed-width types only: no vmlinux.h, no libbpf, no size_t or
 * long, so the layout is the same on both sides.
 */
#ifndef NETBPF_H
#define NETBPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>	/* userspace; BPF gets __u32 from vmlinux.h */
#endif

#define NB_COMM_LEN 16

/* Protocol index: the counters of a process are split by these. */
enum nb_proto {
	NB_PROTO_TCP = 0,
	NB_PROTO_UDP,
	NB_PROTO_ICMP,	/* ICMP and ICMPv6: ping sockets and raw ones */
	NB_PROTO_SCTP,
	NB_PROTO_RAW,	/* raw IP sockets with any other protocol number */
	NB_PROTO_OTHER,
	NB_NPROTO,
};

enum nb_dir {
	NB_TX = 0,
	NB_RX = 1,
};

/* Which map a dropped update was meant for (index into the drops array). */
enum nb_drop {
	NB_DROP_PROCS = 0,
	NB_DROP_INFO,
	NB_DROP_STASH,
	NB_DROP_FLOWS,	/* could not insert even after an LRU eviction */
	NB_DROP_CGROUPS,
	NB_FLOW_INSERTS,	/* not a drop: new flows, to tell evictions */
	NB_NDROPS,
};

/*
 * A process is its tgid plus the start time of its thread-group leader, so a
 * reused pid is a new key and never adds to the counts of the dead process.
 */
struct nb_proc_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns;
};

/* Per-CPU: bytes and calls per protocol and direction. */
struct nb_proc_counts {
	__u64 bytes[NB_NPROTO][2];
	__u64 calls[NB_NPROTO][2];
};

/* Taken once, at the first event of the process, in the kernel. */
struct nb_proc_info {
	__u64 cgroup_id;
	char comm[NB_COMM_LEN];
	__u32 exited;	/* set by the exit hook when the whole group is gone */
	__u32 pad;
};

/*
 * A flow: one process's traffic on one socket 4-tuple. IPv4 (also IPv4 on
 * an IPv6 socket, ::ffff:a.b.c.d) has family 4 and its address in the
 * first 4 bytes. Ports in host order. An unconnected UDP socket has no
 * remote: raddr and rport are 0.
 */
struct nb_flow_key {
	__u32 tgid;
	__u8 proto;	/* enum nb_proto */
	__u8 family;	/* 4 or 6 */
	__u16 lport;
	__u16 rport;
	__u16 pad;
	__u32 pad2;
	__u64 start_ns;	/* of the process, as in nb_proc_key */
	__u8 laddr[16];
	__u8 raddr[16];
};

/* Per-CPU bytes and calls by direction: flows (in an LRU map: evicted flows
 * lose their row, never bytes from the per-process totals) and cgroups. */
struct nb_dir_counts {
	__u64 bytes[2];
	__u64 calls[2];
	__u64 born;	/* ns, set on the inserting CPU: tells a re-made entry */
};

#endif /* NETBPF_H */
