// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tc_progtest: run netbpf's TC classifier (bpf/tc.bpf.c) on crafted
 * packets with BPF_PROG_TEST_RUN and check the verdict and the counters.
 * Needs root. Runs in a network namespace of its own, with a veth pair
 * whose ifindexes are given to the program through the __sk_buff context.
 *
 * One line per check: "PASS name" or "FAIL name: why"; exit 0 if all
 * passed, 1 otherwise (77 with one SKIP line when not root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "tc_shared.h"
#include "tc.skel.h"

#define TC_ACT_UNSPEC	(-1)

static int failures;
static bool verbose;

static void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS %s\n", name);
		return;
	}
	failures++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return verbose && level != LIBBPF_DEBUG ? vfprintf(stderr, fmt, ap) : 0;
}

struct pkt {
	const char *name;
	unsigned char data[1600];
	unsigned int len;
};

/* Ethernet + IPv4 or IPv6 + UDP or TCP + 'payload' bytes of pattern. */
static void build(struct pkt *p, const char *name, int v6, int proto, unsigned int payload)
{
	struct ethhdr *eth = (struct ethhdr *)p->data;
	unsigned char *l4;
	unsigned int l4len = (proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
			      sizeof(struct udphdr)) + payload;

	memset(p, 0, sizeof(*p));
	p->name = name;
	memcpy(eth->h_dest, "\x02\x00\x00\x00\x00\x02", ETH_ALEN);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	if (v6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->payload_len = htons(l4len);
		ip6->nexthdr = proto;
		ip6->hop_limit = 64;
		inet_pton(AF_INET6, "fd77::1", &ip6->saddr);
		inet_pton(AF_INET6, "fd77::2", &ip6->daddr);
		l4 = (unsigned char *)(ip6 + 1);
	} else {
		struct iphdr *ip = (struct iphdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(sizeof(*ip) + l4len);
		ip->ttl = 64;
		ip->protocol = proto;
		inet_pton(AF_INET, "10.77.0.1", &ip->saddr);
		inet_pton(AF_INET, "10.77.0.2", &ip->daddr);
		l4 = (unsigned char *)(ip + 1);
	}
	if (proto == IPPROTO_TCP) {
		struct tcphdr *t = (struct tcphdr *)l4;

		t->source = htons(40000);
		t->dest = htons(5201);
		t->doff = 5;
		t->ack = 1;
	} else {
		struct udphdr *u = (struct udphdr *)l4;

		u->source = htons(40000);
		u->dest = htons(5201);
		u->len = htons(l4len);
	}
	p->len = (l4 - p->data) + l4len;
	for (unsigned int i = p->len - payload; i < p->len; i++)
		p->data[i] = i & 0xff;
}

/* Run prog on p, 'repeat' times, as seen on ifindex; check the verdict and
 * that the packet comes out unchanged. */
static void run(struct bpf_program *prog, const struct pkt *p, int ifindex, int repeat,
		const char *what)
{
	unsigned char out[sizeof(p->data)];
	struct __sk_buff ctx = { .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o,
		    .data_in = p->data, .data_size_in = p->len,
		    .data_out = out, .data_size_out = sizeof(out),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);
	char name[128];
	int err;

	snprintf(name, sizeof(name), "%s_%s_verdict", what, p->name);
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);
	check(!err && (int)o.retval == TC_ACT_UNSPEC, name,
	      "err %d (%s), retval %d, want TC_ACT_UNSPEC (-1)", err,
	      err ? strerror(-err) : "ok", (int)o.retval);
	snprintf(name, sizeof(name), "%s_%s_unchanged", what, p->name);
	check(!err && o.data_size_out == p->len && !memcmp(out, p->data, p->len), name,
	      "%u bytes out, %u in, %s", o.data_size_out, p->len,
	      o.data_size_out == p->len ? "contents differ" : "sizes differ");
}

static struct nb_tc_counts counts(struct tc_bpf *s, __u32 ifindex, int ncpus)
{
	struct nb_tc_counts v[ncpus], sum = {};

	/* small ifindexes have their counters in the array, others in the hash */
	if (bpf_map__lookup_elem(ifindex < NB_TC_DIRECT ? s->maps.ifaces_direct : s->maps.ifaces,
				 &ifindex, sizeof(ifindex), v, sizeof(v), 0))
		return sum;
	for (int i = 0; i < ncpus; i++) {
		sum.rx_bytes += v[i].rx_bytes;
		sum.rx_packets += v[i].rx_packets;
		sum.tx_bytes += v[i].tx_bytes;
		sum.tx_packets += v[i].tx_packets;
	}
	return sum;
}

