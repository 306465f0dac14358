// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "kretprobe.h"
#include "loader.h"
#include "stats.h"
#include "netbpf.skel.h"

static bool verbose;
static bool quiet;	/* trying a rung that may fall back to the next */

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose || quiet || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void nb_libbpf_verbose(bool on)
{
	verbose = on;
	libbpf_set_print(print_fn);
}

/* What the kernel's BTF says about the functions rungs 2 and 3 hook. */
struct kinfo {
	int recv_nargs;		/* tcp_recvmsg: 5 since Linux 5.19, 6 before */
	bool tcp_sendpage;	/* sendfile and splice sends, before Linux 6.5 */
	bool udp_sendpage;
	bool packet;		/* packet_sendmsg/packet_recvmsg: af_packet there */
};

/* Both AF_PACKET functions in this BTF, or in the BTF of the module
 * af_packet when it is loaded (split on top of the kernel's). */
static bool has_packet(struct btf *btf)
{
	struct btf *mod;
	bool yes;

	if (btf__find_by_name_kind(btf, "packet_sendmsg", BTF_KIND_FUNC) > 0 &&
	    btf__find_by_name_kind(btf, "packet_recvmsg", BTF_KIND_FUNC) > 0)
		return true;
	if (access(NB_PACKET_MODULE_BTF, R_OK))
		return false;	/* not built in, module not loaded */
	mod = btf__parse_split(NB_PACKET_MODULE_BTF, btf);
	if (!mod)
		return false;
	yes = btf__find_by_name_kind(mod, "packet_sendmsg", BTF_KIND_FUNC) > 0 &&
	      btf__find_by_name_kind(mod, "packet_recvmsg", BTF_KIND_FUNC) > 0;
	btf__free(mod);
	return yes;
}

static void kinfo_read(const char *btf_path, struct kinfo *ki)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id;

	ki->recv_nargs = 5;
	ki->tcp_sendpage = ki->udp_sendpage = ki->packet = false;
	if (!btf)
		return;
	id = btf__find_by_name_kind(btf, "tcp_recvmsg", BTF_KIND_FUNC);
	if (id > 0) {
		t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
		if (t && btf_is_func_proto(t))
			ki->recv_nargs = btf_vlen(t);
	}
	ki->tcp_sendpage = btf__find_by_name_kind(btf, "tcp_sendpage", BTF_KIND_FUNC) > 0;
	ki->udp_sendpage = btf__find_by_name_kind(btf, "udp_sendpage", BTF_KIND_FUNC) > 0;
	ki->packet = has_packet(btf);
	btf__free(btf);
}

bool nb_loader_packet_hooks(const char *btf_path)
{
	struct kinfo ki;

	kinfo_read(btf_path, &ki);
	return ki.packet;
}

/* What a program needs of the kernel besides its rung. */
enum need { ALWAYS, TCP_SENDPAGE, UDP_SENDPAGE, PACKET };

/*
 * The programs of each hook rung, by section name: the first row that
 * matches decides, a row ending in '/' matching every section under it. A
 * program loads on its rung only, and there only when the kernel has what
 * it needs; a section no row names keeps libbpf's default (it loads).
 */
static const struct {
	const char *sec;
	enum nb_backend rung;	/* NB_BACKEND_AUTO: every rung */
	enum need need;
} rung_progs[] = {
	/* sendpage is gone since Linux 6.5 (sendfile goes through sendmsg) */
	{ "fexit/tcp_sendpage", NB_BACKEND_FENTRY, TCP_SENDPAGE },
	{ "kprobe/tcp_sendpage", NB_BACKEND_KPROBE, TCP_SENDPAGE },
	{ "kretprobe/tcp_sendpage", NB_BACKEND_KPROBE, TCP_SENDPAGE },
	{ "fexit/udp_sendpage", NB_BACKEND_FENTRY, UDP_SENDPAGE },
	{ "kprobe/udp_sendpage", NB_BACKEND_KPROBE, UDP_SENDPAGE },
	{ "kretprobe/udp_sendpage", NB_BACKEND_KPROBE, UDP_SENDPAGE },
	/* AF_PACKET on rungs 2 and 3: where af_packet is (rung 1's
	 * tracepoints see every family without these) */
	{ "fexit/packet_sendmsg", NB_BACKEND_FENTRY, PACKET },
	{ "fexit/packet_recvmsg", NB_BACKEND_FENTRY, PACKET },
	{ "kprobe/packet_sendmsg", NB_BACKEND_KPROBE, PACKET },
	{ "kretprobe/packet_sendmsg", NB_BACKEND_KPROBE, PACKET },
	{ "kprobe/packet_recvmsg", NB_BACKEND_KPROBE, PACKET },
	{ "kretprobe/packet_recvmsg", NB_BACKEND_KPROBE, PACKET },
	/* the rungs */
	{ "tp_btf/", NB_BACKEND_TRACEPOINT, ALWAYS },
	{ "fexit/", NB_BACKEND_FENTRY, ALWAYS },
	{ "kprobe/", NB_BACKEND_KPROBE, ALWAYS },
	{ "kretprobe/", NB_BACKEND_KPROBE, ALWAYS },
	/* the exec and exit hooks */
	{ "raw_tp/", NB_BACKEND_AUTO, ALWAYS },
};

