// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-interface accounting: attach the TC classifier with tcx links or
 * clsact filters, follow link events, read the counters. See tc.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tc.h"
#include "tc_shared.h"
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

#define NL_BUF_SIZE	32768	/* one RTM_NEWLINK is 1-3 KiB with its stats */

enum { ING = 0, EGR = 1 };	/* index of a hook in the arrays below */

struct iface {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	int link[2];		/* tcx links; -1 when none */
	bool filter[2];		/* clsact: our filter is on this hook */
	bool made_qdisc;	/* clsact: we created the qdisc */
	bool gone;		/* removed: 'last' holds its final counts */
	struct nb_tc_counts last;
	int32_t peer_nsid;	/* veth: the namespace of its peer, or -1 */
	uint32_t peer_gen;	/* bumped when peer_nsid changes */
};

struct nb_tc {
	struct tc_bpf *skel;
	int ifaces_fd, direct_fd, drops_fd, hosts_fd, ncpus;
	unsigned int flags;	/* NB_TC_HOSTS, NB_TC_HOST_PORTS */
	bool tcx;		/* the method: tcx links, else clsact */
	bool decided;		/* auto: false until the first attach worked */
	struct mnl_socket *nl;	/* link events */
	char (*want)[IF_NAMESIZE];	/* the names asked for, or none: all */
	int nwant;
	struct iface *ifs;
	int nifs, cap;
	struct nb_tc_counts *pcpu;	/* ncpus values, for one lookup */
	char *buf;		/* NL_BUF_SIZE, for netlink reads */
	int err;		/* first error while handling events */
	bool resync;		/* events were lost: compare with a full dump */
};

static char badname[IF_NAMESIZE];

static bool vanished(int err)
{
	/* the interface went away while we worked on it */
	return err == -ENODEV || err == -ENXIO;
}

/* Field 22 of /proc/PID/stat: the start time, which tells a reused pid. */
static uint64_t proc_start(uint32_t pid)
{
	char path[64], buf[1024], *p, *save = NULL;
	unsigned long long start = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	if (!p)
		return 0;
	p = strtok_r(p + 1, " ", &save);	/* field 3, the state */
	for (int i = 3; p && i < 22; i++)
		p = strtok_r(NULL, " ", &save);
	if (p)
		start = strtoull(p, NULL, 10);
	return start;
}

/* ---- clsact: leftovers, filters, qdisc ---- */

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
	start = proc_start(own->pid);
	if (own->start)
		return start == own->start;
	/* no start time recorded (no /proc then): the pid alone */
	return kill(own->pid, 0) == 0 || errno == EPERM;
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

/* One netlink request on a socket of its own: a dump, or an ack. */
static int nl_request(struct nlmsghdr *nlh, char *buf, mnl_cb_t cb, void *data)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	unsigned int portid;
	int n, ret = MNL_CB_ERROR, err = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	while ((n = mnl_socket_recvfrom(nl, buf, NL_BUF_SIZE)) > 0) {
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, portid, cb, data);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (n < 0 || ret < 0)
		err = errno ? -errno : -EIO;
out:
	mnl_socket_close(nl);
	return err;
}

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
		err = nl_request(nlh, buf, count_cb, &n);
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

/* ---- the interface table ---- */

static struct iface *find_live(struct nb_tc *tc, uint32_t ifindex)
{
	for (int i = 0; i < tc->nifs; i++)
		if (!tc->ifs[i].gone && tc->ifs[i].ifindex == ifindex)
			return &tc->ifs[i];
	return NULL;
}

static bool wanted(const struct nb_tc *tc, const char *name)
{
	if (!tc->nwant)
		return true;
	for (int i = 0; i < tc->nwant; i++)
		if (!strncmp(tc->want[i], name, IF_NAMESIZE))
			return true;
	return false;
}

/* The map that holds an interface's counters (see NB_TC_DIRECT). */
static int counts_fd(const struct nb_tc *tc, uint32_t ifindex)
{
	return ifindex < NB_TC_DIRECT ? tc->direct_fd : tc->ifaces_fd;
}