static void check_counts(const char *name, struct nb_tc_counts got, struct nb_tc_counts want)
{
	check(!memcmp(&got, &want, sizeof(got)), name,
	      "rx %llu B %llu pkt, tx %llu B %llu pkt; want rx %llu B %llu pkt, tx %llu B %llu pkt",
	      (unsigned long long)got.rx_bytes, (unsigned long long)got.rx_packets,
	      (unsigned long long)got.tx_bytes, (unsigned long long)got.tx_packets,
	      (unsigned long long)want.rx_bytes, (unsigned long long)want.rx_packets,
	      (unsigned long long)want.tx_bytes, (unsigned long long)want.tx_packets);
}

static uint64_t drops(struct tc_bpf *s, int ncpus)
{
	__u32 key = NB_TC_DROP_IFACES;
	__u64 v[ncpus], sum = 0;

	if (bpf_map__lookup_elem(s->maps.tc_drops, &key, sizeof(key), v, sizeof(v), 0))
		return ~0ull;
	for (int i = 0; i < ncpus; i++)
		sum += v[i];
	return sum;
}

/* Open and load the skeleton; btf: the BTF file libbpf's CO-RE reads
 * instead of the kernel's (NULL: the kernel's, modules included). */
static struct tc_bpf *load_btf(unsigned int max_entries, const char *btf)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf);
	struct tc_bpf *s = tc_bpf__open_opts(&oo);

	if (!s)
		return NULL;
	if ((max_entries && bpf_map__set_max_entries(s->maps.ifaces, max_entries)) ||
	    tc_bpf__load(s)) {
		tc_bpf__destroy(s);
		return NULL;
	}
	return s;
}

static struct tc_bpf *load(unsigned int max_entries)
{
	return load_btf(max_entries, NULL);
}

/*
 * The kernel's BTF with struct veth_priv and struct veth_rq renamed, in a
 * file: what libbpf finds on a kernel whose veth module was not loaded
 * when netbpf started (where veth is a module, the kernel's BTF has them
 * not at all, and the file is that BTF as it is). The type ids stay, as
 * bpf_core_type_id_kernel() needs. 0 and the file's name in path, or -1.
 */
static int btf_without_veth(char *path)
{
	static const char *const names[] = { "veth_priv", "veth_rq" };
	struct btf *btf = btf__load_vmlinux_btf();
	const void *raw;
	__u32 size;
	int fd, ok;

	if (!btf)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int id = btf__find_by_name_kind(btf, names[i], BTF_KIND_STRUCT);
		char other[32];
		int off;

		if (id < 0)
			continue;
		snprintf(other, sizeof(other), "nb_not_%s", names[i]);
		off = btf__add_str(btf, other);	/* first: makes btf writable */
		if (off < 0) {
			btf__free(btf);
			return -1;
		}
		((struct btf_type *)btf__type_by_id(btf, id))->name_off = off;
	}
	raw = btf__raw_data(btf, &size);
	fd = raw ? mkstemp(path) : -1;
	ok = fd >= 0 && write(fd, raw, size) == (ssize_t)size;
	if (fd >= 0)
		close(fd);
	btf__free(btf);
	if (!ok && fd >= 0)
		unlink(path);
	return ok ? 0 : -1;
}

/*
 * A veth whose peer counts what it sends: nbt0 with TSO off, its peer
 * nbt1 with GRO on (up: the peer's NAPI ring, veth_xmit()). The peer's
 * veth_xdp_rcv() counts each skb without its Ethernet header, and so does
 * the egress hook; nbt1 (TSO on) counts whole frames. With the veth types
 * not in BTF (a module loaded after netbpf started) the program loads and
 * counts whole frames, as before it read the peer.
 */
