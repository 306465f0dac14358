/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the TC module (tc.h): the state the three files share.
 *   tc.c         open, read, close; the interface table
 *   tc_attach.c  tcx and clsact attach and detach; leftovers of a killed
 *                netbpf and the owner of a program, from its .rodata
 *   tc_links.c   netlink: link events, the link dump, one-off requests
 * Not for use outside these three files.
 */
#ifndef NB_USER_TC_INT_H
#define NB_USER_TC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include "tc.h"
#include "tc_shared.h"

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

struct tc_bpf;

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

/* tc.c: the interface table. A link exists: attach it if it is new and
 * wanted, rename it if it is known. A link is gone: keep its final counts
 * for one more read. */
int tc_link_new(struct nb_tc *tc, uint32_t ifindex, const char *name,
		int32_t peer_nsid);
void tc_link_del(struct nb_tc *tc, uint32_t ifindex);

/* tc_attach.c */
/* This process as the owner of the programs it loads (in their .rodata). */
void tc_owner_self(struct nb_tc_owner *own);
/* Attach to one interface by the method in use; auto settles on the first
 * interface that works. Clears an earlier netbpf's leftovers first. */
int tc_attach(struct nb_tc *tc, struct iface *f);
/* Detach from an interface that is still there. */
void tc_detach(struct nb_tc *tc, struct iface *f);
/* An interface left the namespace: close its links; its filters and the
 * qdisc went with it. */
void tc_detach_gone(struct iface *f);

/* tc_links.c */
/* One netlink request on a socket of its own: a dump, or an ack. */
int tc_nl_request(struct nlmsghdr *nlh, char *buf, mnl_cb_t cb, void *data);
/* Subscribe to link events, then attach every (wanted) link there is. On
 * a failure tied to one interface, *bad names it until the next call. */
int tc_links_start(struct nb_tc *tc, const char **bad);

#endif
