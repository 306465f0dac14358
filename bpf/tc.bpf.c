// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf interface accounting: bytes and packets per ifindex and direction,
 * counted by a TC classifier that never changes a packet's fate.
 *
 * Two entry points share one handler, count(): nb_tc_ingress and
 * nb_tc_egress. Both are plain SEC("tc") (BPF_PROG_TYPE_SCHED_CLS)
 * programs, so the loader attaches them either with tcx links
 * (BPF_TCX_INGRESS/BPF_TCX_EGRESS, Linux 6.6+) or as direct-action filters
 * of a clsact qdisc.
 *
 * They always return TC_ACT_UNSPEC (TCX_NEXT in tcx terms): the next
 * program or filter still runs, and the packet goes on as if netbpf were
 * not there. TC_ACT_OK would end the chain and skip the programs after us.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tc_shared.h"
#include "maps.h"

#define TC_ACT_UNSPEC	(-1)	/* a macro in uapi, not in vmlinux.h */
#define PACKET_LOOPBACK	5	/* uapi if_packet.h, not in vmlinux.h */
#define ETH_P_IP	0x0800	/* uapi if_ether.h, not in vmlinux.h */
#define ETH_P_IPV6	0x86DD
#define IP_OFFSET_MASK	0x1fff	/* the fragment offset in iphdr.frag_off */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Who loaded us: set by the loader before load, never read here. */
const volatile struct nb_tc_owner owner = {};

/* Per-CPU: every CPU counts the packets of a busy interface, so one shared
 * value would bounce between all of them. Allocated as interfaces appear,
 * not for all 4,096 up front: memory follows live interfaces x CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NB_TC_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct nb_tc_counts);
} ifaces SEC(".maps");

/* Interfaces with ifindex < NB_TC_DIRECT (per CPU, 32 bytes each): no
 * hashing on the hot path; 8 KiB per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NB_TC_DIRECT);
	__type(key, __u32);
	__type(value, struct nb_tc_counts);
} ifaces_direct SEC(".maps");

/* Updates lost because 'ifaces' was full, per CPU, by enum nb_tc_drop. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NB_TC_NDROPS);
	__type(key, __u32);
	__type(value, __u64);
} tc_drops SEC(".maps");

/*
 * Host pairs. The counting code stays in the program only when the loader
 * asks for it (hosts_able, .rodata: with it false the verifier removes the
 * dead branch, and a packet costs what it cost before host pairs existed);
 * it runs only while hosts_on is set (.bss: top sets it when its Hosts
 * view is first shown). host_ports adds the remote port to the key.
 */
const volatile bool hosts_able = false;
const volatile bool host_ports = false;
__u32 hosts_on = 0;

/*
 * One shared value per pair, not per CPU: 16,384 x 32 bytes per CPU would
 * be 64 MiB at 128 CPUs. A pair's packets mostly come through one receive
 * queue (RSS hashes by flow) and leave from the CPUs of its senders, so
 * few CPUs share a value; adds are atomic, so none is lost. Entries are
 * allocated as pairs appear; userspace deletes the idle ones.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NB_TC_MAX_HOSTS);
	__type(key, struct nb_host_key);
	__type(value, struct nb_host_counts);
} hosts SEC(".maps");

/* The first value of a new entry: in .rodata, so that no packet pays for
 * zeroing one on the stack (only a miss reads it). */
static const struct nb_tc_counts zero_counts = {};
static const struct nb_host_counts zero_hosts = {};

static __always_inline void drop(__u32 which)
{
	nb_drop(&tc_drops, which);
}

/*
 * Per-CPU values, and the TC hooks run with bottom halves off (in softirq,
 * or in process context under rcu_read_lock_bh): no other run of these
 * programs on this CPU can come between a load and its store, so plain
 * adds lose nothing. (BPF_PROG_TEST_RUN runs them with bottom halves on,
 * but the tests run a skeleton of their own that no interface feeds.)
 */
static __always_inline void add(struct nb_tc_counts *c, __u64 len, __u32 pkts, int ingress)
{
	if (ingress) {
		c->rx_bytes += len;
		c->rx_packets += pkts;
	} else {
		c->tx_bytes += len;
		c->tx_packets += pkts;
	}
}

