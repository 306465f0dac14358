// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-interface accounting: load the TC classifier, keep the table of the
 * interfaces it is attached to, read their counters and the host pair
 * switch. Attaching is in tc_attach.c, link events in tc_links.c. See tc.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tc_int.h"
#include "tc.skel.h"

static bool vanished(int err)
{
	/* the interface went away while we worked on it */
	return err == -ENODEV || err == -ENXIO;
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

int tc_link_new(struct nb_tc *tc, uint32_t ifindex, const char *name,
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
	err = tc_attach(tc, f);
	if (vanished(err))
		return 0;
	if (err)
		return err;
	tc->nifs++;
	return 0;
}

void tc_link_del(struct nb_tc *tc, uint32_t ifindex)
{
	struct iface *f = find_live(tc, ifindex);

	if (!f)
		return;
	tc_detach_gone(f);
	read_counts(tc, ifindex, &f->last);
	forget_counts(tc, ifindex);
	f->gone = true;
}

/* ---- open, read, close ---- */

/* Open and load the program: who loaded it, and what it counts. */
static int load(struct nb_tc *tc)
{
	int err;

	tc->skel = tc_bpf__open();
	if (!tc->skel)
		return -errno;
	tc_owner_self(&tc->skel->rodata->owner);
	tc->skel->rodata->hosts_able = tc->flags & NB_TC_HOSTS;
	tc->skel->rodata->host_ports = tc->flags & NB_TC_HOST_PORTS;
	err = tc_bpf__load(tc->skel);
	if (err)
		return err;
	if (tc->flags & NB_TC_HOSTS)
		tc->hosts_fd = bpf_map__fd(tc->skel->maps.hosts);
	tc->ifaces_fd = bpf_map__fd(tc->skel->maps.ifaces);
	tc->direct_fd = bpf_map__fd(tc->skel->maps.ifaces_direct);
	tc->drops_fd = bpf_map__fd(tc->skel->maps.tc_drops);
	return 0;
}

/* Before the load: the method, the names asked for, the buffers. NULL
 * when out of memory. */
static struct nb_tc *tc_new(const char (*ifaces)[16], int nifaces,
			    const char *method, unsigned int flags)
{
	struct nb_tc *tc = calloc(1, sizeof(*tc));

	if (!tc)
		return NULL;
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
	if (tc->ncpus <= 0 || !tc->buf || !tc->pcpu || (nifaces > 0 && ifaces && !tc->want)) {
		nb_tc_close(tc);
		return NULL;
	}
	return tc;
}

int nb_tc_open(struct nb_tc **tcp, const char (*ifaces)[16], int nifaces,
	       const char *method, unsigned int flags, const char **bad)
{
	struct nb_tc *tc;
	int err;

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
	tc = tc_new(ifaces, nifaces, method, flags);
	if (!tc)
		return -ENOMEM;
	err = load(tc);
	if (!err)
		err = tc_links_start(tc, bad);
	if (err) {
		nb_tc_close(tc);
		return err < 0 ? err : -EINVAL;
	}
	*tcp = tc;
	return 0;
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
		tc_detach(tc, f);
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