/* An interface is gone: its counters go, for an interface that may come
 * with the same ifindex later (an array entry is zeroed, not deleted). */
static void forget_counts(struct nb_tc *tc, uint32_t ifindex)
{
	if (ifindex >= NB_TC_DIRECT) {
		bpf_map_delete_elem(tc->ifaces_fd, &ifindex);
		return;
	}
	memset(tc->pcpu, 0, tc->ncpus * sizeof(*tc->pcpu));
	bpf_map_update_elem(tc->direct_fd, &ifindex, tc->pcpu, BPF_ANY);
}

static int read_counts(struct nb_tc *tc, uint32_t ifindex, struct nb_tc_counts *sum)
{
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(counts_fd(tc, ifindex), &ifindex, tc->pcpu))
		return errno == ENOENT ? 0 : -errno;	/* no packet yet */
	for (int cpu = 0; cpu < tc->ncpus; cpu++) {
		sum->rx_bytes += tc->pcpu[cpu].rx_bytes;
		sum->rx_packets += tc->pcpu[cpu].rx_packets;
		sum->tx_bytes += tc->pcpu[cpu].tx_bytes;
		sum->tx_packets += tc->pcpu[cpu].tx_packets;
	}
	return 0;
}

static int attach_one(struct nb_tc *tc, struct iface *f)
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

/* A link exists: attach if it is new and wanted; a renamed one is renamed. */
static int link_new(struct nb_tc *tc, uint32_t ifindex, const char *name,
		    int32_t peer_nsid)
{
	struct iface *f = find_live(tc, ifindex);
	int err;

	if (f) {
		snprintf(f->name, sizeof(f->name), "%s", name);
		if (f->peer_nsid != peer_nsid) {
			f->peer_nsid = peer_nsid;
			f->peer_gen++;
		}
		return 0;
	}
	if (!wanted(tc, name))
		return 0;
	if (tc->nifs == tc->cap) {
		int cap = tc->cap ? tc->cap * 2 : 16;
		struct iface *n = realloc(tc->ifs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		tc->ifs = n;
		tc->cap = cap;
	}
	f = &tc->ifs[tc->nifs];
	memset(f, 0, sizeof(*f));
	f->ifindex = ifindex;
	f->link[ING] = f->link[EGR] = -1;
	f->peer_nsid = peer_nsid;
	snprintf(f->name, sizeof(f->name), "%s", name);
	/* counters left by an earlier interface with this ifindex */
	forget_counts(tc, ifindex);
	err = attach_one(tc, f);
	if (vanished(err))
		return 0;
	if (err)
		return err;
	tc->nifs++;
	return 0;
}

/* A link is gone: keep its final counts for one more read. */
static void link_del(struct nb_tc *tc, uint32_t ifindex)
{
	struct iface *f = find_live(tc, ifindex);

	if (!f)
		return;
	tcx_detach(f);
	/* Gone from this namespace: the qdisc went with the device, or went
	 * when it moved to another namespace; our filter was on it. */
	f->filter[ING] = f->filter[EGR] = false;
	f->made_qdisc = false;
	read_counts(tc, ifindex, &f->last);
	forget_counts(tc, ifindex);
	f->gone = true;
}

/* ---- netlink link events ---- */

struct dump_ctx {
	struct nb_tc *tc;
	uint32_t *seen;		/* resync: the ifindexes in the dump */
	int nseen, cap;
	bool nomem;		/* 'seen' is incomplete */
};

/* A veth's IFLA_LINKINFO says "veth" in IFLA_INFO_KIND. */
static bool is_veth(const struct nlattr *info)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, info) {
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
			return mnl_attr_get_payload_len(a) >= 4 &&
			       !strncmp(mnl_attr_get_payload(a), "veth", 4) &&
			       (mnl_attr_get_payload_len(a) == 4 ||
				((const char *)mnl_attr_get_payload(a))[4] == '\0');
	}
	return false;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nb_tc *tc = d->tc;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	const char *name = NULL;
	int32_t nsid = -1;
	bool veth = false;
	int err = 0;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	/* AF_BRIDGE messages are about bridge ports, not links coming or going */
	if (ifm->ifi_family != AF_UNSPEC)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifm)) {
		if (mnl_attr_get_type(a) == IFLA_IFNAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == IFLA_LINK_NETNSID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			nsid = (int32_t)mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == IFLA_LINKINFO)
			veth = is_veth(a);
	}
	if (!veth)
		nsid = -1;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		link_del(tc, ifm->ifi_index);
		return MNL_CB_OK;
	}
	if (!name)
		return MNL_CB_OK;
	if (d->seen) {
		if (d->nseen == d->cap) {
			uint32_t *n = realloc(d->seen, 2 * d->cap * sizeof(*n));

			if (!n) {
				d->nomem = true;
				return MNL_CB_OK;
			}
			d->seen = n;
			d->cap *= 2;
		}
		d->seen[d->nseen++] = ifm->ifi_index;
	}
	err = link_new(tc, ifm->ifi_index, name, nsid);
	if (err && !tc->err) {
		tc->err = err;
		snprintf(badname, sizeof(badname), "%s", name);
	}
	return MNL_CB_OK;
}