/* Linux 6.3+; weak: on older kernels it resolves to 0, and GSO packets are
 * counted as the hook sees them (see sw_segments() and rx_segments()). */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

#define NETIF_F_GSO_SHIFT	16	/* NETIF_F_TSO_BIT: SKB_GSO_* << 16 = NETIF_F_* */

/*
 * Will the kernel cut this GSO packet into segments in software before the
 * device gets it? It does (validate_xmit_skb, after the TC egress hook) when
 * the device lacks a feature bit for one of the packet's GSO types (as
 * net_gso_ok() tests): with TSO off, or TSO and GSO off, on a veth. The
 * device then counts every segment, each with its own headers.
 */
static __always_inline bool sw_segments(struct __sk_buff *ctx)
{
	struct net_device *dev;
	struct sk_buff *skb;
	__u64 features, want;
	__u32 gso_type = 0;

	if (!bpf_ksym_exists(bpf_cast_to_kern_ctx))
		return false;	/* before 6.3: not known here */
	skb = bpf_cast_to_kern_ctx(ctx);
	dev = skb->dev;
	if (!dev)
		return false;
	features = dev->features;
	/* skb_shinfo(skb): at skb->head + skb->end (an offset on 64-bit) */
	bpf_probe_read_kernel(&gso_type, sizeof(gso_type),
			      skb->head + skb->end +
			      bpf_core_field_offset(struct skb_shared_info, gso_type));
	want = (__u64)gso_type << NETIF_F_GSO_SHIFT;
	return (features & want) != want;
}

/* Where the kernel says the network header is, from skb->data (the
 * length of the link header: 14 on Ethernet, 0 on a tun or WireGuard
 * device); -1 before Linux 6.3 (no bpf_cast_to_kern_ctx). */
static __always_inline int net_offset(struct __sk_buff *ctx)
{
	struct sk_buff *skb;

	if (!bpf_cast_to_kern_ctx)
		return -1;
	skb = bpf_cast_to_kern_ctx(ctx);
	return (int)skb->network_header - (int)(skb->data - skb->head);
}

/* len bytes of the network header: read in place where they are in the
 * linear data (make bench: 40 ns less than the helper), else copied by
 * bpf_skb_load_bytes_relative. */
static __always_inline int load_net(struct __sk_buff *skb, int off, void *buf, __u32 len)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (off >= 0 && off <= 64) {
		void *p = data + (off & 127);

		if (p + len <= end) {
			__builtin_memcpy(buf, p, len);
			return 0;
		}
	}
	return bpf_skb_load_bytes_relative(skb, 0, buf, len, BPF_HDR_START_NET);
}

/* The host pair of an IPv4 or IPv6 packet, from its network header (found
 * by the kernel: Ethernet, VLAN offload, or no link header at all). */
static __always_inline int host_key(struct __sk_buff *skb, struct nb_host_key *k, int ingress)
{
	int off = net_offset(skb);
	__u32 l4 = 0;
	__u16 ports[2];
	__u8 proto;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (load_net(skb, off, &ip, sizeof(ip)))
			return -1;
		k->family = 4;
		__builtin_memcpy(ingress ? k->raddr : k->laddr, &ip.saddr, 4);
		__builtin_memcpy(ingress ? k->laddr : k->raddr, &ip.daddr, 4);
		proto = ip.protocol;
		if (!(ip.frag_off & bpf_htons(IP_OFFSET_MASK)))
			l4 = ip.ihl * 4;	/* no ports in a later fragment */
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (load_net(skb, off, &ip6, sizeof(ip6)))
			return -1;
		k->family = 6;
		__builtin_memcpy(ingress ? k->raddr : k->laddr, &ip6.saddr, 16);
		__builtin_memcpy(ingress ? k->laddr : k->raddr, &ip6.daddr, 16);
		proto = ip6.nexthdr;	/* ports only without extension headers */
		l4 = sizeof(ip6);
	} else {
		return -1;	/* ARP and the rest: the interface rows count them */
	}
	if (host_ports && l4 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
	    !bpf_skb_load_bytes_relative(skb, l4, ports, sizeof(ports), BPF_HDR_START_NET))
		k->rport = bpf_ntohs(ingress ? ports[0] : ports[1]);
	return 0;
}