static void peer_napi_tests(int a, int b, const struct pkt *p, int ncpus)
{
	char path[] = "/tmp/nb-noveth-btf.XXXXXX";
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct nb_tc_counts want;
	struct tc_bpf *s;
	__u64 hdr = ETH_HLEN;

	/* before Linux 6.3 (no kfunc bpf_cast_to_kern_ctx) the program does
	 * not read the device: whole frames */
	if (!vmlinux || btf__find_by_name_kind(vmlinux, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) < 0)
		hdr = 0;
	btf__free(vmlinux);
	if (system("ethtool -K nbt0 tso off >/dev/null 2>&1 && "
		   "ethtool -K nbt1 gro on >/dev/null 2>&1 && "
		   "ip link set nbt0 up && ip link set nbt1 up") != 0) {
		printf("SKIP peer_napi: ethtool -K or ip link set failed (ethtool installed?)\n");
		return;
	}
	s = load(0);
	check(s != NULL, "peer_napi_load", "tc_bpf__load: %s", strerror(errno));
	if (s) {
		run(s->progs.nb_tc_egress, p, a, 2, "peer_napi");
		run(s->progs.nb_tc_egress, p, b, 1, "peer_no_napi");
		want = (struct nb_tc_counts){ .tx_bytes = 2 * (p->len - hdr), .tx_packets = 2 };
		check_counts("peer_napi_counts_nbt0", counts(s, a, ncpus), want);
		want = (struct nb_tc_counts){ .tx_bytes = p->len, .tx_packets = 1 };
		check_counts("peer_no_napi_counts_nbt1", counts(s, b, ncpus), want);
		tc_bpf__destroy(s);
	}
	if (btf_without_veth(path)) {
		printf("FAIL no_veth_btf: cannot write a BTF file without the veth types\n");
		failures++;
		return;
	}
	s = load_btf(0, path);
	check(s != NULL, "no_veth_btf_load", "tc_bpf__load: %s (hint: -v)", strerror(errno));
	if (s) {
		run(s->progs.nb_tc_egress, p, a, 2, "no_veth_btf");
		want = (struct nb_tc_counts){ .tx_bytes = 2 * p->len, .tx_packets = 2 };
		check_counts("no_veth_btf_counts_nbt0", counts(s, a, ncpus), want);
		tc_bpf__destroy(s);
	}
	unlink(path);
}

/* The counts of one host pair (key built here: an independent truth). */
static struct nb_host_counts host(struct tc_bpf *s, __u32 ifindex, int v6, const char *l,
				  const char *r, __u16 rport)
{
	struct nb_host_key k = { .ifindex = ifindex, .family = v6 ? 6 : 4, .rport = rport };
	struct nb_host_counts v = {};

	inet_pton(v6 ? AF_INET6 : AF_INET, l, k.laddr);
	inet_pton(v6 ? AF_INET6 : AF_INET, r, k.raddr);
	if (bpf_map__lookup_elem(s->maps.hosts, &k, sizeof(k), &v, sizeof(v), 0))
		memset(&v, 0xff, sizeof(v));	/* not there */
	return v;
}

static void check_host(const char *name, struct nb_host_counts g, uint64_t txb, uint64_t txp,
		       uint64_t rxb, uint64_t rxp)
{
	check(g.tx_bytes == txb && g.tx_packets == txp && g.rx_bytes == rxb && g.rx_packets == rxp,
	      name, "tx %llu B %llu pkt, rx %llu B %llu pkt; want tx %llu B %llu pkt, rx %llu B %llu pkt",
	      (unsigned long long)g.tx_bytes, (unsigned long long)g.tx_packets,
	      (unsigned long long)g.rx_bytes, (unsigned long long)g.rx_packets,
	      (unsigned long long)txb, (unsigned long long)txp, (unsigned long long)rxb,
	      (unsigned long long)rxp);
}

static unsigned int map_entries(struct bpf_map *m, size_t ksz)
{
	char k[64], n[64];
	unsigned int c = 0;
	void *prev = NULL;

	while (!bpf_map__get_next_key(m, prev, n, ksz)) {
		memcpy(k, n, ksz);
		prev = k;
		c++;
	}
	return c;
}

/* Host pairs: the key by direction (egress: local is the source; ingress:
 * the destination), the remote port with host_ports, the interface's
 * lengths, nothing while hosts_on is 0, and a full map counted. */