/* Attach every (wanted) link there is; with 'seen', note which exist. */
static int dump_links(struct nb_tc *tc, struct dump_ctx *d)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int err, tries = 0;

	do {
		d->nseen = 0;
		d->nomem = false;
		nlh = mnl_nlmsg_put_header(req);
		nlh->nlmsg_type = RTM_GETLINK;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = 1;
		ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
		ifm->ifi_family = AF_UNSPEC;
		err = nl_request(nlh, tc->buf, link_cb, d);
		/* EINTR: the link list changed during the dump; again */
	} while (err == -EINTR && ++tries < 10);
	return err;
}

/* Events were lost (ENOBUFS): attach what is new, drop what is gone. */
static int resync(struct nb_tc *tc)
{
	struct dump_ctx d = { .tc = tc, .cap = tc->nifs + 64 };
	int err;

	d.seen = calloc(d.cap, sizeof(*d.seen));
	if (!d.seen)
		return -ENOMEM;
	err = dump_links(tc, &d);
	if (!err && d.nomem)
		err = -ENOMEM;
	for (int i = 0; !err && i < tc->nifs; i++) {
		struct iface *f = &tc->ifs[i];
		bool there = false;

		for (int j = 0; j < d.nseen && !there; j++)
			there = d.seen[j] == f->ifindex;
		if (!f->gone && !there)
			link_del(tc, f->ifindex);
	}
	free(d.seen);
	return err;
}

