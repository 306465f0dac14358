/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The container on the other side of a veth: the peer lives in another
 * network namespace, which netlink names by an id local to netbpf's own
 * namespace (IFLA_LINK_NETNSID). Processes are matched to that id by
 * asking the kernel (RTM_GETNSID) for the id of each /proc/PID/ns/net,
 * and a process found there gives its cgroup, and so its container.
 */
#ifndef NB_NETNS_H
#define NB_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The name of a container with processes in the network namespace with
 * this id (seen from ours): one pass over /proc, one netlink request per
 * distinct namespace. Returns whether one was found; name "" when not. */
bool nb_netns_container(int32_t nsid, char *name, size_t len);

#endif