static bool has_need(const struct kinfo *ki, enum need n)
{
	switch (n) {
	case TCP_SENDPAGE:
		return ki->tcp_sendpage;
	case UDP_SENDPAGE:
		return ki->udp_sendpage;
	case PACKET:
		return ki->packet;
	default:
		return true;
	}
}

static bool sec_matches(const char *row, const char *sec)
{
	size_t n = strlen(row);

	return row[n - 1] == '/' ? !strncmp(row, sec, n) : !strcmp(row, sec);
}

/* Switch on the programs of rung b that this kernel can load, and no other. */
static void select_rung(struct netbpf *s, enum nb_backend b, const struct kinfo *ki)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->obj) {
		const char *sec = bpf_program__section_name(p);

		for (size_t i = 0; i < sizeof(rung_progs) / sizeof(rung_progs[0]); i++) {
			if (!sec_matches(rung_progs[i].sec, sec))
				continue;
			bpf_program__set_autoload(p, (rung_progs[i].rung == NB_BACKEND_AUTO ||
						      rung_progs[i].rung == b) &&
						     has_need(ki, rung_progs[i].need));
			break;
		}
	}
	if (b == NB_BACKEND_KPROBE)	/* attached with a larger maxactive */
		nb_kretprobes_no_autoattach(s->obj);
}

/* The size of the flow maps: n slots, and a bit for each. */
static void set_flows_max(struct netbpf *s, uint32_t n)
{
	bpf_map__set_max_entries(s->maps.flow_index, n);
	bpf_map__set_max_entries(s->maps.flow_slots, n);
	bpf_map__set_max_entries(s->maps.free_flows, n);
	bpf_map__set_max_entries(s->maps.flow_bits, (n + 63) / 64);
	s->rodata->flows_max = n;
}

/* The filters in .rodata, and the map sizes, before load. */
static void configure(struct netbpf *s, enum nb_backend b, const struct nb_opts *o,
		      const struct kinfo *ki)
{
	/* map sizes: NETBPF_MAX_FLOWS and NETBPF_MAX_PROCS, for hosts with
	 * very many flows or processes (and for the tests that fill them);
	 * checked by nb_parse_env() */
	if (o && o->max_flows)
		set_flows_max(s, o->max_flows);
	if (o && o->max_procs) {
		bpf_map__set_max_entries(s->maps.procs, o->max_procs);
		bpf_map__set_max_entries(s->maps.slots, o->max_procs);
		bpf_map__set_max_entries(s->maps.free_slots, o->max_procs);
	}
	s->rodata->recv_nargs = ki->recv_nargs;
	if (o) {
		s->rodata->filter_pids = o->npids > 0;
		s->rodata->proto_mask = o->proto_mask;
		s->rodata->family_mask = o->family_mask ? o->family_mask : 3;
		s->rodata->filter_ports = o->nports > 0;
		s->rodata->filter_cgroup = o->cgroup != NULL;
		s->rodata->flows_on = (o->by & NB_BY(NB_ROW_FLOW)) || o->command == NB_CMD_TOP;
		/* maps nothing will use: the smallest the kernel takes, so they
		 * cost no memory and no start-up time (65,536 flows: 47 ms) */
		if (!s->rodata->flows_on)
			set_flows_max(s, 64);
		if (o->has_comm) {
			s->rodata->filter_comm_on = 1;
			memcpy((char *)s->rodata->filter_comm, o->comm, NB_COMM_LEN);
		}
	}
	/* the kprobe rung's entry-to-return stash: 96 bytes an entry */
	if (b != NB_BACKEND_KPROBE)
		bpf_map__set_max_entries(s->maps.stash, 1);
	/* the TCP sockets' slots: rung 1's (64 bytes each; NETBPF_SOCK_SLOTS,
	 * a power of two, checked by nb_parse_env()) */
	if (b != NB_BACKEND_TRACEPOINT) {
		bpf_map__set_max_entries(s->maps.sock_slots, 1);
	} else if (o && o->sock_slots) {
		bpf_map__set_max_entries(s->maps.sock_slots, o->sock_slots);
		s->rodata->sock_slot_bits = __builtin_ctz(o->sock_slots);
	}
}

