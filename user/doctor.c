// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "collector.h"
#include "doctor.h"
#include "json.h"
#include "loader.h"
#include "tc.h"

#define SYS_BTF "/sys/kernel/btf/vmlinux"

unsigned long long nb_cap_effective(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

int nb_privileged(void)
{
	unsigned long long c = nb_cap_effective();

	if (c & (1ull << NB_CAP_SYS_ADMIN))
		return 1;
	return (c & (1ull << NB_CAP_BPF)) && (c & (1ull << NB_CAP_PERFMON));
}

static int read_int_file(const char *path)
{
	int v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int nb_cap_last(void)
{
	return read_int_file("/proc/sys/kernel/cap_last_cap");
}

int nb_missing_caps(unsigned long long caps, int cap_last_cap, char *buf, size_t len)
{
	static const struct { int bit; const char *name; } need[] = {
		{ NB_CAP_BPF, "CAP_BPF" },
		{ NB_CAP_PERFMON, "CAP_PERFMON" },
		{ NB_CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	};
	bool sys_admin = caps & (1ull << NB_CAP_SYS_ADMIN);
	int n = 0;

	if (cap_last_cap < 0)	/* unknown: assume a kernel that has CAP_BPF */
		cap_last_cap = 63;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		const char *name = need[i].name;
		int bit = need[i].bit;

		/* CAP_SYS_ADMIN covers loading; before Linux 5.8 (no CAP_BPF,
		 * cap_last_cap < 39) it is the only capability that does */
		if (bit != NB_CAP_NET_ADMIN && (sys_admin || cap_last_cap < NB_CAP_BPF)) {
			if (sys_admin || bit == NB_CAP_PERFMON)
				continue;
			name = "CAP_SYS_ADMIN";
		}
		if (caps & (1ull << bit) && bit <= cap_last_cap)
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", n ? ", " : "", name);
		n++;
	}
	return n;
}

/* Does bpf_map_lookup_batch work on a hash map here (Linux 5.6+)? */
static bool batch_works(void)
{
	__u32 keys[4], vals[4], k = 1, v = 2;
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "nb_probe", 4, 4, 4, NULL);
	bool ok = true;
	int n;

	if (fd < 0)
		return false;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	n = nb_map_read_all(fd, 4, 4, 4, keys, vals, &ok);
	close(fd);
	return ok && n == 1 && keys[0] == 1 && vals[0] == 2;
}

static const char *const rung_hooks[NB_NBACKENDS] = {
	"",
	"tp_btf/sock_send_length, tp_btf/sock_recv_length, tcp_rcv_space_adjust",
	"fexit/tcp_sendmsg, tcp_recvmsg, udp_sendmsg, udp_recvmsg, udpv6_sendmsg, udpv6_recvmsg, tcp_sendpage, udp_sendpage, packet_sendmsg, packet_recvmsg",
	"kprobe+kretprobe on the same functions",
};

/* What each rung cannot see (README.md, "What each hook rung sees"). */
static const char *const rung_blind[NB_NBACKENDS] = {
	"",
	"TCP reads by splice of connections older than netbpf; sendfile/splice sends on Linux 6.3 and 6.4",
	"ICMP, raw and SCTP sockets; splice reads",
	"ICMP, raw and SCTP sockets; splice reads",
};

/* Rungs 2 and 3 where af_packet is a module that was not loaded: no
 * function to hook, and no packet socket yet (opening one loads it). */
static const char *blind_spots(int b, bool packet)
{
	if (b == NB_BACKEND_TRACEPOINT || packet)
		return rung_blind[b];
	return "ICMP, raw, SCTP and AF_PACKET sockets (the module af_packet is not loaded: "
	       "no packet socket exists; once one does, restart netbpf to count them); splice reads";
}

/*
 * Address families that reach the socket hooks, what netbpf does with each
 * and why (README.md, "Address families"). The rung-1 tracepoints fire in
 * sock_sendmsg/sock_recvmsg for every family; count() keeps the first three.
 */
static const struct {
	const char *name, *counted, *why;
} families[] = {
	{ "inet", "yes", "IPv4: tcp, udp, icmp, sctp, raw, other" },
	{ "inet6", "yes", "IPv6: tcp, udp, icmp, sctp, raw, other" },
	{ "packet", "yes",
	  "as protocol packet, every rung (fexit and kprobe: packet_sendmsg, packet_recvmsg, "
	  "where af_packet is built in or loaded when netbpf starts): what sendmsg/recvmsg returned "
	  "(SOCK_RAW with the link header, SOCK_DGRAM without), TX_RING sends included; "
	  "not PACKET_RX_RING frames (copied to the mmap ring in softirq, never read "
	  "through recvmsg, no process to charge); a capture tool's receives are copies "
	  "of traffic already counted for its owner" },
	{ "unix", "no", "local IPC, not network traffic" },
	{ "netlink", "no", "messages between processes and the kernel, not network traffic" },
	{ "xdp", "no", "frames move through shared UMEM rings; sendmsg only wakes the "
	  "kernel (returns 0) and there is no recvmsg data path: the interface rows count them" },
	{ "vsock", "no", "host-guest channel through the hypervisor, on no network interface" },
	{ "can", "no", "CAN bus frames, not IP traffic" },
	{ "bluetooth", "no", "radio links outside the network interfaces (except BNEP/PAN, "
	  "whose interface rows count them)" },
	{ "tipc", "no", "cluster transport: its bearer's frames are in the interface rows, "
	  "not charged to processes" },
	{ "rds", "no", "cluster transport (over TCP or RDMA, sent by kernel threads): "
	  "the interface rows count the wire bytes, not charged to processes" },
	{ "alg", "no", "the kernel crypto API, no network at all" },
	{ "other", "no", "any other family: not known to netbpf, not counted" },
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

/* GSO packets the kernel segments after the egress hook, and GRO-merged
 * ones at ingress, count as the device counts them where the kernel has
 * the kfunc bpf_cast_to_kern_ctx (Linux 6.3+: the TC program reads the
 * device through it); README.md, "Per interface". */
static bool has_kern_ctx(const char *btf_path)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	bool yes;

	if (!btf)
		return false;
	yes = btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return yes;
}

static const char *offload_detail(bool yes)
{
	return yes ? "GSO packets segmented after the egress hook and GRO-merged packets count "
		     "as the device counts them; not exact: a veth with TSO off whose peer has GRO on "
		     "(tx 14 B a packet over: its peer counts without the Ethernet header), "
		     "rx-gro-list or rx-udp-gro-forwarding with the peer's TSO on (UDP GSO), "
		     "drivers that count the FCS or a hardware-LRO packet once" :
		     "no kfunc bpf_cast_to_kern_ctx (Linux 6.3+): a GSO packet the kernel segments "
		     "after the egress hook, and a GRO-merged one, count once, as the hook sees them";
}

int nb_doctor(const struct nb_opts *o)
{
	const char *btf = o->btf_path ? o->btf_path : SYS_BTF;
	unsigned long long caps = nb_cap_effective();
	struct nb_rung_result res[NB_NBACKENDS] = {};
	enum nb_backend chosen = NB_BACKEND_AUTO;
	bool has_btf = access(btf, R_OK) == 0;
	int stats = read_int_file("/proc/sys/kernel/bpf_stats_enabled");
	static const char *const tc_methods[] = { "tcx", "clsact" };
	int tc_err[2] = { -EPERM, -EPERM };
	const char *tc_chosen = NULL;
	bool batch = false, packet = nb_loader_packet_hooks(o->btf_path);
	bool offload = has_kern_ctx(o->btf_path);
	struct utsname u;
	struct nb_json j;

	uname(&u);
	if (has_btf && nb_privileged()) {
		for (int b = NB_BACKEND_TRACEPOINT; b < NB_NBACKENDS; b++) {
			if (o->backend != NB_BACKEND_AUTO && (int)o->backend != b)
				continue;
			nb_loader_probe(b, o->btf_path, &res[b]);
			if (res[b].ok && chosen == NB_BACKEND_AUTO)
				chosen = b;
		}
		batch = batch_works();
		for (int m = 0; m < 2; m++) {
			tc_err[m] = nb_tc_probe(tc_methods[m]);
			if (!tc_err[m] && !tc_chosen)
				tc_chosen = tc_methods[m];
		}
	}

	if (o->json) {
		nb_json_begin(&j, stdout);
		nb_json_str(&j, "kernel", u.release);
		nb_json_str(&j, "arch", u.machine);
		nb_json_bool(&j, "btf", has_btf);
		nb_json_str(&j, "btf_path", btf);
		nb_json_bool(&j, "root", geteuid() == 0);
		nb_json_bool(&j, "cap_bpf", caps & (1ull << NB_CAP_BPF));
		nb_json_bool(&j, "cap_perfmon", caps & (1ull << NB_CAP_PERFMON));
		nb_json_bool(&j, "cap_net_admin", caps & (1ull << NB_CAP_NET_ADMIN));
		nb_json_bool(&j, "cap_sys_admin", caps & (1ull << NB_CAP_SYS_ADMIN));
		nb_json_bool(&j, "batch_map_reads", batch);
		nb_json_bool(&j, "bpf_stats_enabled", stats == 1);
		nb_json_open(&j, "backends", '[');
		for (int b = NB_BACKEND_TRACEPOINT; b < NB_NBACKENDS; b++) {
			nb_json_open(&j, NULL, '{');
			nb_json_str(&j, "name", nb_backend_names[b]);
			nb_json_str(&j, "hooks", rung_hooks[b]);
			nb_json_str(&j, "blind_spots", blind_spots(b, packet));
			nb_json_bool(&j, "tried", res[b].tried);
			nb_json_bool(&j, "works", res[b].ok);
			nb_json_str(&j, "failed_at", res[b].ok || !res[b].tried ? "" : res[b].step);
			nb_json_str(&j, "error", res[b].ok || !res[b].tried ? "" : strerror(-res[b].err));
			nb_json_close(&j, '}');
		}
		nb_json_close(&j, ']');
		nb_json_str(&j, "backend", chosen ? nb_backend_names[chosen] : "");
		nb_json_open(&j, "attach_methods", '[');
		for (int m = 0; m < 2; m++) {
			nb_json_open(&j, NULL, '{');
			nb_json_str(&j, "name", tc_methods[m]);
			nb_json_bool(&j, "works", !tc_err[m]);
			nb_json_str(&j, "error", tc_err[m] ? strerror(-tc_err[m]) : "");
			nb_json_close(&j, '}');
		}
		nb_json_close(&j, ']');
		nb_json_str(&j, "attach_method", tc_chosen ? tc_chosen : "");
		nb_json_bool(&j, "offload_segments", offload);
		nb_json_str(&j, "offload_detail", offload_detail(offload));
		nb_json_open(&j, "address_families", '[');
		for (size_t f = 0; f < NFAMILIES; f++) {
			nb_json_open(&j, NULL, '{');
			nb_json_str(&j, "name", families[f].name);
			nb_json_bool(&j, "counted", families[f].counted[0] == 'y');
			nb_json_str(&j, "detail", families[f].why);
			nb_json_close(&j, '}');
		}
		nb_json_close(&j, ']');
		nb_json_bool(&j, "can_run", chosen != NB_BACKEND_AUTO && tc_chosen);
		nb_json_end(&j);
	} else {
		printf("kernel        %s (%s)\n", u.release, u.machine);
		printf("btf           %s (%s)\n", has_btf ? "yes" : "no", btf);
		printf("privileges    %s; CAP_BPF %s, CAP_PERFMON %s, CAP_NET_ADMIN %s, CAP_SYS_ADMIN %s\n",
		       geteuid() == 0 ? "root" : "not root",
		       caps & (1ull << NB_CAP_BPF) ? "yes" : "no",
		       caps & (1ull << NB_CAP_PERFMON) ? "yes" : "no",
		       caps & (1ull << NB_CAP_NET_ADMIN) ? "yes" : "no",
		       caps & (1ull << NB_CAP_SYS_ADMIN) ? "yes" : "no");
		printf("batch reads   %s\n", batch ? "yes" : "no (reads maps one entry at a time)");
		printf("bpf stats     %s\n", stats == 1 ? "on" :
		       "off (sysctl kernel.bpf_stats_enabled=1 shows BPF run time)");
		printf("\nper-process hooks, first that works is used:\n");
		for (int b = NB_BACKEND_TRACEPOINT; b < NB_NBACKENDS; b++) {
			if (!res[b].tried)
				printf("  %-11s %-5s %s\n", nb_backend_names[b], "-", "not tried");
			else if (res[b].ok)
				printf("  %-11s %-5s %s\n  %-17s misses: %s\n", nb_backend_names[b], "yes",
				       rung_hooks[b], "", blind_spots(b, packet));
			else
				printf("  %-11s %-5s %s failed: %s\n", nb_backend_names[b], "no",
				       res[b].step, strerror(-res[b].err));
		}
		printf("\ninterface counters (TC classifier), first that works is used:\n");
		for (int m = 0; m < 2; m++)
			printf("  %-11s %-5s %s\n", tc_methods[m], tc_err[m] ? "no" : "yes",
			       tc_err[m] ? strerror(-tc_err[m]) :
			       m ? "clsact qdisc, netbpf's own filter handle and priority" :
				   "tcx links (Linux 6.6+), detached by the kernel when netbpf exits");
		printf("  %-11s %-5s %s\n", "offloads", offload ? "yes" : "no", offload_detail(offload));
		printf("\naddress families at the socket hooks, counted per process or not:\n");
		for (size_t f = 0; f < NFAMILIES; f++)
			printf("  %-11s %-5s %s\n", families[f].name, families[f].counted,
			       families[f].why);
		printf("\nnetbpf will use: %s for processes, %s for interfaces\n",
		       chosen ? nb_backend_names[chosen] : "nothing", tc_chosen ? tc_chosen : "nothing");
	}
	if (chosen != NB_BACKEND_AUTO && !tc_chosen) {
		fprintf(stderr, "netbpf: cannot run here: neither tcx nor clsact can attach the interface counters (hint: %s)\n",
			caps & (1ull << NB_CAP_NET_ADMIN) ? "modprobe sch_ingress cls_bpf" :
			"missing CAP_NET_ADMIN: allow it, or run as root");
		return 1;
	}
	if (chosen == NB_BACKEND_AUTO) {
		if (!has_btf)
			fprintf(stderr, "netbpf: cannot run here: no kernel BTF at %s (needs CONFIG_DEBUG_INFO_BTF=y, or --btf FILE)\n", btf);
		else if (!nb_privileged()) {
			char miss[128];

			nb_missing_caps(caps, nb_cap_last(), miss, sizeof(miss));
			fprintf(stderr, "netbpf: cannot run here: not permitted to load BPF programs: missing %s (hint: %s)\n",
				miss, geteuid() ? "run as root, sudo netbpf doctor" :
				"root, but the capability bounding set drops it: allow CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN");
		}
		else
			fprintf(stderr, "netbpf: cannot run here: no hook for per-process accounting works on this kernel\n");
		return 1;
	}
	return 0;
}