/* Count one packet for its host pair, with the interface's len and pkts. */
static __always_inline void count_host(struct __sk_buff *skb, __u64 len, __u32 pkts, int ingress)
{
	struct nb_host_key k = {};
	struct nb_host_counts *c;

	k.ifindex = skb->ifindex;
	if (host_key(skb, &k, ingress))
		return;
	c = nb_lookup_or_init(&hosts, &k, &zero_hosts);
	if (!c) {
		drop(NB_TC_DROP_HOSTS);
		return;
	}
	if (ingress) {
		__sync_fetch_and_add(&c->rx_bytes, len);
		__sync_fetch_and_add(&c->rx_packets, pkts);
	} else {
		__sync_fetch_and_add(&c->tx_bytes, len);
		__sync_fetch_and_add(&c->tx_packets, pkts);
	}
}

#define ETH_HLEN	14

/* The link ops of veth, once a veth was seen (the module may load late):
 * then one compare, not a string read, tells a veth. And those of the
 * last other device with link ops whose kind was read, so that a busy
 * bridge or tun device (at egress: one with TSO off, see peer_counts())
 * is not read at every packet either. */
__u64 veth_ops, other_ops;

enum dev_kind { DEV_OTHER, DEV_PHYS, DEV_VETH };

static __always_inline enum dev_kind dev_kind(struct net_device *dev)
{
	const struct rtnl_link_ops *ops = dev->rtnl_link_ops;
	char kind[5] = {};

	if (!ops)
		return DEV_PHYS;	/* a driver of a real device: no link ops */
	if ((__u64)ops == veth_ops)
		return DEV_VETH;
	if ((__u64)ops == other_ops)
		return DEV_OTHER;
	bpf_probe_read_kernel(kind, sizeof(kind), ops->kind);
	if (kind[0] != 'v' || kind[1] != 'e' || kind[2] != 't' || kind[3] != 'h' || kind[4]) {
		other_ops = (__u64)ops;
		return DEV_OTHER;	/* bridge, vlan, bond...: they count the merged skb */
	}
	veth_ops = (__u64)ops;
	return DEV_VETH;
}

/* The network and transport headers each segment of a GRO-merged TCP or
 * UDP packet had (GRO merges only equal headers: IPv4 without options,
 * the same TCP options), read past the link header; 0 when not known. */
static __always_inline __u32 seg_hdr_len(struct __sk_buff *ctx, __u32 mac_len)
{
	__u8 b[53];

	if (ctx->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(ctx, mac_len, b, 33) || b[0] != 0x45)
			return 0;
		if (b[9] == IPPROTO_TCP)
			return 20 + (b[32] >> 4) * 4;
		return b[9] == IPPROTO_UDP ? 20 + 8 : 0;
	}
	if (ctx->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(ctx, mac_len, b, 53))
			return 0;
		if (b[6] == IPPROTO_TCP)
			return 40 + (b[52] >> 4) * 4;
		return b[6] == IPPROTO_UDP ? 40 + 8 : 0;
	}
	return 0;
}

/*
 * The veth driver's private data (struct veth_priv and struct veth_rq in
 * drivers/net/veth.c), as local flavours: CO-RE finds these fields in the
 * veth module's BTF, or in vmlinux's where veth is built in. Where neither
 * has them (the module was not loaded when netbpf loaded this program),
 * bpf_core_type_exists() is false and the code that reads them is dead.
 */
struct veth_rq___nb {
	struct napi_struct *napi;
} __attribute__((preserve_access_index));

struct veth_priv___nb {
	struct net_device *peer;
	struct veth_rq___nb *rq;
} __attribute__((preserve_access_index));

/* NETIF_F_ALL_TSO: the TSO feature bits, SKB_GSO_TCPV4, _TCP_ECN,
 * _TCP_FIXEDID and _TCPV6 shifted by NETIF_F_GSO_SHIFT (the first GSO
 * types, the same bits in every kernel this program runs on). */
#define NETIF_F_ALL_TSO	((1ULL << 16) | (1ULL << 18) | (1ULL << 19) | (1ULL << 20))

