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
	NB_PROTO_PACKET,	/* AF_PACKET, SOCK_RAW and SOCK_DGRAM: link-layer frames */
	NB_NPROTO,
};

enum nb_dir {
	NB_TX = 0,
	NB_RX = 1,
};

/* Which map a dropped update was meant for (index into the drops array). */
enum nb_drop {
	NB_DROP_PROCS = 0,	/* no free process slot */
	NB_DROP_STASH,
	NB_DROP_FLOWS,	/* no free flow slot: the flow update is lost */
	NB_DROP_SOFTIRQ,	/* not a drop: TCP reads seen in softirq, left
				 * for the owner's next read in process context */
	NB_NDROPS,
};

/*
 * A process is its tgid plus the start time of its thread-group leader, so a
 * reused pid is a new key and never adds to the counts of the dead process.
 */
struct nb_proc_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns;	/* the leader's start_boottime: CLOCK_BOOTTIME ns */
};

/*
 * One process's counters and identity: an element of the mmap-able array
 * 'slots', one cache line. The map 'procs' gives a process's slot number;
 * free slot numbers wait in the queue 'free_slots'. Userspace reads the
 * array through mmap (no system call per process), and frees the slot of
 * an exited process after its last read: zero it, push its number back.
 *
 * Not per-CPU: the counters are shared by the threads of one process only,
 * so an atomic add contends within one process at most, and the kernel
 * memory is 64 bytes per process whatever the CPU count.
 */
enum nb_slot_state {
	NB_SLOT_FREE = 0,
	NB_SLOT_LIVE = 1,
	NB_SLOT_EXITED = 2,	/* set by the exit hook: no more increments */
};

struct nb_slot {
	__u64 tx_bytes;		/* atomic adds */
	__u64 rx_bytes;
	__u64 start_ns;		/* identity: the key in 'procs' */
	__u32 tgid;
	__u32 uid;		/* of the leader at the first event */
	__u64 cgroup_id;	/* cgroup v2 id at the first event, and at exec */
	char comm[NB_COMM_LEN];	/* at the first event, and at exec */
	__u64 state;		/* enum nb_slot_state; written last */
};

/*
 * The name of a cgroup v2 as the kernel has it (its kernfs name and its
 * parent's), taken at the first event of a process in it: a container that
 * lives 100 ms is gone before userspace can look its path up, but keeps
 * its name. Keyed by cgroup id; userspace drains the map every poll.
 */
#define NB_CG_NAME_LEN 128
#define NB_CG_PARENT_LEN 64

struct nb_cgroup_name {
	char name[NB_CG_NAME_LEN];
	char parent[NB_CG_PARENT_LEN];
	__u32 level;	/* 0 for the root, 1 for its children, ... */
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
	__u8 family;	/* 4 or 6; NB_FAMILY_PACKET for AF_PACKET (see below) */
	__u16 lport;
	__u16 rport;
	__u16 pad;
	__u32 pad2;
	__u64 start_ns;	/* of the process, as in nb_proc_key */
	__u8 laddr[16];
	__u8 raddr[16];
};

/*
 * An AF_PACKET socket has no addresses or ports: its flow key has family
 * NB_FAMILY_PACKET, the interface it is bound to (0: all) as a host-order
 * __u32 in the first 4 bytes of laddr, and its ethertype (host order, 3 for
 * ETH_P_ALL) in lport; raddr and rport are 0.
 */
#define NB_FAMILY_PACKET 0

/*
 * One flow's counters and identity: an element of the mmap-able array
 * 'flow_slots', two cache lines, so that flows counted on two CPUs never
 * share a line. 'flow_index' gives a key's slot; on the tracepoint rung
 * each socket also keeps the slot it counted into last (socket storage),
 * so most events find it without hashing the key. Slots never used are
 * handed out in order ('flow_next'), then those given back (the stack
 * 'free_flows'); 'flow_bits' has a bit per slot in use, so userspace
 * visits only those.
 *
 * Userspace ends a slot's use when its process exited or it has been
 * idle: it deletes the key from 'flow_index' and marks the slot
 * NB_SLOT_EXITED (an event that finds it so takes a new slot for the
 * key), reads it a last time at the next poll, then frees it. Threads
 * of one process share a slot (atomic adds); 128 bytes a flow whatever
 * the CPU count.
 */