/* Each key of a filter set (pids, ports) in its map, with the value 1. */
static int fill_set(struct bpf_map *map, const void *keys, size_t key_size, int n)
{
	__u8 one = 1;

	for (int i = 0; i < n; i++) {
		int err = bpf_map__update_elem(map, (const char *)keys + i * key_size, key_size,
					       &one, 1, BPF_ANY);

		if (err)
			return err;
	}
	return 0;
}

/* The --cgroup filter: the directory's fd, which the kernel turns into
 * the cgroup. */
static int fill_cgroup(struct netbpf *s, const char *cgroup)
{
	char dir[4096];
	__u32 zero = 0;
	int cg, err;

	err = nb_cgroup_dir(cgroup, dir, sizeof(dir));
	cg = err ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return -ENOENT;
	err = bpf_map__update_elem(s->maps.cgroup_filter, &zero, sizeof(zero),
				   &cg, sizeof(cg), BPF_ANY);
	close(cg);
	return err;
}

/* After load: every process slot free, and the filters' sets. */
static int fill_maps(struct netbpf *s, const struct nb_opts *o)
{
	int err;

	for (__u32 i = 0; i < bpf_map__max_entries(s->maps.slots); i++) {
		err = bpf_map__update_elem(s->maps.free_slots, NULL, 0, &i, sizeof(i), BPF_ANY);
		if (err)
			return err;
	}
	if (!o)
		return 0;
	err = fill_set(s->maps.pid_filter, o->pids, sizeof(o->pids[0]), o->npids);
	if (!err)
		err = fill_set(s->maps.port_filter, o->ports, sizeof(o->ports[0]), o->nports);
	if (!err && o->cgroup)
		err = fill_cgroup(s, o->cgroup);
	return err;
}

/* Open, configure, load, fill and attach rung b; res says how far it got. */
static struct netbpf *open_rung(enum nb_backend b, const struct nb_opts *o,
				const struct kinfo *ki, struct nb_rung_result *res,
				struct nb_kretprobes *kret)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o ? o->btf_path : NULL);
	struct netbpf *s;
	int err;

	res->tried = true;
	res->step = "open";
	s = netbpf__open_opts(&oo);
	if (!s) {
		res->err = -errno;
		return NULL;
	}
	select_rung(s, b, ki);
	configure(s, b, o, ki);
	res->step = "load";
	err = netbpf__load(s);
	if (!err)
		err = fill_maps(s, o);
	if (err)
		goto fail;
	res->step = "attach";
	err = netbpf__attach(s);
	if (!err && b == NB_BACKEND_KPROBE)
		err = nb_kretprobes_attach(kret, s->skeleton);
	if (err)
		goto fail;
	res->ok = true;
	res->err = 0;
	return s;
fail:
	res->err = err < 0 ? err : -EINVAL;
	netbpf__destroy(s);
	nb_kretprobes_remove(kret);
	return NULL;
}