static void host_tests(int a, const struct pkt *v4udp, const struct pkt *v6tcp,
		       const struct pkt *arp)
{
	struct tc_bpf *s = tc_bpf__open();
	__u32 key = NB_TC_DROP_HOSTS;
	__u64 d[libbpf_num_possible_cpus()], sum = 0;

	if (s) {
		s->rodata->hosts_able = true;
		s->rodata->host_ports = true;
		bpf_map__set_max_entries(s->maps.hosts, 3);
	}
	check(s && !tc_bpf__load(s), "hosts_load", "tc_bpf__load: %s (hint: -v)", strerror(errno));
	if (!s)
		return;
	run(s->progs.nb_tc_egress, v4udp, a, 2, "hosts_off");
	check(map_entries(s->maps.hosts, sizeof(struct nb_host_key)) == 0, "hosts_off_nothing",
	      "entries while hosts_on is 0");
	s->bss->hosts_on = 1;
	run(s->progs.nb_tc_egress, v4udp, a, 2, "hosts_egress");
	run(s->progs.nb_tc_ingress, v4udp, a, 1, "hosts_ingress");
	run(s->progs.nb_tc_egress, v6tcp, a, 3, "hosts_egress");
	run(s->progs.nb_tc_ingress, arp, a, 1, "hosts_arp");
	check_host("hosts_v4_egress", host(s, a, 0, "10.77.0.1", "10.77.0.2", 5201),
		   2 * v4udp->len, 2, 0, 0);
	check_host("hosts_v4_ingress", host(s, a, 0, "10.77.0.2", "10.77.0.1", 40000),
		   0, 0, v4udp->len, 1);
	check_host("hosts_v6_egress", host(s, a, 1, "fd77::1", "fd77::2", 5201),
		   3 * v6tcp->len, 3, 0, 0);
	/* the map holds 3: a fourth pair is a drop, per packet */
	run(s->progs.nb_tc_ingress, v6tcp, a, 2, "hosts_full");
	check(map_entries(s->maps.hosts, sizeof(struct nb_host_key)) == 3, "hosts_no_arp_entry",
	      "want 3 entries: the ARP packet has no host pair");
	if (!bpf_map__lookup_elem(s->maps.tc_drops, &key, sizeof(key), d, sizeof(d), 0))
		for (int i = 0; i < libbpf_num_possible_cpus(); i++)
			sum += d[i];
	check(sum == 2, "hosts_full_drops", "%llu drops, want 2", (unsigned long long)sum);
	tc_bpf__destroy(s);
}

