/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The container on the other side of a veth: the peer lives in another
 * network namespace, which netlink names by an id local to netbpf's own
 * namespace (IFLA_LINK_NETNSID). Container cgroups are matched to that
 * id by asking the kernel (RTM_GETNSID) for the id of the namespace of
 * one process of each; the cgroup's path gives the container. Found from
 * the cgroup v2 tree, not from /proc: a pass costs the number of cgroups
 * (names only, and a netlink request per container cgroup not matched to
 * a namespace before), not the number of processes.
 */
#ifndef NB_NETNS_H
#define NB_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The name of a container with processes in the network namespace with
 * this id (seen from ours): one walk of the cgroup v2 tree, shared by the
 * calls with the same 'now' (one poll's interfaces). Returns whether one
 * was found; name "" when not. */
bool nb_netns_container(int32_t nsid, double now, char *name, size_t len);

#endif