struct nb_flow_slot {
	__u64 bytes[2];		/* by enum nb_dir */
	__u64 state;		/* enum nb_slot_state */
	__u64 born;		/* ns, at the slot's first use: tells a reused slot */
	__u32 proc_slot;	/* the process's slot in 'slots' */
	__u32 pad;
	struct nb_flow_key key;
	__u64 pad2[4];
};

/*
 * TCP receives on rung 1 are counted as the progress of the socket's
 * copied_seq (what the application consumed), a 32-bit sequence number
 * that wraps. The arithmetic, shared with the unit tests (test_tcp.c):
 */

/* Bytes consumed between 'counted' (where the count stands; 64 bits
 * wide only for the atomics) and copied_seq; <= 0: nothing new (another
 * reader counted it already). */
static inline __s64 nb_tcp_delta(__u64 counted, __u32 copied_seq)
{
	return (__s32)(copied_seq - (__u32)counted);
}

/* Where the count starts on a socket first seen during a read that
 * returned 'ret' bytes: just before them, so that the read counts them. */
static inline __u32 nb_tcp_start(__u32 copied_seq, __s64 ret)
{
	return copied_seq - (__u32)ret;
}

/* Whether copied_seq has taken the FIN's sequence step: the FIN arrived
 * (SOCK_DONE) and everything up to rcv_nxt was consumed. That step is
 * one sequence number but no payload. */
static inline int nb_tcp_fin_taken(__u32 copied_seq, __u32 rcv_nxt, int fin_arrived)
{
	return fin_arrived && copied_seq == rcv_nxt;
}

/*
 * Rung 1, TCP: a socket's slot in the 'sock_slots' array (taken when its
 * connection is established, given back when the kernel destroys it),
 * found by its cookie (nb_sock_index; 2^bits slots: NB_SOCK_SLOT_BITS, or
 * NETBPF_SOCK_SLOTS). One 64-bit word says
 * whose it is and where the socket's reads are counted, so that taking it
 * and each count are one compare-and-swap:
 *   bits 33-63: the tag, (cookie >> bits) + 1 (0: free);
 *   bit 32: the FIN's sequence step was taken off;
 *   bits 0-31: copied_seq counted up to (nb_tcp_delta reads them).
 */
#define NB_SOCK_SLOT_BITS 14

/* The tag of the socket with this cookie; 0: none (no cookie yet, or one
 * too large for 31 bits of tag: then the socket storage is used). */
static inline __u64 nb_sock_tag(__u64 cookie, __u32 bits)
{
	if (!cookie || (cookie >> bits) >= 0x7fffffffull)
		return 0;
	return (cookie >> bits) + 1;
}

/* The slot of the socket with this cookie: the cookie's low 'bits' bits
 * XOR a mix of the others. The kernel hands cookies out to each CPU in
 * batches of 4,096: by their low bits alone, the sockets of two CPUs whose
 * batches are a multiple of 2^bits apart would meet slot for slot; mixed,
 * each batch lands elsewhere. The tag (the other bits) then tells the
 * low bits back: one cookie per (slot, tag). */
static inline __u32 nb_sock_index(__u64 cookie, __u32 bits)
{
	__u64 mix = ((cookie >> bits) * 0x9e3779b97f4a7c15ull) >> 32;

	return (__u32)(cookie ^ mix) & ((1u << bits) - 1);
}

static inline __u64 nb_sock_word(__u64 tag, int fin, __u32 copied_seq)
{
	return tag << 33 | (__u64)(fin ? 1 : 0) << 32 | copied_seq;
}

static inline __u64 nb_sock_word_tag(__u64 word)
{
	return word >> 33;
}

static inline int nb_sock_word_fin(__u64 word)
{
	return (word >> 32) & 1;
}

/* One count on a slot's word 'old' (socket 'tag'): the bytes consumed up
 * to copied_seq, less the FIN's step the first time it is in them
 * ('fin_taken': nb_tcp_fin_taken() now); '*word': the word to swap in,
 * 'old' itself when there is nothing to count (another reader counted
 * it, or the slot is another socket's). */
static inline __s64 nb_sock_count(__u64 old, __u64 tag, __u32 copied_seq, int fin_taken,
				  __u64 *word)
{
	__s64 delta = nb_tcp_delta(old, copied_seq);
	int fin = nb_sock_word_fin(old), took = !fin && fin_taken;

	*word = old;
	if (nb_sock_word_tag(old) != tag || delta <= 0)
		return 0;
	*word = nb_sock_word(tag, fin || took, copied_seq);
	return delta - took;
}

#endif /* NETBPF_H */
