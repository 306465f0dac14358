// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include "container.h"
#include "netns.h"

#define MAX_PIDS	200000	/* bound on one pass over /proc */
#define MAX_NS		4096	/* namespaces remembered during one pass */

struct ns_id {
	dev_t dev;
	ino_t ino;
	int32_t nsid;
};

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

/* The container of this process, from its cgroup lines (the unified one,
 * and on a hybrid host the v1 ones, where a runtime may have put it). */
static bool pid_container(const char *pid, char *name, size_t len)
{
	char path[300], line[4096];
	struct nb_container ct;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (p)
			p = strchr(p + 1, ':');
		if (!p)
			continue;
		p++;
		p[strcspn(p, "\n")] = '\0';
		if (nb_container_lookup(p, &ct) && *ct.name) {
			snprintf(name, len, "%s", ct.name);
			found = true;
		}
	}
	fclose(f);
	return found;
}

bool nb_netns_container(int32_t want, char *name, size_t len)
{
	struct ns_id *seen = NULL;
	struct mnl_socket *nl;
	unsigned int seq = 0;
	int nseen = 0, npids = 0;
	bool found = false;
	struct dirent *de;
	DIR *d;

	if (len)
		*name = '\0';
	if (want < 0)
		return false;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return false;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    !(seen = calloc(MAX_NS, sizeof(*seen))) || !(d = opendir("/proc"))) {
		free(seen);
		mnl_socket_close(nl);
		return false;
	}
	while (!found && npids < MAX_PIDS && (de = readdir(d))) {
		char path[300];
		struct stat st;
		int32_t nsid = -1;
		int i, fd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		npids++;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st) < 0)
			continue;
		for (i = 0; i < nseen; i++)
			if (seen[i].ino == st.st_ino && seen[i].dev == st.st_dev)
				break;
		if (i < nseen) {
			nsid = seen[i].nsid;
		} else {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			nsid = fd_nsid(nl, &seq, fd);
			close(fd);
			if (nseen < MAX_NS)
				seen[nseen++] = (struct ns_id){ st.st_dev, st.st_ino, nsid };
		}
		if (nsid == want)
			found = pid_container(de->d_name, name, len);
	}
	closedir(d);
	free(seen);
	mnl_socket_close(nl);
	return found;
}
