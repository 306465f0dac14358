/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-interface accounting: load the TC classifier (bpf/tc.bpf.c), attach
 * it to interfaces, follow interfaces that come and go, read the counters.
 *
 * Attach methods:
 *   tcx     tcx links (Linux 6.6+), placed first in each interface's tcx
 *           chain. A link belongs to its file descriptor: the kernel
 *           detaches it when netbpf exits, even by SIGKILL.
 *   clsact  direct-action filters with netbpf's own handle and priority
 *           (NB_TC_HANDLE, NB_TC_PRIO) on a clsact qdisc. The qdisc is
 *           created only where none exists, and deleted at close only if
 *           netbpf created it and no other filter is left on it. A qdisc or
 *           filter that netbpf did not create is never replaced or deleted.
 *           After a SIGKILL the filters stay until the next netbpf starts:
 *           it removes a filter with netbpf's handle and priority whose
 *           program is netbpf's and whose loading process is gone. The
 *           empty clsact qdisc such a netbpf had created stays (nothing
 *           proves it was netbpf's).
 *   auto    tcx, or clsact where the kernel has no tcx.
 *
 * Programs return TC_ACT_UNSPEC: whatever runs after them still runs.
 * Counts are skb->len at the hook: whole frames, Ethernet header included;
 * a GSO packet counts once, with its full length.
 *
 * The types shared with the program are in bpf/tc_shared.h.
 */
#ifndef NB_USER_TC_H
#define NB_USER_TC_H

#include <stdbool.h>
#include <stdint.h>

#define NB_TC_HANDLE	0x4e42	/* "NB" */
/* Below 0xc000, where tc's automatic priorities start, so netbpf's filter
 * runs before filters added earlier without a priority. */
#define NB_TC_PRIO	0x4e42

struct nb_tc;	/* opaque */

struct nb_iface_sample {
	uint32_t ifindex;
	char ifname[16];
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	bool gone;	/* removed: these are its final counts, reported once */
	int32_t peer_nsid;	/* a veth with its peer in another network
				 * namespace: that namespace's id; else -1 */
	uint32_t peer_gen;	/* changes when peer_nsid changes */
};

/*
 * Load the TC program and attach it to every interface of the current
 * network namespace (ifaces NULL or nifaces 0), or only to the named ones:
 * an unknown name returns -ENODEV with *bad pointing at that name.
 * Interfaces that appear later are attached as they come (netlink link
 * events); with a list, only those names (an interface deleted and created
 * again under a listed name is attached again).
 * method: "auto", "tcx" or "clsact" (anything else: -EINVAL).
 * Returns 0 or a negative errno. On a failure tied to one interface, *bad
 * (when bad is not NULL) names it until the next call. *tc is NULL on error.
 * -EBUSY: in clsact mode, netbpf's handle and priority are taken there, by
 * another netbpf that still runs or by someone else's filter.
 */
int nb_tc_open(struct nb_tc **tc, const char (*ifaces)[16], int nifaces,
	       const char *method, unsigned int flags, const char **bad);
/* flags of nb_tc_open: load the host pair counting (off until
 * nb_tc_hosts_on()), with the remote port in the key */
#define NB_TC_HOSTS		1u
#define NB_TC_HOST_PORTS	2u
/* Poll for POLLIN, then call nb_tc_handle_links(); -1 when tc is NULL. */
int nb_tc_netlink_fd(struct nb_tc *tc);
/* Non-blocking: attach new links, note removed ones. An interface that
 * vanishes while being attached is no error. 0 or a negative errno (the
 * first failed attach; the other events are still handled). */
int nb_tc_handle_links(struct nb_tc *tc);
/*
 * Cumulative counts since each interface was attached, summed over CPUs.
 * Interfaces removed since the last read come first, once, with gone=true,
 * and are then forgotten. Writes at most max samples and returns how many;
 * see nb_tc_count() for the size to pass. Negative errno on error.
 */
int nb_tc_read(struct nb_tc *tc, struct nb_iface_sample *out, int max);
/* How many samples the next nb_tc_read() has to give. */
int nb_tc_count(const struct nb_tc *tc);
/* "tcx" or "clsact": the method in use. */
const char *nb_tc_method(const struct nb_tc *tc);
/* The fds of the ingress and egress programs, for their run time
 * statistics (top). Returns how many were written: 2, or 0 for NULL. */
int nb_tc_prog_fds(const struct nb_tc *tc, int fds[2]);
/* Packets not counted because the per-interface map was full. */
uint64_t nb_tc_drops(const struct nb_tc *tc);
/* Packets not counted per host pair because the host pair map was full. */
uint64_t nb_tc_host_drops(const struct nb_tc *tc);
/*
 * Host pairs (opened with NB_TC_HOSTS): start or stop counting them, at
 * once, without a reload; -EOPNOTSUPP without NB_TC_HOSTS. The map (key
 * struct nb_host_key, value struct nb_host_counts, both in bpf/tc_shared.h, at most
 * NB_TC_MAX_HOSTS entries) is read and trimmed by the collector; its fd is
 * -1 without NB_TC_HOSTS.
 */
int nb_tc_hosts_on(struct nb_tc *tc, bool on);
bool nb_tc_hosts_counting(const struct nb_tc *tc);
int nb_tc_hosts_fd(const struct nb_tc *tc);
/* Detach everything netbpf attached; safe on half-built state and NULL. */
void nb_tc_close(struct nb_tc *tc);

/*
 * For doctor: attach with this method on loopback for real, then detach.
 * 0 or a negative errno. In clsact mode, a loopback filter of another
 * running netbpf (-EBUSY) proves the method works: 0.
 */
int nb_tc_probe(const char *method);

#endif
