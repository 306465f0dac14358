// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf socket accounting: bytes per process (tgid) and direction, and
 * per flow when asked, counted in the caller's context.
 *
 * Three hook rungs share one counting handler, count(); the loader turns
 * on the programs of exactly one rung (bpf_program__set_autoload):
 *   1. tp_btf/sock_send_length, tp_btf/sock_recv_length (Linux 6.3+)
 *   2. fexit on tcp_sendmsg, tcp_recvmsg, udp(v6)_sendmsg, udp(v6)_recvmsg
 *   3. kprobe/kretprobe on the same functions
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netbpf.h"
#include "maps.h"

#define AF_INET		2
#define AF_INET6	10
#define AF_PACKET	17
#define SOCK_DGRAM	2
#define SOCK_RAW	3
#define MSG_PEEK	2
#define MSG_ERRQUEUE	0x2000	/* timestamps and errors, not payload */
#define NOT_PAYLOAD	(MSG_PEEK | MSG_ERRQUEUE)
#define IPPROTO_ICMPV6	58	/* a macro in uapi, not an enum member */

#define NB_MAX_PROCS	16384
#define NB_MAX_FLOWS	65536

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load; constant for the verifier. */
const volatile __u32 filter_pids = 0;		/* only tgids in pid_filter */
const volatile __u32 filter_comm_on = 0;
const volatile char filter_comm[NB_COMM_LEN] = {};
const volatile __u32 proto_mask = ~0u;		/* bit per enum nb_proto */
const volatile __u32 family_mask = 3;		/* bit 0: IPv4, bit 1: IPv6 */
const volatile __u32 filter_ports = 0;		/* only ports in port_filter */
const volatile __u32 flows_on = 0;		/* count per flow too */
const volatile __u32 filter_cgroup = 0;		/* only tasks under cgroup_filter[0] */
/* tcp/udp recvmsg lost their 'noblock' argument in Linux 5.19
 * (commit ec095263a965): 5 arguments since, 6 before. The loader reads
 * the count from the kernel's BTF. */
const volatile __u32 recv_nargs = 5;

/* A process's slot number in 'slots' (see struct nb_slot). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_PROCS);
	__type(key, struct nb_proc_key);
	__type(value, __u32);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NB_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct nb_slot);
} slots SEC(".maps");

/* Per CPU: the process that counted last on this CPU and its slot. Most
 * events on a CPU come from the process that ran there just before, so
 * the hot path usually finds its slot here without hashing the key. The
 * slot's own identity is checked before use: a stale entry (the process
 * exited, its slot reused) is never trusted.
 * On rung 1 also the TCP socket whose read this CPU counted last and the
 * copied_seq it counted up to: sock_recv_length, which follows the
 * tcp_rcv_space_adjust of the same recvmsg on the same CPU, finds its
 * read counted here without the socket storage (see tcp_consumed).
 * And the socket whose flow slot this CPU used last, with that slot: the
 * send after a read on the same socket finds its flow here without the
 * socket storage (checked by the slot's key like every other hint). */
struct last_slot {
	__u32 tgid;
	__u32 slot;
	__u64 sk;
	__u64 copied;
	__u64 flow_sk;
	__u32 flow;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last_slot);
} last_slot SEC(".maps");

/* Names of the cgroups of new processes, until userspace reads them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct nb_cgroup_name);
} cgroup_names SEC(".maps");

/* Room for one struct nb_cgroup_name (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nb_cgroup_name);
} cg_scratch SEC(".maps");

/* Slot numbers not in use; the loader fills it, the collector gives back
 * the slots of exited processes after their last read. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, NB_MAX_PROCS);
	__type(value, __u32);
} free_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

/* Flows: see struct nb_flow_slot. */
const volatile __u32 flows_max = NB_MAX_FLOWS;	/* the loader's size of the maps below */
__u64 flow_next;	/* slots from here on were never used */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_FLOWS);
	__type(key, struct nb_flow_key);
	__type(value, __u32);
} flow_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NB_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct nb_flow_slot);
} flow_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NB_MAX_FLOWS / 64);
	__type(key, __u32);
	__type(value, __u64);
} flow_bits SEC(".maps");

/* A stack: a slot given back is the next one used, so the slots in use
 * stay among the first ones. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, NB_MAX_FLOWS);
	__type(value, __u32);
} free_flows SEC(".maps");

/*
 * Per socket, on the tracepoint rung: how far its TCP reads are counted
 * (see tcp_consumed), and the flow slot it counted into last, plus one
 * (0: none yet; checked against the slot's key before use). A TCP
 * socket's storage is made by its first read or at connection (it must
 * start with where its count starts); other sockets' by their first event.
 */
struct sock_seen {
	__u64 copied;	/* copied_seq counted up to (32 bits; 64 for the atomics) */
	__u64 fin;	/* the FIN's sequence step was taken off */
	__u32 flow;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_seen);
} sock_seen SEC(".maps");

/*
 * The same for TCP sockets without the socket storage, whose lookup cost
 * some 25 ns a read (docs/performance.md, "Session 7"): a slot
 * each, by cookie, taken at connection and given back when the kernel
 * destroys the socket (the word's layout: netbpf.h, nb_sock_word). A
 * socket whose slot is taken by another (nb_sock_index), or that
 * was connected before netbpf started, uses the storage as before; a
 * socket uses one of the two for its whole life. 64 bytes each: sockets
 * read on different CPUs share no cache line. Sized by the loader (one
 * entry where rung 1 does not load).
 */
struct sock_slot {
	__u64 word;
	/* the flow slot its events counted into last, as (slot + 1) | the
	 * low 32 bits of that slot's 'born' << 32 (0: none): read and written
	 * whole, checked against the slot's born and process */
	__u64 flow;
	__u64 pad[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1u << NB_SOCK_SLOT_BITS);
	__type(key, __u32);
	__type(value, struct sock_slot);
} sock_slots SEC(".maps");

const volatile __u32 sock_slot_bits = NB_SOCK_SLOT_BITS;	/* 2^bits slots */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} port_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* Updates lost because a map was full, per CPU, indexed by enum nb_drop. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NB_NDROPS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* kprobe rung: the socket (and MSG_PEEK or MSG_ERRQUEUE) between entry and return. */
struct stash {
	__u64 sk;
	__u32 peek;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct stash);
} stash SEC(".maps");

static __always_inline void drop(__u32 which)
{
	nb_drop(&drops, which);
}

