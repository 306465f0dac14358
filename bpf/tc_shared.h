/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Types and constants shared by the TC accounting program (bpf/tc.bpf.c)
 * and its loader (user/tc.c). Fixed-width types only: no vmlinux.h, no
 * libbpf, no size_t or long, so the layout is the same on both sides.
 */
#ifndef NB_TC_SHARED_H
#define NB_TC_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>	/* userspace; BPF gets __u32 from vmlinux.h */
#endif

/* Entries of the per-ifindex hash (one per interface with a large ifindex
 * that has seen a packet), and of the array that interfaces with an
 * ifindex below NB_TC_DIRECT use instead: indexed by the ifindex itself,
 * so most packets find their counters without hashing. */
#define NB_TC_MAX_IFACES	4096
#define NB_TC_DIRECT		256

/* Program names: a clsact filter running one of these, with netbpf's
 * handle and priority, was put there by netbpf. */
#define NB_TC_PROG_INGRESS	"nb_tc_ingress"
#define NB_TC_PROG_EGRESS	"nb_tc_egress"

/* Per-CPU value of the map 'ifaces', keyed by __u32 ifindex. Bytes are
 * skb->len at the TC hook: the whole frame, link-layer header included. */
struct nb_tc_counts {
	__u64 rx_bytes;
	__u64 rx_packets;
	__u64 tx_bytes;
	__u64 tx_packets;
};

/* Which map a dropped update was meant for (index into 'tc_drops'). */
enum nb_tc_drop {
	NB_TC_DROP_IFACES = 0,
	NB_TC_DROP_HOSTS,	/* 'hosts' was full: a new host pair not counted */
	NB_TC_NDROPS,
};

/* Entries of the host pair map 'hosts' (see struct nb_host_key). */
#define NB_TC_MAX_HOSTS		16384

/*
 * Key of the map 'hosts': one host pair on one interface, counted only
 * while the loader asks for it (rodata hosts_able, bss hosts_on). On
 * egress the local address is the source, on ingress the destination.
 * Addresses in network order, IPv4 in the first 4 bytes (the rest zero).
 * rport: the remote TCP or UDP port in host order where the loader asked
 * for ports (rodata host_ports), else 0. 40 bytes, no holes.
 */
struct nb_host_key {
	__u32 ifindex;
	__u8 family;	/* 4 or 6 */
	__u8 pad;
	__u16 rport;
	__u8 laddr[16];
	__u8 raddr[16];
};

/*
 * Value of the map 'hosts': one shared copy per pair (not per CPU), added
 * to with atomic adds. A pair's egress and ingress run on different CPUs
 * (the sender's, the receive queue's): the two directions are 64 bytes
 * apart, in two cache lines, so they do not bounce one line between them.
 */
struct nb_host_counts {
	__u64 tx_bytes;
	__u64 tx_packets;
	__u64 pad[6];
	__u64 rx_bytes;
	__u64 rx_packets;
};

/*
 * The process that loaded the program, in .rodata. A later netbpf reads it
 * back from a clsact filter's program to tell a leftover (its owner is
 * gone) from the filter of a netbpf that still runs.
 */
struct nb_tc_owner {
	__u32 pid;
	__u32 pad;
	__u64 start;	/* field 22 of /proc/PID/stat: start time in clock ticks */
};

#endif /* NB_TC_SHARED_H */
