// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching the TC classifier to one interface: tcx links, or clsact
 * filters with netbpf's handle and priority. Before either, the clsact
 * filters a killed netbpf left are removed: a program is netbpf's by its
 * name, and its loader, read from its .rodata, is gone. See tc.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "procfs.h"
#include "tc_int.h"
#include "tc.skel.h"

/*
 * tcx attach types and the "first in the chain" flag (Linux 6.6, commit
 * e420bed02507). Debian 12's headers (6.1) lack them and libbpf 1.1 has no
 * tcx helper: bpf_link_create() passes them through to the kernel.
 */
enum {
	NB_TCX_INGRESS = 46,
	NB_TCX_EGRESS = 47,
};
#define NB_F_BEFORE	(1U << 3)

/* ---- owners: the loader of a netbpf program ---- */

void tc_owner_self(struct nb_tc_owner *own)
{
	own->pid = getpid();
	own->start = nb_proc_start(getpid());
}

/* The loader of a netbpf program, from its .rodata (see bpf/tc_shared.h). */
static bool prog_owner(int prog_fd, struct nb_tc_owner *own)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[16];
	bool found = false;

	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return false;
	for (__u32 i = 0; i < info.nr_map_ids && i < 16 && !found; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi), key = 0;
		size_t nl;
		void *v;
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) &&
		    (nl = strlen(mi.name)) >= 7 && !strcmp(mi.name + nl - 7, ".rodata") &&
		    mi.type == BPF_MAP_TYPE_ARRAY && mi.value_size >= sizeof(*own) &&
		    (v = calloc(1, mi.value_size))) {
			if (!bpf_map_lookup_elem(fd, &key, v)) {
				memcpy(own, v, sizeof(*own));
				found = true;
			}
			free(v);
		}
		close(fd);
	}
	return found;
}

/* Whether the process that loaded a netbpf program still runs. */
static bool owner_alive(const struct nb_tc_owner *own)
{
	uint64_t start;

	if (!own->pid)
		return false;
	start = nb_proc_start(own->pid);
	if (own->start)
		return start == own->start;
	/* no start time recorded (no /proc then): the pid alone */
	return kill(own->pid, 0) == 0 || errno == EPERM;
}

/* ---- leftovers: the clsact filters of a killed netbpf ---- */

static void tc_hook_init(struct bpf_tc_hook *h, uint32_t ifindex, int which)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = which == ING ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

static void tc_opts_init(struct bpf_tc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = NB_TC_HANDLE;
	o->priority = NB_TC_PRIO;
}

/*
 * What sits at netbpf's handle and priority on one hook: 0 nothing, 1 a
 * netbpf program whose loader is gone (a leftover), 2 a netbpf program
 * whose loader still runs, 3 something else.
 */
static int our_slot(uint32_t ifindex, int which)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct nb_tc_owner own = {};
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int fd, ret = 3;

	libbpf_print_fn_t print;
	int err;

	tc_hook_init(&h, ifindex, which);
	tc_opts_init(&o);
	/* no clsact is the common case: keep libbpf from reporting the
	 * kernel's "Parent Qdisc doesn't exists" under -v */
	print = libbpf_set_print(NULL);
	err = bpf_tc_query(&h, &o);
	libbpf_set_print(print);
	if (err)
		return 0;	/* no such filter, or no clsact at all */
	fd = bpf_prog_get_fd_by_id(o.prog_id);
	if (fd < 0)
		return 3;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    (!strcmp(info.name, NB_TC_PROG_INGRESS) || !strcmp(info.name, NB_TC_PROG_EGRESS))) {
		ret = 1;
		/* No owner recorded: trust handle, priority and name. */
		if (prog_owner(fd, &own) && owner_alive(&own))
			ret = 2;
	}
	close(fd);
	return ret;
}

/* Remove the filters an earlier netbpf left on this interface. Returns
 * -EBUSY if netbpf's handle and priority are taken by a running netbpf
 * or by someone else's filter. */
static int clear_leftovers(uint32_t ifindex)
{
	int busy = 0;

	for (int w = ING; w <= EGR; w++) {
		int what = our_slot(ifindex, w);

		if (what == 1) {
			struct bpf_tc_hook h;
			struct bpf_tc_opts o;

			tc_hook_init(&h, ifindex, w);
			tc_opts_init(&o);
			bpf_tc_detach(&h, &o);
		} else if (what >= 2) {
			busy = -EBUSY;
		}
	}
	return busy;
}

/* ---- clsact: filters, qdisc ---- */

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWTFILTER)
		(*(int *)data)++;
	return MNL_CB_OK;
}