/* netdev_priv(dev): the driver's private data after struct net_device,
 * aligned to NETDEV_ALIGN (32); on newer kernels (6.18 here) the flexible
 * array net_device.priv, at that same place. */
static __always_inline void *netdev_priv(struct net_device *dev)
{
	if (bpf_core_field_exists(struct net_device, priv))
		return (void *)dev + bpf_core_field_offset(struct net_device, priv);
	return (void *)dev + ((bpf_core_type_size(struct net_device) + 31) & ~31);
}

/*
 * Does the peer of this veth count what it sends, instead of the veth
 * itself? veth_xmit() (Linux 6.1 to 6.18) puts an skb on its peer's NAPI
 * ring when the peer's receive queue has NAPI on (rq->napi: the peer has
 * GRO on, or an XDP program) and the skb is worth GRO there
 * (veth_skb_is_eligible_for_gro(): the veth has no TSO; or the peer's
 * queue has an XDP program; or the skb is a UDP socket's (sock_wfree)
 * and the peer has rx-gro-list or rx-udp-gro-forwarding). Then the
 * veth's tx counters are what the peer's veth_xdp_rcv() counts as it
 * takes each skb off the ring: one packet, and skb->len after
 * __dev_forward_skb() pulled the Ethernet header. A GSO packet was
 * segmented before veth_xmit() (no TSO: sw_segments()), so that is each
 * segment without its 14 bytes.
 *
 * Only the first case is checked: the peer's data is read only for a
 * veth with TSO off. With TSO on (the default) the skb is counted on the
 * veth as before, which is 14 B a packet over where the peer has an XDP
 * program or takes UDP GSO (README.md).
 *
 * The queue: the hook runs before netdev_core_pick_tx() chooses one, so
 * rq[0] is read. A veth has one queue unless made with numtxqueues, and
 * NAPI goes on and off for all of a device's queues at once.
 *
 * Cost: a bpf_probe_read_kernel() is some 50 ns on this machine. The
 * peer takes one; then a peer without NAPI is told by a plain load of its
 * napi_list (veth adds its queues' NAPI instances there before it sets
 * rq->napi, and deletes them after it clears it: veth_napi_enable_range(),
 * veth_napi_del_range()), and only a peer with NAPI costs the two more
 * reads to rq[0].napi. make bench with BENCH_VETH_A="tso off": tc egress
 * 75 ns before, 145 ns (195 with the three reads for all) with the peer's
 * GRO off; 205 ns with BENCH_VETH_B="gro on"; TSO on: as before.
 */
static __always_inline bool peer_counts(struct __sk_buff *ctx)
{
	struct veth_priv___nb *priv;
	struct veth_rq___nb *rq;
	struct net_device *dev, *peer;
	struct sk_buff *skb;

	if (!bpf_core_type_exists(struct veth_priv___nb) ||
	    !bpf_core_field_exists(struct veth_rq___nb, napi))
		return false;	/* no veth BTF when loaded: as before */
	if (!bpf_ksym_exists(bpf_cast_to_kern_ctx) || !bpf_ksym_exists(bpf_rdonly_cast))
		return false;	/* before 6.3: not known here */
	skb = bpf_cast_to_kern_ctx(ctx);
	dev = skb->dev;
	if (!dev || (dev->features & NETIF_F_ALL_TSO) || dev_kind(dev) != DEV_VETH)
		return false;
	priv = netdev_priv(dev);
	peer = BPF_CORE_READ(priv, peer);
	if (!peer)
		return false;
	/* the peer's net_device, read by plain loads (that the JIT guards) */
	peer = bpf_rdonly_cast(peer, bpf_core_type_id_kernel(struct net_device));
	if ((__u64)peer->napi_list.next == (__u64)&peer->napi_list)
		return false;	/* no NAPI instance at all */
	priv = netdev_priv(peer);
	rq = BPF_CORE_READ(priv, rq);
	return rq && BPF_CORE_READ(rq, napi);
}