int nb_tc_handle_links(struct nb_tc *tc)
{
	struct dump_ctx d = { .tc = tc };
	int n, err;

	if (!tc || !tc->nl)
		return 0;
	tc->err = 0;
	for (;;) {
		n = mnl_socket_recvfrom(tc->nl, tc->buf, NL_BUF_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == ENOSPC) {
				/* the socket overflowed, or one message did
				 * not fit: what was lost comes from a dump */
				tc->resync = true;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		/* seq 0, portid 0: events, not answers; no checks */
		mnl_cb_run(tc->buf, n, 0, 0, link_cb, &d);
	}
	if (tc->resync) {
		tc->resync = false;
		err = resync(tc);
		if (err && !tc->err)
			tc->err = err;
	}
	return tc->err;
}

int nb_tc_netlink_fd(struct nb_tc *tc)
{
	return tc && tc->nl ? mnl_socket_get_fd(tc->nl) : -1;
}

/* ---- open, read, close ---- */

/* Open and load the program: who loaded it, and what it counts. */
static int load(struct nb_tc *tc)
{
	int err;

	tc->skel = tc_bpf__open();
	if (!tc->skel)
		return -errno;
	tc->skel->rodata->owner.pid = getpid();
	tc->skel->rodata->owner.start = proc_start(getpid());
	tc->skel->rodata->hosts_able = tc->flags & NB_TC_HOSTS;
	tc->skel->rodata->host_ports = tc->flags & NB_TC_HOST_PORTS;
	err = tc_bpf__load(tc->skel);
	if (err)
		return err;
	if (tc->flags & NB_TC_HOSTS)
		tc->hosts_fd = bpf_map__fd(tc->skel->maps.hosts);
	return 0;
}

int nb_tc_open(struct nb_tc **tcp, const char (*ifaces)[16], int nifaces,
	       const char *method, unsigned int flags, const char **bad)
{
	struct dump_ctx d;
	struct nb_tc *tc;
	int err, rcvbuf = 1 << 20;

	*tcp = NULL;
	if (!method || !*method)
		method = "auto";
	if (strcmp(method, "auto") && strcmp(method, "tcx") && strcmp(method, "clsact"))
		return -EINVAL;
	for (int i = 0; ifaces && i < nifaces; i++) {
		if (!if_nametoindex(ifaces[i])) {
			if (bad)
				*bad = ifaces[i];
			return -ENODEV;
		}
	}
	tc = calloc(1, sizeof(*tc));
	if (!tc)
		return -ENOMEM;
	tc->ifaces_fd = tc->direct_fd = tc->drops_fd = tc->hosts_fd = -1;
	tc->flags = flags;
	tc->tcx = strcmp(method, "clsact") != 0;
	tc->decided = strcmp(method, "auto") != 0;
	tc->ncpus = libbpf_num_possible_cpus();
	tc->buf = malloc(NL_BUF_SIZE);
	if (tc->ncpus > 0)
		tc->pcpu = calloc(tc->ncpus, sizeof(*tc->pcpu));
	if (ifaces && nifaces > 0) {
		tc->want = calloc(nifaces, sizeof(*tc->want));
		if (tc->want) {
			for (int i = 0; i < nifaces; i++) {
				memcpy(tc->want[i], ifaces[i], IF_NAMESIZE - 1);
				tc->want[i][IF_NAMESIZE - 1] = '\0';
			}
			tc->nwant = nifaces;
		}
	}
	err = -ENOMEM;
	if (tc->ncpus <= 0 || !tc->buf || !tc->pcpu || (nifaces > 0 && ifaces && !tc->want))
		goto fail;

	err = load(tc);
	if (err)
		goto fail;
	tc->ifaces_fd = bpf_map__fd(tc->skel->maps.ifaces);
	tc->direct_fd = bpf_map__fd(tc->skel->maps.ifaces_direct);
	tc->drops_fd = bpf_map__fd(tc->skel->maps.tc_drops);

	/* Subscribe before the dump, so no link falls between the two. */
	tc->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!tc->nl || mnl_socket_bind(tc->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	/* many containers starting at once make many events */
	setsockopt(mnl_socket_get_fd(tc->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	memset(&d, 0, sizeof(d));
	d.tc = tc;
	err = dump_links(tc, &d);
	if (!err)
		err = tc->err;
	if (err) {
		if (tc->err && bad)
			*bad = badname;	/* named by link_cb() */
		goto fail;
	}
	*tcp = tc;
	return 0;
fail:
	nb_tc_close(tc);
	return err < 0 ? err : -EINVAL;
}

int nb_tc_count(const struct nb_tc *tc)
{
	return tc ? tc->nifs : 0;
}

int nb_tc_read(struct nb_tc *tc, struct nb_iface_sample *out, int max)
{
	int n = 0, keep = 0;

	if (!tc)
		return -EINVAL;
	/* two passes: the gone ones first, so a short buffer cannot starve them */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < tc->nifs && n < max; i++) {
			struct iface *f = &tc->ifs[i];
			struct nb_iface_sample *s = &out[n];
			struct nb_tc_counts c = f->last;
			int err;

			if (f->gone != (pass == 0))
				continue;
			if (!f->gone) {
				err = read_counts(tc, f->ifindex, &c);
				if (err)
					return err;
			}
			memset(s, 0, sizeof(*s));
			s->ifindex = f->ifindex;
			snprintf(s->ifname, sizeof(s->ifname), "%s", f->name);
			s->rx_bytes = c.rx_bytes;
			s->rx_packets = c.rx_packets;
			s->tx_bytes = c.tx_bytes;
			s->tx_packets = c.tx_packets;
			s->gone = f->gone;
			s->peer_nsid = f->peer_nsid;
			s->peer_gen = f->peer_gen;
			if (f->gone)
				f->ifindex = 0;	/* reported: forget it below */
			n++;
		}
	}
	for (int i = 0; i < tc->nifs; i++)
		if (!(tc->ifs[i].gone && tc->ifs[i].ifindex == 0))
			tc->ifs[keep++] = tc->ifs[i];
	tc->nifs = keep;
	return n;
}

const char *nb_tc_method(const struct nb_tc *tc)
{
	return tc && !tc->tcx ? "clsact" : "tcx";
}

int nb_tc_prog_fds(const struct nb_tc *tc, int fds[2])
{
	if (!tc || !tc->skel)
		return 0;
	fds[0] = bpf_program__fd(tc->skel->progs.nb_tc_ingress);
	fds[1] = bpf_program__fd(tc->skel->progs.nb_tc_egress);
	return 2;
}

static uint64_t sum_drops(int fd, int ncpus, __u32 key)
{
	uint64_t v[ncpus], sum = 0;

	memset(v, 0, sizeof(v));
	if (bpf_map_lookup_elem(fd, &key, v))
		return 0;
	for (int cpu = 0; cpu < ncpus; cpu++)
		sum += v[cpu];
	return sum;
}

uint64_t nb_tc_drops(const struct nb_tc *tc)
{
	if (!tc || tc->drops_fd < 0 || tc->ncpus <= 0)
		return 0;
	return sum_drops(tc->drops_fd, tc->ncpus, NB_TC_DROP_IFACES);
}

uint64_t nb_tc_host_drops(const struct nb_tc *tc)
{
	if (!tc || tc->drops_fd < 0 || tc->ncpus <= 0)
		return 0;
	return sum_drops(tc->drops_fd, tc->ncpus, NB_TC_DROP_HOSTS);
}

int nb_tc_hosts_fd(const struct nb_tc *tc)
{
	return tc ? tc->hosts_fd : -1;
}

int nb_tc_hosts_on(struct nb_tc *tc, bool on)
{
	if (!tc || tc->hosts_fd < 0 || !tc->skel->bss)
		return -EOPNOTSUPP;
	/* read by the programs at every packet: no reload, no detach */
	__atomic_store_n(&tc->skel->bss->hosts_on, on ? 1 : 0, __ATOMIC_RELAXED);
	return 0;
}

bool nb_tc_hosts_counting(const struct nb_tc *tc)
{
	return tc && tc->hosts_fd >= 0 && tc->skel->bss &&
	       __atomic_load_n(&tc->skel->bss->hosts_on, __ATOMIC_RELAXED);
}

void nb_tc_close(struct nb_tc *tc)
{
	if (!tc)
		return;
	for (int i = 0; i < tc->nifs; i++) {
		struct iface *f = &tc->ifs[i];

		if (f->gone)
			continue;
		tcx_detach(f);
		if (tc->buf)
			clsact_detach(tc, f);
	}
	if (tc->nl)
		mnl_socket_close(tc->nl);
	/* the programs unload once no filter and no link holds them */
	tc_bpf__destroy(tc->skel);
	free(tc->ifs);
	free(tc->want);
	free(tc->pcpu);
	free(tc->buf);
	free(tc);
}

int nb_tc_probe(const char *method)
{
	static const char lo[1][16] = { "lo" };
	struct nb_tc *tc = NULL;
	int err;

	err = nb_tc_open(&tc, lo, 1, method, 0, NULL);
	nb_tc_close(tc);
	if (err == -EBUSY && method && !strcmp(method, "clsact"))
		return 0;	/* another netbpf's filter: clsact works */
	return err;
}