static __always_inline __u32 classify(__u16 type, __u16 protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return NB_PROTO_TCP;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return type == SOCK_RAW ? NB_PROTO_RAW : NB_PROTO_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return NB_PROTO_ICMP;
	case IPPROTO_SCTP:
		return NB_PROTO_SCTP;
	}
	return type == SOCK_RAW ? NB_PROTO_RAW : NB_PROTO_OTHER;
}

static __always_inline int comm_matches(const char *comm)
{
	for (int i = 0; i < NB_COMM_LEN; i++) {
		if (comm[i] != filter_comm[i])
			return 0;
		if (!comm[i])
			return 1;
	}
	return 1;
}

/*
 * Reading kernel memory. The tracepoint rung gets BTF pointers (the socket
 * from tp_btf, the task from bpf_get_current_task_btf()): plain loads,
 * which the verifier checks and CO-RE relocates, with no helper call per
 * field (make bench: 33% less time per event). The fexit and kprobe rungs
 * read through bpf_probe_read_kernel. 'btf' is a constant in each caller,
 * so only one of the two is compiled in.
 */
#define RD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

/*
 * The flow key is written as whole 64-bit words (KW(f)[i]), never field by
 * field: flow_is() reads it back by words, and a load that spans several
 * narrower stores still in flight cannot be forwarded from them (the CPU
 * waits for them to reach the cache). Written field by field it cost some
 * 0.1x more of top's round trip (docs/performance.md, "Session 5"). The
 * word layout (little-endian, as the BPF target of this host):
 *   0: tgid | proto << 32 | family << 40 | lport << 48
 *   1: rport        2: start_ns
 *   3, 4: laddr     5, 6: raddr
 */
#define KW(f) ((__u64 *)(f))
#define KW0(tgid, proto, family, lport) \
	((__u64)(tgid) | (__u64)(proto) << 32 | (__u64)(family) << 40 | (__u64)(lport) << 48)
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "flow key words: little-endian");
_Static_assert(__builtin_offsetof(struct nb_flow_key, proto) == 4 &&
	       __builtin_offsetof(struct nb_flow_key, family) == 5 &&
	       __builtin_offsetof(struct nb_flow_key, lport) == 6 &&
	       __builtin_offsetof(struct nb_flow_key, rport) == 8 &&
	       __builtin_offsetof(struct nb_flow_key, start_ns) == 16 &&
	       __builtin_offsetof(struct nb_flow_key, laddr) == 24 &&
	       __builtin_offsetof(struct nb_flow_key, raddr) == 40 &&
	       sizeof(struct nb_flow_key) == 56, "flow key words: layout");

/* Whether a 16-byte address, as two words, is IPv4-mapped (::ffff:a.b.c.d). */
static __always_inline bool v4mapped_w(__u64 lo, __u64 hi)
{
	return !lo && (__u32)hi == 0xffff0000;
}

/* Addresses and ports of the socket into the flow key (its words 0, 1, 3
 * to 6; the caller adds tgid, proto and start_ns); IPv4 on an IPv6 socket
 * becomes IPv4. */
