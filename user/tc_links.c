// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Following the interfaces of the network namespace: a dump of the links
 * at open, then RTM_NEWLINK and RTM_DELLINK events, and a new dump when
 * events were lost. Each link goes to the interface table (tc.c). See tc.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include "tc_int.h"

static char badname[IF_NAMESIZE];

int tc_nl_request(struct nlmsghdr *nlh, char *buf, mnl_cb_t cb, void *data)
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
		tc_link_del(tc, ifm->ifi_index);
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
	err = tc_link_new(tc, ifm->ifi_index, name, nsid);
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
		err = tc_nl_request(nlh, tc->buf, link_cb, d);
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
			tc_link_del(tc, f->ifindex);
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

int tc_links_start(struct nb_tc *tc, const char **bad)
{
	struct dump_ctx d = { .tc = tc };
	int err, rcvbuf = 1 << 20;

	/* Subscribe before the dump, so no link falls between the two. */
	tc->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!tc->nl || mnl_socket_bind(tc->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	/* many containers starting at once make many events */
	setsockopt(mnl_socket_get_fd(tc->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	err = dump_links(tc, &d);
	if (!err)
		err = tc->err;
	if (err && tc->err && bad)
		*bad = badname;	/* named by link_cb() */
	return err;
}