/*
 * A packet that came up through NAPI (napi_id set: GRO may have merged
 * it) as the device counted it, before GRO. A real device's driver counts
 * every frame it received, link header included; GRO then merges them
 * into one skb of gso_segs segments. A veth with GRO on (its NAPI path:
 * the peer's TSO off, see veth_xmit()) counts every skb its peer sent as
 * veth_xdp_rcv() takes it from its ring, after eth_type_trans() pulled
 * the Ethernet header: skb->len without those 14 bytes. Other devices
 * (bridge, vlan, bond) count the skb they see: as it is.
 */
static __always_inline void rx_segments(struct __sk_buff *ctx, __u64 *len, __u32 *pkts)
{
	struct sk_buff *skb;
	struct net_device *dev;
	enum dev_kind kind;
	__u32 segs = ctx->gso_segs, hdr;

	if (!bpf_ksym_exists(bpf_cast_to_kern_ctx))
		return;	/* before 6.3: as the hook sees it */
	skb = bpf_cast_to_kern_ctx(ctx);
	dev = skb->dev;
	if (!dev)
		return;
	kind = dev_kind(dev);
	if (kind == DEV_OTHER)
		return;
	/* a tunnel's merged packets (VXLAN, Geneve, GRE, IPIP: GRO marks them
	 * encapsulated) had outer and inner headers each: counted as seen */
	if (ctx->gso_size && segs > 1 && !BPF_CORE_READ_BITFIELD(skb, encapsulation)) {
		hdr = seg_hdr_len(ctx, skb->mac_len);
		if (hdr) {
			if (kind == DEV_PHYS)
				hdr += skb->mac_len;	/* each frame's link header */
			*len += (__u64)(segs - 1) * hdr;
			*pkts = segs;
		}
	}
	if (kind == DEV_VETH)
		*len -= ETH_HLEN;	/* a veth is always Ethernet */
}

static __always_inline int count(struct __sk_buff *skb, int ingress)
{
	struct nb_tc_counts *c;
	__u32 key = skb->ifindex;
	__u64 len = skb->len;
	__u32 pkts = 1;

	/* The kernel's own copy of a multicast or broadcast packet this host
	 * sent out of this interface to a group it is in (dev_loopback_xmit():
	 * the neighbour solicitation of duplicate address detection, an MLD
	 * report) comes back through this interface's ingress hook, but
	 * never crossed the device: the device does not
	 * count it as received (nor do packet sockets see it), so neither do
	 * we. On the loopback device itself no such copies are made. */
	if (ingress && skb->pkt_type == PACKET_LOOPBACK)
		return TC_ACT_UNSPEC;
	if (ingress && skb->napi_id)
		rx_segments(skb, &len, &pkts);

	/* A GSO packet at egress that the kernel will segment: count what
	 * the device will, gso_segs frames; wire_len is the kernel's own sum
	 * of their lengths (qdisc_pkt_len_init(): len + (segs - 1) x the
	 * headers before the payload, link header included). */
	if (!ingress && skb->gso_segs > 1 && sw_segments(skb)) {
		pkts = skb->gso_segs;
		len = skb->wire_len;
	}
	/* sent through the peer's NAPI ring: counted there without the
	 * Ethernet header, each of the pkts skbs veth_xmit() gets */
	if (!ingress && peer_counts(skb))
		len -= (__u64)pkts * ETH_HLEN;

	/* host pairs, with the same wire length as the interface rows */
	if (hosts_able && hosts_on)
		count_host(skb, len, pkts, ingress);

	/* Most interfaces: the array, indexed by the ifindex. Its own call
	 * with a constant map, so the verifier inlines the lookup (a map
	 * chosen at run time would be a helper call: make bench, 30 ns). */
	if (key < NB_TC_DIRECT) {
		c = bpf_map_lookup_elem(&ifaces_direct, &key);
		if (c)
			add(c, len, pkts, ingress);
		return TC_ACT_UNSPEC;
	}
	c = nb_lookup_or_init(&ifaces, &key, &zero_counts);
	if (!c) {
		drop(NB_TC_DROP_IFACES);
		return TC_ACT_UNSPEC;
	}
	add(c, len, pkts, ingress);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int nb_tc_ingress(struct __sk_buff *skb)
{
	return count(skb, 1);
}

SEC("tc")
int nb_tc_egress(struct __sk_buff *skb)
{
	return count(skb, 0);
}