/* Filters on the clsact qdisc of an interface, both hooks, every chain. */
static int clsact_filters(uint32_t ifindex, char *buf)
{
	static const uint32_t parents[] = {
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
	};
	char req[MNL_SOCKET_BUFFER_SIZE];
	int n = 0;

	for (int i = 0; i < 2; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
		struct tcmsg *t;
		int err;

		nlh->nlmsg_type = RTM_GETTFILTER;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = i + 1;
		t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
		t->tcm_family = AF_UNSPEC;
		t->tcm_ifindex = ifindex;
		t->tcm_parent = parents[i];
		err = tc_nl_request(nlh, buf, count_cb, &n);
		if (err)
			return err;
	}
	return n;
}

static void clsact_detach(struct nb_tc *tc, struct iface *f)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;

	for (int w = ING; w <= EGR; w++) {
		if (!f->filter[w])
			continue;
		tc_hook_init(&h, f->ifindex, w);
		tc_opts_init(&o);
		bpf_tc_detach(&h, &o);
		f->filter[w] = false;
	}
	/* Only a qdisc we made, and only empty: a filter someone added since
	 * would go with it. (Both hooks at once: one alone means "flush".) */
	if (f->made_qdisc && clsact_filters(f->ifindex, tc->buf) == 0) {
		tc_hook_init(&h, f->ifindex, ING);
		h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&h);
	}
	f->made_qdisc = false;
}

static int clsact_attach(struct nb_tc *tc, struct iface *f)
{
	int fds[2] = {
		bpf_program__fd(tc->skel->progs.nb_tc_ingress),
		bpf_program__fd(tc->skel->progs.nb_tc_egress),
	};
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int err;

	tc_hook_init(&h, f->ifindex, ING);
	h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	err = bpf_tc_hook_create(&h);	/* EEXIST: a clsact is there already */
	if (err && err != -EEXIST)
		return err;
	f->made_qdisc = !err;
	for (int w = ING; w <= EGR; w++) {
		tc_hook_init(&h, f->ifindex, w);
		tc_opts_init(&o);
		o.prog_fd = fds[w];
		err = bpf_tc_attach(&h, &o);	/* never replaces: EEXIST */
		if (err) {
			if (err == -EEXIST)
				err = -EBUSY;
			clsact_detach(tc, f);
			return err;
		}
		f->filter[w] = true;
	}
	return 0;
}

/* ---- tcx ---- */

static void tcx_detach(struct iface *f)
{
	for (int w = ING; w <= EGR; w++) {
		if (f->link[w] >= 0)
			close(f->link[w]);	/* the link goes with its last fd */
		f->link[w] = -1;
	}
}

static int tcx_attach(struct nb_tc *tc, struct iface *f)
{
	static const int types[2] = { NB_TCX_INGRESS, NB_TCX_EGRESS };
	struct bpf_program *progs[2] = { tc->skel->progs.nb_tc_ingress,
					 tc->skel->progs.nb_tc_egress };

	for (int w = ING; w <= EGR; w++) {
		/* First in the chain, so a program that ends the chain
		 * (TCX_PASS, TCX_DROP) cannot hide packets from us. */
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = NB_F_BEFORE);
		int fd = bpf_link_create(bpf_program__fd(progs[w]), f->ifindex,
					 (enum bpf_attach_type)types[w], &lo);

		if (fd < 0) {
			tcx_detach(f);
			return fd;
		}
		f->link[w] = fd;
	}
	return 0;
}

/* ---- either method ---- */

int tc_attach(struct nb_tc *tc, struct iface *f)
{
	int err, busy;

	/* In either mode: an earlier netbpf's clsact filters go first. */
	busy = clear_leftovers(f->ifindex);
	if (tc->tcx) {
		err = tcx_attach(tc, f);
		if (err == -EINVAL && !tc->decided) {
			tc->tcx = false;	/* auto, and no tcx here */
			tc->decided = true;
		} else {
			if (!err)
				tc->decided = true;
			return err;
		}
	}
	if (busy)
		return busy;
	err = clsact_attach(tc, f);
	if (!err)
		tc->decided = true;
	return err;
}

void tc_detach(struct nb_tc *tc, struct iface *f)
{
	tcx_detach(f);
	if (tc->buf)
		clsact_detach(tc, f);
}

void tc_detach_gone(struct iface *f)
{
	tcx_detach(f);
	/* Gone from this namespace: the qdisc went with the device, or went
	 * when it moved to another namespace; our filter was on it. */
	f->filter[ING] = f->filter[EGR] = false;
	f->made_qdisc = false;
}