int main(int argc, char **argv)
{
	struct pkt v4udp, v6tcp, v4tcp, v6udp, tiny;
	struct nb_tc_counts want;
	struct tc_bpf *s;
	int ncpus, a, b;

	verbose = argc > 1 && !strcmp(argv[1], "-v");
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(print_fn);
	if (geteuid() != 0) {
		printf("SKIP tc_progtest: needs root\n");
		return 77;
	}
	/* A namespace of our own: lo is ifindex 1, the veth pair 2 and 3. */
	if (unshare(CLONE_NEWNET)) {
		printf("FAIL netns: unshare: %s\n", strerror(errno));
		return 1;
	}
	if (system("ip link add nbt0 type veth peer name nbt1") != 0) {
		printf("FAIL veth: ip link add failed\n");
		return 1;
	}
	a = if_nametoindex("nbt0");
	b = if_nametoindex("nbt1");
	check(a > 1 && b > 1 && a != b, "veth_ifindex", "nbt0 %d, nbt1 %d", a, b);
	ncpus = libbpf_num_possible_cpus();

	s = load(0);
	check(s != NULL, "load", "tc_bpf__load: %s (hint: -v)", strerror(errno));
	if (!s)
		return 1;
	check(!strcmp(bpf_program__name(s->progs.nb_tc_ingress), NB_TC_PROG_INGRESS) &&
	      !strcmp(bpf_program__name(s->progs.nb_tc_egress), NB_TC_PROG_EGRESS),
	      "prog_names", "names differ from bpf/tc_shared.h");

	build(&v4udp, "v4udp", 0, IPPROTO_UDP, 100);
	build(&v6tcp, "v6tcp", 1, IPPROTO_TCP, 1000);
	build(&v4tcp, "v4tcp", 0, IPPROTO_TCP, 1400);
	build(&v6udp, "v6udp", 1, IPPROTO_UDP, 7);
	check(v4udp.len == 14 + 20 + 8 + 100 && v6tcp.len == 14 + 40 + 20 + 1000,
	      "packet_sizes", "v4udp %u, v6tcp %u", v4udp.len, v6tcp.len);

	/* ingress on nbt0: 1 + 3 packets; egress on nbt1: 2 + 1 */
	run(s->progs.nb_tc_ingress, &v4udp, a, 1, "ingress");
	run(s->progs.nb_tc_ingress, &v6tcp, a, 3, "ingress");
	run(s->progs.nb_tc_egress, &v4tcp, b, 2, "egress");
	run(s->progs.nb_tc_egress, &v6udp, b, 1, "egress");
	/* both directions on nbt0 too, and loopback (ifindex 1) */
	run(s->progs.nb_tc_egress, &v6tcp, a, 5, "egress");
	run(s->progs.nb_tc_ingress, &v4tcp, 1, 1, "lo_ingress");

	want = (struct nb_tc_counts){
		.rx_bytes = v4udp.len + 3 * v6tcp.len, .rx_packets = 4,
		.tx_bytes = 5 * v6tcp.len, .tx_packets = 5,
	};
	check_counts("counts_nbt0", counts(s, a, ncpus), want);
	want = (struct nb_tc_counts){
		.tx_bytes = 2 * v4tcp.len + v6udp.len, .tx_packets = 3,
	};
	check_counts("counts_nbt1", counts(s, b, ncpus), want);
	want = (struct nb_tc_counts){ .rx_bytes = v4tcp.len, .rx_packets = 1 };
	check_counts("counts_lo", counts(s, 1, ncpus), want);
	check(drops(s, ncpus) == 0, "no_drops", "%llu drops", (unsigned long long)drops(s, ncpus));

	/* a bare Ethernet header: no IP at all, still counted */
	build(&tiny, "eth_only", 0, IPPROTO_UDP, 0);
	tiny.len = ETH_HLEN;
	((struct ethhdr *)tiny.data)->h_proto = htons(ETH_P_ARP);
	run(s->progs.nb_tc_ingress, &tiny, b, 1, "ingress");
	want = (struct nb_tc_counts){
		.rx_bytes = ETH_HLEN, .rx_packets = 1,
		.tx_bytes = 2 * v4tcp.len + v6udp.len, .tx_packets = 3,
	};
	check_counts("counts_nbt1_arp", counts(s, b, ncpus), want);
	tc_bpf__destroy(s);
	host_tests(a, &v4udp, &v6tcp, &tiny);

	/* A full hash (ifindexes from NB_TC_DIRECT up): the third interface is
	 * dropped, and the drop counted; small ifindexes, in the array, go on. */
	if (system("ip link add nbt2 index 1000 type veth peer name nbt3 index 1001") != 0 ||
	    system("ip link add nbt4 index 1002 type veth peer name nbt5 index 1003") != 0) {
		printf("FAIL high_ifindex: ip link add failed\n");
		return 1;
	}
	s = load(2);
	check(s != NULL, "load_small", "tc_bpf__load: %s", strerror(errno));
	if (!s)
		return 1;
	run(s->progs.nb_tc_ingress, &v4udp, 1000, 1, "full_nbt2");
	run(s->progs.nb_tc_ingress, &v4udp, 1001, 1, "full_nbt3");
	run(s->progs.nb_tc_egress, &v6tcp, 1002, 4, "full_dropped");
	run(s->progs.nb_tc_egress, &v6tcp, a, 3, "full_array_nbt0");
	want = (struct nb_tc_counts){ .rx_bytes = v4udp.len, .rx_packets = 1 };
	check_counts("full_counts_nbt2", counts(s, 1000, ncpus), want);
	check_counts("full_counts_nbt3", counts(s, 1001, ncpus), want);
	want = (struct nb_tc_counts){ .tx_bytes = 3 * v6tcp.len, .tx_packets = 3 };
	check_counts("full_counts_array_nbt0", counts(s, a, ncpus), want);
	check(drops(s, ncpus) == 4, "full_drops", "%llu drops, want 4",
	      (unsigned long long)drops(s, ncpus));
	/* room again: counting resumes at once */
	bpf_map__delete_elem(s->maps.ifaces, &(__u32){ 1000 }, sizeof(__u32), 0);
	run(s->progs.nb_tc_egress, &v6tcp, 1002, 2, "full_freed");
	want = (struct nb_tc_counts){ .tx_bytes = 2 * v6tcp.len, .tx_packets = 2 };
	check_counts("full_freed_counts_nbt4", counts(s, 1002, ncpus), want);
	tc_bpf__destroy(s);

	peer_napi_tests(a, b, &v4tcp, ncpus);
	return failures ? 1 : 0;
}
