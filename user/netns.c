// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include "cgroup.h"
#include "container.h"
#include "index.h"
#include "netns.h"

static int nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct rtgenmsg)) {
		if (mnl_attr_get_type(a) == NETNSA_NSID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			*(int32_t *)data = (int32_t)mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

/* The id our namespace gives the namespace of this fd; -1 when none. */
static int32_t fd_nsid(struct mnl_socket *nl, unsigned int *seq, int fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;
	uint32_t portid = mnl_socket_get_portid(nl);
	int32_t nsid = -1;
	ssize_t n;

	nlh->nlmsg_type = RTM_GETNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++*seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, fd);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n > 0)
		mnl_cb_run(buf, n, *seq, portid, nsid_cb, &nsid);
	return nsid;
}

/* The network namespace of each container cgroup seen by the last walk:
 * the cgroup's id (its folder's inode, never reused), the id our namespace
 * gives the namespace of its first process (-1: none assigned yet, asked
 * again at the next walk) and its path. */
struct ctr_ns {
	uint64_t ino;
	int32_t nsid;
	char path[];
};

static bool has_ino(const void *item, const void *key)
{
	return ((const struct ctr_ns *)item)->ino == *(const uint64_t *)key;
}

static struct nb_index known = NB_INDEX_INIT(64, has_ino);
static struct {
	struct nb_index now;	/* the walk's: what it found, moved from known */
	size_t rootlen;
	struct mnl_socket *nl;
	unsigned int seq;
} w;
static double walked_at = -1;

static uint64_t ino_hash(uint64_t ino)
{
	return nb_index_hash(&ino, sizeof(ino));
}

/* The id of the namespace of the first process in this cgroup folder. */
static int32_t cgroup_nsid(const char *dir)
{
	char path[PATH_MAX + 32];
	unsigned long pid = 0;
	int32_t nsid = -1;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lu", &pid) != 1)
		pid = 0;
	fclose(f);
	if (!pid)
		return -1;	/* no process of its own (a parent of others) */
	snprintf(path, sizeof(path), "/proc/%lu/ns/net", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	nsid = fd_nsid(w.nl, &w.seq, fd);
	close(fd);
	return nsid;
}

static int visit(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = fpath[w.rootlen] ? fpath + w.rootlen : "/";
	uint64_t ino = st->st_ino;
	struct nb_ctr_ref ref;
	struct ctr_ns *e;
	size_t len;

	(void)ftw;
	if (flag != FTW_D)
		return 0;
	switch (nb_container_parse(rel, &ref)) {
	case NB_CTR_NONE:
	case NB_CTR_UNIT:
		return 0;	/* not a container's: no system call */
	default:
		break;
	}
	e = nb_index_remove(&known, ino_hash(ino), &ino);
	if (!e) {
		len = strlen(rel) + 1;
		if (!(e = malloc(sizeof(*e) + len)))
			return 0;
		e->ino = ino;
		e->nsid = -1;
		memcpy(e->path, rel, len);
	}
	/* an id, once the kernel gave one, stays while the namespace lives */
	if (e->nsid < 0)
		e->nsid = cgroup_nsid(fpath);
	if (nb_index_add(&w.now, ino_hash(ino), e))
		free(e);
	return 0;
}

/* Every container cgroup now, with its namespace's id; what is gone is
 * forgotten. */
static void walk(void)
{
	char root[PATH_MAX];
	uint32_t pos = 0;
	struct ctr_ns *e;

	if (nb_cgroup2_mount("/proc/self/mountinfo", root, sizeof(root)))
		return;
	w.nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!w.nl)
		return;
	if (mnl_socket_bind(w.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(w.nl);
		return;
	}
	w.rootlen = strlen(root);
	nb_index_init(&w.now, 64, has_ino);
	nftw(root, visit, 32, FTW_PHYS | FTW_MOUNT);
	mnl_socket_close(w.nl);
	while ((e = nb_index_next(&known, &pos)))
		free(e);
	nb_index_free(&known);
	known = w.now;
}

bool nb_netns_container(int32_t want, double now, char *name, size_t len)
{
	struct nb_container ct;
	uint32_t pos = 0;
	struct ctr_ns *e;

	if (len)
		*name = '\0';
	if (want < 0)
		return false;
	if (now != walked_at) {	/* one walk serves every interface of a poll */
		walked_at = now;
		walk();
	}
	while ((e = nb_index_next(&known, &pos)))
		if (e->nsid == want && nb_container_lookup(e->path, &ct) && *ct.name) {
			snprintf(name, len, "%s", ct.name);
			return true;
		}
	return false;
}