int nb_loader_probe(enum nb_backend b, const char *btf_path, struct nb_rung_result *res)
{
	/* flows on, so the probe proves the whole counting path loads */
	struct nb_opts o = { .proto_mask = ~0u, .family_mask = 3, .btf_path = btf_path,
			     .by = NB_BY(NB_ROW_FLOW) | NB_BY(NB_ROW_CGROUP) };
	struct nb_kretprobes kret = { 0 };
	struct netbpf *s;
	struct kinfo ki;

	memset(res, 0, sizeof(*res));
	kinfo_read(btf_path, &ki);
	s = open_rung(b, &o, &ki, res, &kret);
	netbpf__destroy(s);
	nb_kretprobes_remove(&kret);
	return res->ok ? 0 : res->err;
}

/* An mmap-able array map in this process's memory, or NULL (errno). */
static void *map_shared(struct bpf_map *map, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);

	return p == MAP_FAILED ? NULL : p;
}

int nb_loader_open(struct nb_loader *l, const struct nb_opts *o)
{
	struct kinfo ki;
	enum nb_backend first = NB_BACKEND_TRACEPOINT, last = NB_BACKEND_KPROBE;

	memset(l, 0, sizeof(*l));
	l->procs_fd = l->free_fd = l->drops_fd = l->cgnames_fd = -1;
	l->flow_index_fd = l->free_flows_fd = -1;
	kinfo_read(o->btf_path, &ki);
	l->recv_nargs = ki.recv_nargs;
	if (o->backend != NB_BACKEND_AUTO)
		first = last = o->backend;
	for (enum nb_backend b = first; b <= last; b++) {
		/* a rung missing on an older kernel is no error when the next
		 * one may work: keep libbpf's messages for the last try (the
		 * reasons stay in l->rungs; doctor and -v --backend show them) */
		quiet = b < last;
		l->skel = open_rung(b, o, &ki, &l->rungs[b], &l->kret);
		quiet = false;
		if (l->skel) {
			l->backend = b;
			l->procs_fd = bpf_map__fd(l->skel->maps.procs);
			l->free_fd = bpf_map__fd(l->skel->maps.free_slots);
			l->cgnames_fd = bpf_map__fd(l->skel->maps.cgroup_names);
			l->drops_fd = bpf_map__fd(l->skel->maps.drops);
			l->procs_max = bpf_map__max_entries(l->skel->maps.procs);
			l->flow_index_fd = bpf_map__fd(l->skel->maps.flow_index);
			l->free_flows_fd = bpf_map__fd(l->skel->maps.free_flows);
			l->flows_max = bpf_map__max_entries(l->skel->maps.flow_slots);
			l->flow_next = &l->skel->bss->flow_next;
			l->flows_on = l->skel->rodata->flows_on;
			l->flows_carry = l->flows_on && b == NB_BACKEND_TRACEPOINT;
			l->cgroups_on = (o->by & NB_BY(NB_ROW_CGROUP)) || o->command == NB_CMD_TOP ||
					o->command == NB_CMD_SERVE;
			l->slots_len = (size_t)l->procs_max * sizeof(struct nb_slot);
			l->flow_slots_len = (size_t)l->flows_max * sizeof(struct nb_flow_slot);
			l->flow_bits_len = (size_t)((l->flows_max + 63) / 64) * sizeof(uint64_t);
			l->slots = map_shared(l->skel->maps.slots, l->slots_len);
			l->flow_slots = map_shared(l->skel->maps.flow_slots, l->flow_slots_len);
			l->flow_bits = map_shared(l->skel->maps.flow_bits, l->flow_bits_len);
			if (!l->slots || !l->flow_slots || !l->flow_bits) {
				int err = -errno;

				nb_loader_close(l);
				return err;
			}
			return 0;
		}
	}
	return l->rungs[last].err ? l->rungs[last].err : -ENOENT;
}

void nb_loader_close(struct nb_loader *l)
{
	if (l->slots)
		munmap(l->slots, l->slots_len);
	if (l->flow_slots)
		munmap(l->flow_slots, l->flow_slots_len);
	if (l->flow_bits)
		munmap(l->flow_bits, l->flow_bits_len);
	l->slots = NULL;
	l->flow_slots = NULL;
	l->flow_bits = NULL;
	/* destroying the skeleton detaches every link it made */
	netbpf__destroy(l->skel);
	l->skel = NULL;
	nb_kretprobes_remove(&l->kret);
}

struct bpf_object *nb_loader_object(const struct nb_loader *l)
{
	return l->skel ? l->skel->obj : NULL;
}