static __always_inline void flow_addrs(struct sock *sk, __u16 family, struct nb_flow_key *f,
				       const bool btf)
{
	__u64 l0, l1, r0, r1;
	__u16 lport;

	/* skc_num, a plain load; but the kernel zeroes it when a closing
	 * socket is unhashed, and data can still be read after that: then
	 * inet_sport (a probe read: inet_sock lies beyond the struct sock of
	 * the BTF pointer, where the verifier allows no plain load). */
	lport = RD(btf, sk, __sk_common.skc_num);
	if (!lport)
		lport = __builtin_bswap16(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	KW(f)[1] = __builtin_bswap16(RD(btf, sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		KW(f)[0] = KW0(0, 0, 4, lport);
		KW(f)[3] = (__u32)RD(btf, sk, __sk_common.skc_rcv_saddr);
		KW(f)[4] = 0;
		KW(f)[5] = (__u32)RD(btf, sk, __sk_common.skc_daddr);
		KW(f)[6] = 0;
		return;
	}
	if (btf) {
		const __u64 *l = (const __u64 *)&sk->__sk_common.skc_v6_rcv_saddr;
		const __u64 *r = (const __u64 *)&sk->__sk_common.skc_v6_daddr;

		l0 = l[0];
		l1 = l[1];
		r0 = r[0];
		r1 = r[1];
	} else {
		__u64 a[4];

		BPF_CORE_READ_INTO(&a[0], sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&a[2], sk, __sk_common.skc_v6_daddr);
		l0 = a[0];
		l1 = a[1];
		r0 = a[2];
		r1 = a[3];
	}
	/* byte 10 of the peer's address: (r1 >> 16) & 0xff */
	if (v4mapped_w(r0, r1) || (v4mapped_w(l0, l1) && !((r1 >> 16) & 0xff))) {
		KW(f)[0] = KW0(0, 0, 4, lport);
		KW(f)[3] = l1 >> 32;
		KW(f)[4] = 0;
		KW(f)[5] = r1 >> 32;
		KW(f)[6] = 0;
		return;
	}
	KW(f)[0] = KW0(0, 0, 6, lport);
	KW(f)[3] = l0;
	KW(f)[4] = l1;
	KW(f)[5] = r0;
	KW(f)[6] = r1;
}

/* An AF_PACKET socket's flow key: the ifindex it is bound to and its
 * ethertype (struct packet_sock lies beyond the struct sock of the BTF
 * pointer: probe reads, and only when flows are asked for). */
static __always_inline void packet_addrs(struct sock *sk, struct nb_flow_key *f)
{
	struct packet_sock *po = (struct packet_sock *)sk;
	__u32 ifindex = BPF_CORE_READ(po, ifindex);

	KW(f)[0] = KW0(0, 0, NB_FAMILY_PACKET, __builtin_bswap16(BPF_CORE_READ(po, num)));
	KW(f)[3] = ifindex;
}

/* Whether slot 'fs' is flow 'f''s and in use. The state first: a slot in
 * use is given back only a poll after userspace ended it, so the key that
 * follows is the one it had while in use. */
static __always_inline bool flow_is(const struct nb_flow_slot *fs, const struct nb_flow_key *f)
{
	const __u64 *a = (const __u64 *)&fs->key, *b = (const __u64 *)f;

	if (fs->state != NB_SLOT_LIVE)
		return false;
	barrier();
	for (int i = 0; i < sizeof(*f) / 8; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* A slot number never used, or -1 when all were (another CPU may take
 * the same one at the same time: then the next). */
static __always_inline long unused_slot(void)
{
	for (int tries = 0; tries < 8; tries++) {
		__u64 next = flow_next;

		if (next >= flows_max)
			return -1;
		if (__sync_val_compare_and_swap(&flow_next, next, next + 1) == next)
			return next;
	}
	return -1;
}

/* A slot for a flow seen for the first time (or again after userspace
 * ended its last one): one given back, else one never used. Its identity
 * is written, published in flow_index, and only then marked in use and
 * its bit set (userspace reads bit, state, identity). Two CPUs may race
 * here with the same key: the loser, never marked in use, gives its slot
 * back (NULL; the caller looks again). */
static __always_inline struct nb_flow_slot *new_flow(const struct nb_flow_key *f, __u32 pslot,
						      __u32 *idx)
{
	struct nb_flow_slot *fs;
	__u64 *word;
	__u32 i, w;

	if (bpf_map_pop_elem(&free_flows, &i)) {
		long u = unused_slot();

		if (u < 0)
			return NULL;	/* full: userspace frees idle slots */
		i = u;
	}
	w = i / 64;
	fs = bpf_map_lookup_elem(&flow_slots, &i);
	word = bpf_map_lookup_elem(&flow_bits, &w);
	if (!fs || !word)
		return NULL;
	fs->bytes[NB_TX] = 0;
	fs->bytes[NB_RX] = 0;
	fs->born = bpf_ktime_get_ns();
	fs->proc_slot = pslot;
	__builtin_memcpy(&fs->key, f, sizeof(*f));
	if (bpf_map_update_elem(&flow_index, f, &i, BPF_NOEXIST)) {
		bpf_map_push_elem(&free_flows, &i, 0);
		return NULL;
	}
	__sync_lock_test_and_set(&fs->state, NB_SLOT_LIVE);
	__sync_fetch_and_or(word, 1ull << (i % 64));
	*idx = i;
	return fs;
}

/* The slot of flow 'f' through the index, else a new one. */
static __always_inline struct nb_flow_slot *flow_lookup(const struct nb_flow_key *f, __u32 pslot,
							 __u32 *idx)
{
	for (int tries = 0; tries < 2; tries++) {
		__u32 *ip = bpf_map_lookup_elem(&flow_index, f);
		struct nb_flow_slot *fs;

		if (ip) {
			__u32 i = *ip;

			fs = bpf_map_lookup_elem(&flow_slots, &i);
			if (fs && flow_is(fs, f)) {
				*idx = i;
				return fs;
			}
			/* being published by another CPU (look again), or
			 * userspace is ending it (its key leaves the index
			 * first: a new slot) */
		}
		fs = new_flow(f, pslot, idx);
		if (fs)
			return fs;
	}
	return NULL;
}

static __always_inline bool is_tcp(struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP && sk->sk_type == 1 /* SOCK_STREAM */;
}

/* The flow slot 'i', if it is flow 'f''s and in use. */
static __always_inline struct nb_flow_slot *flow_at(__u32 i, const struct nb_flow_key *f)
{
	struct nb_flow_slot *fs = bpf_map_lookup_elem(&flow_slots, &i);

	return fs && flow_is(fs, f) ? fs : NULL;
}

/* The slot of the socket with this cookie, whoever holds it ('*tag': the
 * socket's tag); NULL for a cookie without a tag. */
static __always_inline struct sock_slot *slot_of(__u64 cookie, __u64 *tag)
{
	__u32 i = nb_sock_index(cookie, sock_slot_bits);

	*tag = nb_sock_tag(cookie, sock_slot_bits);
	return *tag ? bpf_map_lookup_elem(&sock_slots, &i) : NULL;
}

/* The socket's slot in 'sock_slots' if it holds one ('*tag': its tag). A
 * plain load of the cookie: a socket with a slot had its cookie made when
 * it took it (take_slot). */
static __always_inline struct sock_slot *sock_slot(struct sock *sk, __u64 *tag)
{
	struct sock_slot *ss = slot_of(sk->__sk_common.skc_cookie.counter, tag);

	return ss && nb_sock_word_tag(ss->word) == *tag ? ss : NULL;
}

/* Where a socket without a slot notes its flow slot: its storage (a TCP
 * socket's is made where its count starts; others' here). */
static __always_inline __u32 *sock_flow(struct sock *sk)
{
	struct sock_seen *st;

	st = bpf_sk_storage_get(&sock_seen, sk, 0, is_tcp(sk) ? 0 : BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return NULL;
	barrier_var(st);	/* or clang adds the offset before the check */
	return &st->flow;
}

/* Rung 1, a socket without a slot: the flow slot it used last, without
 * the index: the one this CPU noted for it, else the one its storage
 * notes ('*flowp', found here if the caller has not). NULL: look it up. */
static __always_inline struct nb_flow_slot *flow_hint(struct sock *sk, const struct nb_flow_key *f,
						       struct last_slot *last, __u32 **flowp)
{
	struct nb_flow_slot *fs;
	__u32 i;

	if (last && last->flow_sk == (__u64)sk) {
		fs = flow_at(last->flow, f);
		if (fs)
			return fs;
	}
	if (!*flowp)
		*flowp = sock_flow(sk);
	if (!*flowp || !**flowp)
		return NULL;
	i = **flowp - 1;
	fs = flow_at(i, f);
	if (fs && last) {
		last->flow_sk = (__u64)sk;
		last->flow = i;
	}
	return fs;
}

/* The flow slot a socket's slot notes, if it is still the flow it was
 * (not given back and taken again since: its born) and this process's:
 * what the flow key's other half, the socket's, would tell is fixed for a
 * connected socket (taken again when it connects again, take_slot). The
 * state first, as in flow_is; all on the slot's first cache line. */
static __always_inline struct nb_flow_slot *slot_flow(struct sock_slot *ss,
						       const struct nb_proc_key *key)
{
	__u64 ref = ss->flow;
	__u32 i = (__u32)ref - 1;
	struct nb_flow_slot *fs;

	if (!ref)
		return NULL;
	fs = bpf_map_lookup_elem(&flow_slots, &i);
	if (!fs || fs->state != NB_SLOT_LIVE)
		return NULL;
	barrier();
	if ((__u32)fs->born != ref >> 32 || fs->key.tgid != key->tgid ||
	    fs->key.start_ns != key->start_ns)
		return NULL;
	return fs;
}

/* The flow slot of this event through the index (a new one if need be),
 * noted where the socket notes it and in this CPU's hint (rung 1). */
static __always_inline struct nb_flow_slot *flow_find(struct sock *sk, const struct nb_flow_key *f,
						       __u32 pslot, struct last_slot *last,
						       struct sock_slot *ss, __u32 *flowp)
{
	struct nb_flow_slot *fs;
	__u32 i;

	fs = flow_lookup(f, pslot, &i);
	if (!fs)
		return NULL;
	if (ss)
		ss->flow = (__u64)(__u32)fs->born << 32 | (i + 1);
	else if (flowp)
		*flowp = i + 1;
	if (last) {
		last->flow_sk = (__u64)sk;
		last->flow = i;
	}
	return fs;
}

/* kernfs_node.parent became __parent in Linux 6.15 ("kernfs: Use RCU to
 * access kernfs_node::parent"): the older layout, for CO-RE. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/*
 * A process's identity and start: its leader's start_boottime, CLOCK_BOOTTIME
 * nanoseconds (copy_process() takes it right after start_time, which is
 * CLOCK_MONOTONIC and stops during suspend). It is what /proc/PID/stat
 * shows as the start time, and userspace turns it into wall-clock time
 * with CLOCK_BOOTTIME. The field was real_start_time before Linux 5.5
 * (cf25e24db61c "time: Rename tsk->real_start_time to ->start_boottime").
 */
struct task_struct___old {
	__u64 real_start_time;
} __attribute__((preserve_access_index));

static __always_inline __u64 task_start(struct task_struct *leader)
{
	if (bpf_core_field_exists(leader->start_boottime))
		return BPF_CORE_READ(leader, start_boottime);
	return BPF_CORE_READ((struct task_struct___old *)leader, real_start_time);
}

/* The current task's cgroup v2 (the default hierarchy's, on hybrid hosts
 * too): its id, and its name into 'cgroup_names' if it is not there. */
static __always_inline __u64 note_cgroup(void)
{
	__u64 id = bpf_get_current_cgroup_id();
	struct task_struct *task;
	struct nb_cgroup_name *n;
	struct kernfs_node *kn;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(&cgroup_names, &id))
		return id;
	n = bpf_map_lookup_elem(&cg_scratch, &zero);
	if (!n)
		return id;
	task = (struct task_struct *)bpf_get_current_task();
	kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	n->level = BPF_CORE_READ(task, cgroups, dfl_cgrp, level);
	bpf_probe_read_kernel_str(n->name, sizeof(n->name), BPF_CORE_READ(kn, name));
	n->parent[0] = 0;
	if (n->level > 1)
		bpf_probe_read_kernel_str(n->parent, sizeof(n->parent), BPF_CORE_READ(kn_parent(kn), name));
	bpf_map_update_elem(&cgroup_names, &id, n, BPF_NOEXIST);
	return id;
}

/* The slot of a process seen for the first time: take a free one, write
 * who it is while the process is alive (it may be gone by the next poll),
 * then publish it in 'procs'. Two threads of a new process may race here:
 * the loser gives its slot back and uses the winner's. */
static __always_inline __u32 *new_proc(struct nb_proc_key *key, struct task_struct *leader,
				       const bool btf)
{
	__u32 idx;
	struct nb_slot *s;

	if (bpf_map_pop_elem(&free_slots, &idx))
		return NULL;
	s = bpf_map_lookup_elem(&slots, &idx);
	if (!s)
		return NULL;
	s->tx_bytes = 0;
	s->rx_bytes = 0;
	s->start_ns = key->start_ns;
	s->tgid = key->tgid;
	s->uid = (__u32)bpf_get_current_uid_gid();
	s->cgroup_id = note_cgroup();
	if (btf)
		__builtin_memcpy(s->comm, leader->comm, NB_COMM_LEN);
	else
		BPF_CORE_READ_STR_INTO(&s->comm, leader, comm);
	/* the identity before the state: userspace reads the state first */
	__sync_lock_test_and_set(&s->state, NB_SLOT_LIVE);
	if (!bpf_map_update_elem(&procs, key, &idx, BPF_NOEXIST))
		return bpf_map_lookup_elem(&procs, key);
	__sync_lock_test_and_set(&s->state, NB_SLOT_FREE);
	bpf_map_push_elem(&free_slots, &idx, 0);
	return bpf_map_lookup_elem(&procs, key);
}

/* The socket's side of an event: its protocol (enum nb_proto), and its
 * flow key's addresses where flows or the -4/-6/--port filters need them.
 * false: a socket netbpf does not count, or one the filters leave out. */
static __always_inline bool sock_wanted(struct sock *sk, struct nb_flow_key *f, __u32 *proto,
					const bool btf)
{
	__u16 family = RD(btf, sk, __sk_common.skc_family);

	if (family == AF_INET || family == AF_INET6)
		*proto = classify(RD(btf, sk, sk_type), RD(btf, sk, sk_protocol));
	else if (family == AF_PACKET)	/* what the call returned (SOCK_RAW: whole frames) */
		*proto = NB_PROTO_PACKET;
	else
		return false;	/* AF_UNIX, netlink and the rest fire too (doctor says why) */
	if (!(proto_mask & (1u << *proto)))
		return false;
	if (!flows_on && !filter_ports && family_mask == 3)
		return true;
	if (*proto == NB_PROTO_PACKET) {
		/* no address family, no ports: -4, -6 and --port leave it out */
		if (filter_ports || family_mask != 3)
			return false;
		packet_addrs(sk, f);
		return true;
	}
	flow_addrs(sk, family, f, btf);
	if (!(family_mask & (f->family == 4 ? 1 : 2)))
		return false;
	return !filter_ports || bpf_map_lookup_elem(&port_filter, &f->lport) ||
	       bpf_map_lookup_elem(&port_filter, &f->rport);
}

/* The process's side: its key (tgid and start time) and its group leader,
 * or NULL for a kernel thread or one the --pid, --cgroup and --comm
 * filters leave out. */
static __always_inline struct task_struct *task_wanted(struct nb_proc_key *key, const bool btf)
{
	struct task_struct *task, *leader;

	if (btf) {	/* plain loads from the task: no helper for the tgid */
		task = bpf_get_current_task_btf();
		key->tgid = task->tgid;
	} else {
		task = (struct task_struct *)bpf_get_current_task();
		key->tgid = bpf_get_current_pid_tgid() >> 32;
	}
	if (key->tgid == 0)
		return NULL;
	if (filter_pids && !bpf_map_lookup_elem(&pid_filter, &key->tgid))
		return NULL;
	if (filter_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return NULL;
	if (btf) {
		leader = task->group_leader;
		key->start_ns = leader->start_boottime;
	} else {
		leader = BPF_CORE_READ(task, group_leader);
		key->start_ns = task_start(leader);
	}
	if (filter_comm_on) {
		char comm[NB_COMM_LEN] = {};

		BPF_CORE_READ_STR_INTO(&comm, leader, comm);
		if (!comm_matches(comm))
			return NULL;
	}
	return leader;
}

/* The process's counter slot: the one this CPU used last if it is this
 * process's, else through the hash, else a new one; NULL when full. */
static __always_inline struct nb_slot *proc_slot(struct nb_proc_key *key,
						 struct task_struct *leader, __u32 *idx,
						 struct last_slot *last, const bool btf)
{
	struct nb_slot *s;
	__u32 *slotp, slot;

	if (last && last->tgid == key->tgid) {
		slot = last->slot;
		s = bpf_map_lookup_elem(&slots, &slot);
		if (s && s->tgid == key->tgid && s->start_ns == key->start_ns &&
		    s->state == NB_SLOT_LIVE) {
			*idx = slot;
			return s;
		}
	}
	slotp = bpf_map_lookup_elem(&procs, key);
	if (!slotp)
		slotp = new_proc(key, leader, btf);
	if (!slotp)
		return NULL;
	slot = *slotp;
	s = bpf_map_lookup_elem(&slots, &slot);
	if (s && last) {
		last->tgid = key->tgid;
		last->slot = slot;
	}
	*idx = slot;
	return s;
}

/*
 * The one counting handler. 'len' is what the kernel actually moved (the
 * return value of the send or receive), not what the caller asked for.
 *
 * Flows on, rung 1: the bytes of an event with a flow slot go to that
 * slot only, and the collector adds each flow's bytes to its process
 * (flows carry their process's bytes, nb_loader.flows_carry). The event
 * then touches neither the process's slot nor the hash: a flow found
 * through a hint is its process's (its key holds tgid and start), and
 * that process is alive, since it is running this event. The process's
 * slot takes the bytes that find no flow slot (all in use). Rungs 2 and 3
 * add to both: an fexit program can be preempted, and the flow slot's
 * one increment that can be lost there (user/collector.c, read_flows)
 * must not be a process's.
 */
static __always_inline void count(struct sock *sk, long len, int dir, struct sock_slot *ss,
				  __u32 *flowp, const bool btf)
{
	struct nb_proc_key key = {};
	struct nb_flow_key f = {};
	struct task_struct *leader;
	struct nb_flow_slot *fs = NULL;
	struct last_slot *last;
	struct nb_slot *s;
	__u32 proto, pslot, zero = 0;

	if (len <= 0 || !sk)
		return;
	/* a TCP socket with a slot (rung 1), flows on: the flow its slot
	 * notes passed the socket's filters when it was made */
	if (!(btf && flows_on && ss) && !sock_wanted(sk, &f, &proto, btf))
		return;
	leader = task_wanted(&key, btf);
	if (!leader)
		return;
	if (btf && flows_on && ss) {
		fs = slot_flow(ss, &key);
		if (fs) {
			__sync_fetch_and_add(&fs->bytes[dir], len);
			return;
		}
		if (!sock_wanted(sk, &f, &proto, btf))
			return;
	}
	last = bpf_map_lookup_elem(&last_slot, &zero);
	if (flows_on) {
		KW(&f)[0] |= KW0(key.tgid, proto, 0, 0);
		KW(&f)[2] = key.start_ns;
		if (btf && !ss) {
			fs = flow_hint(sk, &f, last, &flowp);
			if (fs) {
				__sync_fetch_and_add(&fs->bytes[dir], len);
				return;
			}
		}
	}
	s = proc_slot(&key, leader, &pslot, last, btf);
	if (!s) {
		drop(NB_DROP_PROCS);
		return;
	}
	if (flows_on) {
		if (btf) {
			fs = flow_find(sk, &f, pslot, last, ss, flowp);
			if (fs) {
				__sync_fetch_and_add(&fs->bytes[dir], len);
				return;
			}
		} else {
			__u32 i;

			fs = flow_lookup(&f, pslot, &i);
			if (fs)
				__sync_fetch_and_add(&fs->bytes[dir], len);
		}
		if (!fs)
			drop(NB_DROP_FLOWS);
	}
	/* Shared by the threads of this process: the atomic add keeps every
	 * increment; other processes never touch this cache line. */
	__sync_fetch_and_add(dir == NB_TX ? &s->tx_bytes : &s->rx_bytes, len);
}

/*
 * Rung 1: socket tracepoints, every family, in sock_sendmsg/sock_recvmsg.
 *
 * TCP reads that bypass sock_recvmsg (splice, tcp_read_sock, zero-copy
 * receive) are seen by the tcp_rcv_space_adjust tracepoint, which fires in
 * every TCP read path, recvmsg included. So on this rung TCP receives are
 * counted as the progress of the socket's copied_seq (what the application
 * has consumed) since the last count, at both tracepoints, and each byte
 * is counted once whichever fires first. The FIN advances copied_seq by
 * one when it is consumed: that one is not payload.
 */
#define TCP_ESTABLISHED	1
#define TCP_CLOSE	7
#define SOCK_DONE_BIT	1	/* enum sock_flags: set when the FIN arrived */

static __always_inline int fin_arrived(struct sock *sk)
{
	return !!(sk->__sk_common.skc_flags & (1ul << SOCK_DONE_BIT));
}

/* The socket as a tcp_sock, or NULL: what bpf_skc_to_tcp_sock() checks
 * (a full socket, protocol TCP), but through the bpf_rdonly_cast kfunc,
 * which the verifier turns into a register move (its fields are then read
 * by loads that the JIT guards), where the helper is a call per event
 * (docs/performance.md, "Session 5"). */
static __always_inline struct tcp_sock *as_tcp_sock(struct sock *sk)
{
	/* 6.2+, so on every kernel with rung 1's tracepoints (6.3+); the
	 * helper where it is not (the fexit and kprobe rungs, in the same
	 * object, load on older kernels) */
	if (!bpf_ksym_exists(bpf_rdonly_cast))
		return bpf_skc_to_tcp_sock(sk);
	if (sk->sk_protocol != IPPROTO_TCP ||
	    ((1u << sk->__sk_common.skc_state) & (1u << 6 | 1u << 12)))
		return NULL;	/* TCP_TIME_WAIT, TCP_NEW_SYN_RECV: not full */
	return bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
}

/* Bytes consumed since the socket slot's count, counted there: where the
 * count stands, the FIN's step and the tag move together in one
 * compare-and-swap (nb_sock_count); concurrent readers count each step
 * once. */
static __always_inline long slot_consumed(struct sock *sk, struct tcp_sock *tp, __u32 copied,
					  struct sock_slot *ss, __u64 tag)
{
	/* rcv_nxt (a line the receiving softirq writes) only once the FIN
	 * has arrived */
	int fin_taken = fin_arrived(sk) && nb_tcp_fin_taken(copied, tp->rcv_nxt, 1);

	for (int i = 0; i < 4; i++) {
		__u64 old = ss->word, word;
		long delta = nb_sock_count(old, tag, copied, fin_taken, &word);

		if (word == old ||
		    __sync_val_compare_and_swap(&ss->word, old, word) == old)
			return delta;
	}
	return 0;
}

/* The same in the socket storage, for sockets without a slot. */
static __always_inline long storage_consumed(struct sock *sk, struct tcp_sock *tp, __u32 copied,
					     long ret, __u32 **flowp)
{
	struct sock_seen *st = bpf_sk_storage_get(&sock_seen, sk, 0, 0);
	long delta = 0;

	if (!st) {
		/* a socket from before netbpf started: the read in progress
		 * tells where to start; from tcp_rcv_space_adjust alone it
		 * cannot be known (such splice-only reads are not counted) */
		if (ret < 0)
			return 0;
		/* start so that this read counts ret; if it consumed the FIN
		 * too, that step is inside the start already: mark it taken.
		 * The start is the storage's initial value, set only by the
		 * reader that creates it: a second reader at the same moment
		 * gets the first one's and never moves it back. */
		struct sock_seen init = {
			.copied = nb_tcp_start(copied, ret),
			.fin = nb_tcp_fin_taken(copied, tp->rcv_nxt, fin_arrived(sk)),
		};

		st = bpf_sk_storage_get(&sock_seen, sk, &init, BPF_SK_STORAGE_GET_F_CREATE);
		if (!st)
			return ret;
	}
	*flowp = &st->flow;
	for (int i = 0; i < 4; i++) {
		__u64 old = st->copied;

		delta = nb_tcp_delta(old, copied);
		if (delta <= 0)
			return 0;
		/* concurrent readers: only one of them counts each step */
		if (__sync_val_compare_and_swap(&st->copied, old, (__u64)copied) == old)
			break;
		delta = 0;
	}
	if (delta > 0 && !st->fin && nb_tcp_fin_taken(copied, tp->rcv_nxt, fin_arrived(sk)) &&
	    !__sync_lock_test_and_set(&st->fin, 1))
		delta--;	/* the FIN was consumed */
	return delta;
}

/* Bytes consumed since the last count; 'ret' is the return of the read in
 * progress (sock_recv_length), or -1 (tcp_rcv_space_adjust). When found
 * here: the socket's slot ('*ssp'), else where its storage notes its flow
 * slot ('*flowp'). */
static __always_inline long tcp_consumed(struct sock *sk, long ret, struct sock_slot **ssp,
					 __u32 **flowp)
{
	struct tcp_sock *tp = as_tcp_sock(sk);	/* rung 1 only: BTF */
	struct last_slot *mark;
	struct sock_slot *ss;
	__u32 copied, zero = 0;
	long delta;
	__u64 tag;

	if (!tp)
		return 0;
	copied = tp->copied_seq;
	/* counted up to here on this CPU already: nothing new (the count
	 * only moves forward, and copied_seq has not moved) */
	mark = bpf_map_lookup_elem(&last_slot, &zero);
	if (mark && mark->sk == (__u64)sk && mark->copied == copied)
		return 0;
	ss = sock_slot(sk, &tag);
	if (ss) {
		*ssp = ss;
		delta = slot_consumed(sk, tp, copied, ss, tag);
	} else {
		delta = storage_consumed(sk, tp, copied, ret, flowp);
	}
	/* This read counted up to copied. Two plain stores: a program
	 * preempted between them on this CPU can leave a mark that mixes two
	 * sockets; it matches only a socket whose copied_seq is by chance the
	 * other's, and that read is then counted at the socket's next one. */
	if (delta > 0 && mark) {
		mark->sk = (__u64)sk;
		mark->copied = copied;
	}
	return delta;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tp_send, struct sock *sk, int ret, int flags)
{
	struct sock_slot *ss = NULL;
	__u64 tag;

	if (flows_on && is_tcp(sk))
		ss = sock_slot(sk, &tag);
	count(sk, ret, NB_TX, ss, NULL, true);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_recv, struct sock *sk, int ret, int flags)
{
	struct sock_slot *ss = NULL;
	__u32 *flowp = NULL;

	if (flags & NOT_PAYLOAD)
		return 0;
	if (ret > 0 && is_tcp(sk))
		ret = tcp_consumed(sk, ret, &ss, &flowp);
	count(sk, ret, NB_RX, ss, flowp, true);
	return 0;
}

/*
 * Also called outside the reader's context: in softirq, where sockmap
 * (tcp_read_skb), strparser and kTLS consume data from the socket, with the
 * socket not owned by a process. The current task there is whoever was
 * interrupted (or the idle task): count nothing and leave copied_seq's
 * progress to the next read in process context, which the socket's owner
 * makes (recvmsg on the same socket, seen by sock_recv_length).
 */
SEC("tp_btf/tcp_rcv_space_adjust")
int BPF_PROG(tp_tcp_read, struct sock *sk)
{
	struct sock_slot *ss = NULL;
	__u32 *flowp = NULL;
	long len;

	if (!sk->sk_lock.owned) {
		drop(NB_DROP_SOFTIRQ);
		return 0;
	}
	len = tcp_consumed(sk, -1, &ss, &flowp);
	count(sk, len, NB_RX, ss, flowp, true);
	return 0;
}

/* A new connection's slot, counting from 'copied': its own if free (or
 * already its own: a socket connected again), unless the socket has a
 * storage from an earlier connection (one socket, one of the two). */
static __always_inline bool take_slot(struct sock *sk, __u32 copied)
{
	struct sock_slot *ss;
	__u64 tag, old;

	ss = slot_of(bpf_get_socket_cookie(sk), &tag);	/* the cookie made here if need be */

	if (!ss)
		return false;
	old = ss->word;
	if (nb_sock_word_tag(old) == tag) {
		ss->flow = 0;	/* its addresses change */
		__sync_lock_test_and_set(&ss->word, nb_sock_word(tag, 0, copied));
		return true;
	}
	/* a free slot's flow is 0 already (tp_tcp_destroy) */
	return !old && !bpf_sk_storage_get(&sock_seen, sk, 0, 0) &&
	       !__sync_val_compare_and_swap(&ss->word, 0, nb_sock_word(tag, 0, copied));
}

/* The kernel destroys a TCP socket: its slot is free for the next, its
 * flow noted there cleared first. (A run the kernel skips leaves the slot
 * taken: a later socket whose cookie maps to it then uses the storage;
 * its tag is never another socket's.) Before tp_tcp_state in this file,
 * so attached before it: no socket takes a slot that nothing gives back. */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tp_tcp_destroy, struct sock *sk)
{
	struct sock_slot *ss;
	__u64 tag;

	ss = sock_slot(sk, &tag);
	if (!ss)
		return 0;
	ss->flow = 0;
	for (int i = 0; i < 4; i++) {
		__u64 old = ss->word;

		if (nb_sock_word_tag(old) != tag ||
		    __sync_val_compare_and_swap(&ss->word, old, 0) == old)
			break;
	}
	return 0;
}

/* A new connection: start counting its reads from here. A connection
 * that ends (TCP_CLOSE; connect(AF_UNSPEC) too) forgets the flow its slot
 * notes: the socket may connect elsewhere, and a send in SYN_SENT (TCP
 * Fast Open) must not count into the old flow. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_tcp_state, const struct sock *csk, int oldstate, int newstate)
{
	struct sock *sk = (struct sock *)csk;
	struct sock_seen *st;
	struct sock_slot *ss;
	__u32 copied;
	__u64 tag;

	if (!is_tcp(sk))
		return 0;
	if (newstate == TCP_CLOSE) {
		ss = sock_slot(sk, &tag);
		if (ss)
			ss->flow = 0;
		return 0;
	}
	if (newstate != TCP_ESTABLISHED)
		return 0;
	copied = BPF_CORE_READ((struct tcp_sock *)sk, copied_seq);
	if (take_slot(sk, copied))
		return 0;
	st = bpf_sk_storage_get(&sock_seen, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (st) {
		st->copied = copied;
		st->fin = 0;	/* connected again: a new FIN to come */
	}
	return 0;
}

/* Rung 2: fexit, with the arguments and the return value at hand. */

/* udpv6_sendmsg hands v4-mapped destinations to udp_sendmsg: on an
 * AF_INET6 socket udp_sendmsg is nested and udpv6_sendmsg counts it. */
static __always_inline int nested_udp(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET6;
}

/* fexit/FN, program FX: what a sendmsg sent, for its socket; NESTED: skip
 * the calls nested_udp says another program counts. */
#define FEXIT_SENDMSG(fn, fx, nested)					\
	SEC("fexit/" #fn)						\
	int BPF_PROG(fx, struct sock *sk, void *msg, __u64 size, int ret)	\
	{								\
		if (!(nested && nested_udp(sk)))			\
			count(sk, ret, NB_TX, NULL, NULL, false);			\
		return 0;						\
	}

FEXIT_SENDMSG(tcp_sendmsg, fx_tcp_send, false)
FEXIT_SENDMSG(udp_sendmsg, fx_udp_send, true)
FEXIT_SENDMSG(udpv6_sendmsg, fx_udp6_send, false)

/* sendfile and splice to a socket before Linux 6.5 (commit c5c37af6ecad
 * turned them into sendmsg with MSG_SPLICE_PAGES): the loader turns these
 * off where the kernel has no such function. */
#define FEXIT_SENDPAGE(fn, fx)						\
	SEC("fexit/" #fn)						\
	int BPF_PROG(fx, struct sock *sk, void *page, int offset, __u64 size,	\
		     int flags, int ret)				\
	{								\
		count(sk, ret, NB_TX, NULL, NULL, false);				\
		return 0;						\
	}

FEXIT_SENDPAGE(tcp_sendpage, fx_tcp_sendpage)
FEXIT_SENDPAGE(udp_sendpage, fx_udp_sendpage)

/* The u64 at ctx[i], i a constant. Plain ctx[3] and ctx[4] in the two
 * branches below let clang merge them into one load at a computed offset,
 * which the verifier refuses ("dereference of modified ctx ptr", seen on
 * Linux 6.1): each asm is a load of its own at a constant offset. */
#define ctx_arg(ctx, i) ({						\
	__u64 __v;							\
	asm volatile("%0 = *(u64 *)(%1 + %2)"				\
		     : "=r"(__v) : "r"(ctx), "i"((i) * 8));		\
	__v;								\
})

/* recvmsg(sk, msg, len, [noblock,] flags, addr_len): see recv_nargs. */
static __always_inline void fx_recv(__u64 *ctx)
{
	struct sock *sk = (struct sock *)ctx[0];
	__u64 flags, ret;

	if (recv_nargs == 5) {
		flags = ctx_arg(ctx, 3);
		ret = ctx_arg(ctx, 5);
	} else {
		flags = ctx_arg(ctx, 4);
		ret = ctx_arg(ctx, 6);
	}
	if (!(flags & NOT_PAYLOAD))
		count(sk, (int)ret, NB_RX, NULL, NULL, false);
}

/* fexit/FN, program FX: what a recvmsg received, for its socket. */
#define FEXIT_RECVMSG(fn, fx)						\
	SEC("fexit/" #fn)						\
	int fx(__u64 *ctx)						\
	{								\
		fx_recv(ctx);						\
		return 0;						\
	}

FEXIT_RECVMSG(tcp_recvmsg, fx_tcp_recv)
FEXIT_RECVMSG(udp_recvmsg, fx_udp_recv)
FEXIT_RECVMSG(udpv6_recvmsg, fx_udp6_recv)

/* AF_PACKET (af_packet.c, built in or the module af_packet): the
 * proto_ops of SOCK_RAW and SOCK_DGRAM packet sockets, called by
 * sock_sendmsg()/sock_recvmsg() with what rung 1's tracepoints see; the
 * loader turns these off where the kernel has no such function (the
 * module not loaded: then no packet socket exists). */
SEC("fexit/packet_sendmsg")
int BPF_PROG(fx_packet_send, struct socket *sock, void *msg, __u64 len, int ret)
{
	count(BPF_CORE_READ(sock, sk), ret, NB_TX, NULL, NULL, false);
	return 0;
}

SEC("fexit/packet_recvmsg")
int BPF_PROG(fx_packet_recv, struct socket *sock, void *msg, __u64 len, int flags, int ret)
{
	if (!(flags & NOT_PAYLOAD))
		count(BPF_CORE_READ(sock, sk), ret, NB_RX, NULL, NULL, false);
	return 0;
}

/* Rung 3: kprobes. The return probe has no arguments, so the entry probe
 * keeps the socket for it, keyed by thread. */

/* The stash is keyed by thread, and by slot: udp_sendpage calls
 * udp_sendmsg (slot 0) from inside itself (slot 1). tgid < 2^22, so the
 * top bit of the key is free for the slot. */
static __always_inline void kp_enter(struct sock *sk, __u64 flags, __u64 slot)
{
	__u64 id = bpf_get_current_pid_tgid() | slot << 63;
	struct stash s = { .sk = (__u64)sk, .peek = !!(flags & NOT_PAYLOAD) };

	if (bpf_map_update_elem(&stash, &id, &s, BPF_ANY))
		drop(NB_DROP_STASH);
}

static __always_inline void kp_return(long ret, int dir, __u64 slot)
{
	__u64 id = bpf_get_current_pid_tgid() | slot << 63;
	struct stash *s = bpf_map_lookup_elem(&stash, &id);

	if (!s)
		return;	/* entry was skipped (nested) or its stash was full */
	if (!s->peek)
		count((struct sock *)s->sk, ret, dir, NULL, NULL, false);
	bpf_map_delete_elem(&stash, &id);
}

/* Both registers are always there to read: read both, then choose (a
 * load at an offset chosen at run time is refused, see ctx_arg). */
static __always_inline __u64 kp_recv_flags(struct pt_regs *ctx)
{
	__u64 p4 = PT_REGS_PARM4(ctx), p5 = PT_REGS_PARM5(ctx);

	barrier_var(p4);
	barrier_var(p5);
	return recv_nargs == 5 ? p4 : p5;
}

/* kretprobe/FN, program KR: counts what FN returned in direction DIR,
 * for the socket its kprobe kept in stash slot SLOT. */
#define KRETPROBE_COUNT(fn, kr, dir, slot)				\
	SEC("kretprobe/" #fn)						\
	int BPF_KRETPROBE(kr, int ret)					\
	{								\
		kp_return(ret, dir, slot);				\
		return 0;						\
	}

/* kprobe/FN and kretprobe/FN (programs KP and KR) for a sendmsg or
 * sendpage with the socket first; NESTED: skip the calls nested_udp says
 * another probe counts. */
#define KPROBE_SEND(fn, kp, kr, slot, nested)				\
	SEC("kprobe/" #fn)						\
	int BPF_KPROBE(kp, struct sock *sk)				\
	{								\
		if (!(nested && nested_udp(sk)))			\
			kp_enter(sk, 0, slot);				\
		return 0;						\
	}								\
	KRETPROBE_COUNT(fn, kr, NB_TX, slot)

/* The same for a recvmsg with the socket first; a peek counts nothing. */
#define KPROBE_RECV(fn, kp, kr)						\
	SEC("kprobe/" #fn)						\
	int BPF_KPROBE(kp, struct sock *sk)				\
	{								\
		kp_enter(sk, kp_recv_flags(ctx), 0);			\
		return 0;						\
	}								\
	KRETPROBE_COUNT(fn, kr, NB_RX, 0)

KPROBE_SEND(tcp_sendmsg, kp_tcp_send, kr_tcp_send, 0, false)
KPROBE_SEND(udp_sendmsg, kp_udp_send, kr_udp_send, 0, true)
KPROBE_SEND(udpv6_sendmsg, kp_udp6_send, kr_udp6_send, 0, false)
KPROBE_SEND(tcp_sendpage, kp_tcp_sendpage, kr_tcp_sendpage, 1, false)
KPROBE_SEND(udp_sendpage, kp_udp_sendpage, kr_udp_sendpage, 1, false)
KPROBE_RECV(tcp_recvmsg, kp_tcp_recv, kr_tcp_recv)
KPROBE_RECV(udp_recvmsg, kp_udp_recv, kr_udp_recv)
KPROBE_RECV(udpv6_recvmsg, kp_udp6_recv, kr_udp6_recv)

/* AF_PACKET: the socket is the struct socket's. */
SEC("kprobe/packet_sendmsg")
int BPF_KPROBE(kp_packet_send, struct socket *sock)
{
	kp_enter(BPF_CORE_READ(sock, sk), 0, 0);
	return 0;
}

KRETPROBE_COUNT(packet_sendmsg, kr_packet_send, NB_TX, 0)

SEC("kprobe/packet_recvmsg")
int BPF_KPROBE(kp_packet_recv, struct socket *sock, void *msg, __u64 len, int flags)
{
	kp_enter(BPF_CORE_READ(sock, sk), flags, 0);
	return 0;
}

KRETPROBE_COUNT(packet_recvmsg, kr_packet_recv, NB_RX, 0)

/* The slot of a task's process, or NULL. */
static __always_inline struct nb_slot *task_slot(struct task_struct *task)
{
	struct nb_proc_key key = {};
	__u32 *slotp;

	key.tgid = BPF_CORE_READ(task, tgid);
	key.start_ns = task_start(BPF_CORE_READ(task, group_leader));
	slotp = bpf_map_lookup_elem(&procs, &key);
	return slotp ? bpf_map_lookup_elem(&slots, slotp) : NULL;
}

/* Every rung: a process that execs takes its new name (a wrapper that
 * talks, then execs the real program, is shown as that program), and the
 * cgroup it was moved to before the exec (a container's first process). */
SEC("raw_tp/sched_process_exec")
int nb_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	struct nb_slot *s = task_slot(task);

	if (s) {
		BPF_CORE_READ_STR_INTO(&s->comm, task, comm);
		s->cgroup_id = note_cgroup();
	}
	return 0;
}

/* Every rung: mark a process exited when its last thread exits, so the
 * collector reads it a last time and frees its slot. */
SEC("raw_tp/sched_process_exit")
int nb_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	struct nb_slot *s;

	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;	/* other threads of the group still run */
	s = task_slot(task);
	if (s)
		__sync_lock_test_and_set(&s->state, NB_SLOT_EXITED);
	return 0;
}
