// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "caps.h"
#include "collector.h"
#include "doctor.h"
#include "json.h"
#include "loader.h"
#include "procfs.h"
#include "tc.h"
#include "errors.h"

#define SYS_BTF "/sys/kernel/btf/vmlinux"

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

static const char *const tc_methods[] = { "tcx", "clsact" };
#define NTC (sizeof(tc_methods) / sizeof(tc_methods[0]))
static const char *const tc_detail[NTC] = {
	"tcx links (Linux 6.6+), detached by the kernel when netbpf exits",
	"clsact qdisc, netbpf's own filter handle and priority",
};

/*
 * GSO packets the kernel segments after the egress hook, and GRO-merged
 * ones at ingress, count as the device counts them where the kernel has
 * the kfunc bpf_cast_to_kern_ctx (Linux 6.3+: the TC program reads the
 * device through it); README.md, "Per interface". A veth whose peer counts
 * what it sends (the peer's NAPI path) is known where the TC program finds
 * the veth driver's types (struct veth_priv) in the kernel's own BTF (it
 * is loaded without --btf): vmlinux's where veth is built in, else the
 * veth module's, which exists only once the module is loaded.
 */
static void offload_btf(const char *btf_path, bool *kern_ctx, bool *veth)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();

	*kern_ctx = *veth = false;
	if (btf)
		*kern_ctx = btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0;
	if (btf_path) {
		btf__free(btf);
		btf = btf__load_vmlinux_btf();
	}
	if (btf)
		*veth = btf__find_by_name_kind(btf, "veth_priv", BTF_KIND_STRUCT) > 0;
	*veth = *veth || access("/sys/kernel/btf/veth", R_OK) == 0;
	btf__free(btf);
}

static const char *offload_detail(bool yes, bool veth)
{
	if (!yes)
		return "no kfunc bpf_cast_to_kern_ctx (Linux 6.3+): a GSO packet the kernel segments "
		       "after the egress hook, and a GRO-merged one, count once, as the hook sees them";
	if (!veth)
		return "GSO packets segmented after the egress hook and GRO-merged packets count "
		       "as the device counts them; no veth BTF (the veth module was not loaded: "
		       "netbpf reads it when it starts), so a veth with TSO off whose peer has GRO on "
		       "counts tx 14 B a packet over (its peer counts without the Ethernet header); "
		       "not exact either: rx-gro-list or rx-udp-gro-forwarding with the peer's TSO on "
		       "(UDP GSO), drivers that count the FCS or a hardware-LRO packet once";
	return "GSO packets segmented after the egress hook, GRO-merged packets and a veth's "
	       "packets its peer counts (TSO off, the peer's GRO on) count as the device counts them; "
	       "not exact: a veth with rx-gro-list or rx-udp-gro-forwarding whose peer has TSO on "
	       "(UDP GSO: rx counts the segments, the peer's tx 14 B a packet over), "
	       "an XDP program on a veth whose peer has TSO on (the peer's tx 14 B a packet over), "
	       "drivers that count the FCS or a hardware-LRO packet once";
}

/* The capabilities doctor shows: the JSON key and the name in the text. */
static const struct {
	int bit;
	const char *key, *name;
} shown_caps[] = {
	{ NB_CAP_BPF, "cap_bpf", "CAP_BPF" },
	{ NB_CAP_PERFMON, "cap_perfmon", "CAP_PERFMON" },
	{ NB_CAP_NET_ADMIN, "cap_net_admin", "CAP_NET_ADMIN" },
	{ NB_CAP_SYS_ADMIN, "cap_sys_admin", "CAP_SYS_ADMIN" },
};

/*
 * netbpf processes running here, and what the kernel skipped of their
 * programs: recursion_misses, from /proc/PID/fdinfo of each BPF program
 * they hold (Linux 5.12+; no such line before). A program is skipped when
 * its hook fires again on a CPU where it is running (an interrupt came
 * while it ran): those events are in no count.
 */
#define NB_MAX_RUNNING 16
struct running {
	int pid;
	unsigned progs;
	bool readable;			/* its fdinfo (another user's: not) */
	bool reported;			/* the kernel has the line */
	unsigned long long misses;
};

/* One fdinfo file: if it is a BPF program's not seen yet (its link's
 * fdinfo names it too, but only a program's has prog_type), count it. */
static void prog_misses(const char *path, struct running *r, unsigned *ids, unsigned nids)
{
	char line[128];
	bool prog = false;
	unsigned long long misses = 0;
	unsigned id = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "prog_type:", 10)) {
			prog = true;
		} else if (!strncmp(line, "prog_id:", 8)) {
			id = strtoul(line + 8, NULL, 10);
		} else if (!strncmp(line, "recursion_misses:", 17)) {
			r->reported = true;
			misses = strtoull(line + 17, NULL, 10);
		}
	}
	fclose(f);
	if (!prog)
		return;
	for (unsigned i = 0; i < r->progs && i < nids; i++)
		if (ids[i] == id)
			return;	/* the same program through another fd */
	if (r->progs < nids)
		ids[r->progs] = id;
	r->progs++;
	r->misses += misses;
}

static void running_one(int pid, struct running *r)
{
	char path[64];
	unsigned ids[64];
	struct dirent *e;
	DIR *d;

	memset(r, 0, sizeof(*r));
	r->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return;
	r->readable = true;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%.16s", pid, e->d_name);
		prog_misses(path, r, ids, sizeof(ids) / sizeof(ids[0]));
	}
	closedir(d);
}

/* Up to NB_MAX_RUNNING processes named netbpf, this one left out. */
static int find_running(struct running *run)
{
	char path[64], comm[32];
	struct dirent *e;
	DIR *d = opendir("/proc");
	int n = 0, self = getpid();

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < NB_MAX_RUNNING) {
		int pid = atoi(e->d_name);
		FILE *f;

		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "netbpf\n")) {
			running_one(pid, &run[n]);
			if (run[n].progs || !run[n].readable)
				n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* What doctor found: probed once, then printed row by row. */
struct report {
	struct utsname u;
	const char *btf;
	bool has_btf, batch;
	bool packet;				/* rungs 2 and 3 can hook AF_PACKET */
	bool offload;				/* GSO/GRO segments as the device counts */
	bool veth;				/* veth BTF: the peer's NAPI path known */
	unsigned long long caps;
	int stats;				/* kernel.bpf_stats_enabled */
	struct nb_rung_result res[NB_NBACKENDS];
	enum nb_backend chosen;			/* AUTO: none works */
	struct running run[NB_MAX_RUNNING];	/* netbpf processes here */
	int nrun;
	int tc_err[NTC];
	const char *tc_chosen;			/* NULL: none works */
};

static void probe(const struct nb_opts *o, struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->btf = o->btf_path ? o->btf_path : SYS_BTF;
	r->caps = nb_cap_effective();
	r->chosen = NB_BACKEND_AUTO;
	r->has_btf = access(r->btf, R_OK) == 0;
	r->stats = nb_read_int("/proc/sys/kernel/bpf_stats_enabled");
	for (size_t m = 0; m < NTC; m++)	/* not probed: not permitted */
		r->tc_err[m] = -EPERM;
	uname(&r->u);
	r->packet = nb_loader_packet_hooks(o->btf_path);
	r->nrun = find_running(r->run);
	offload_btf(o->btf_path, &r->offload, &r->veth);
	if (!r->has_btf || !nb_privileged())
		return;
	for (int b = NB_BACKEND_TRACEPOINT; b < NB_NBACKENDS; b++) {
		if (o->backend != NB_BACKEND_AUTO && (int)o->backend != b)
			continue;
		nb_loader_probe(b, o->btf_path, &r->res[b]);
		if (r->res[b].ok && r->chosen == NB_BACKEND_AUTO)
			r->chosen = b;
	}
	r->batch = batch_works();
	for (size_t m = 0; m < NTC; m++) {
		r->tc_err[m] = nb_tc_probe(tc_methods[m]);
		if (!r->tc_err[m] && !r->tc_chosen)
			r->tc_chosen = tc_methods[m];
	}
}

/*
 * The printer: each row below is written by one function, as text or as
 * part of the one JSON object, from the same values.
 */
struct out {
	bool json;
	struct nb_json j;
};

static const char *yes(bool v)
{
	return v ? "yes" : "no";
}

/* A list: its JSON key, and the heading of its text section. */
static void list_begin(struct out *out, const char *key, const char *heading)
{
	if (out->json)
		nb_json_open(&out->j, key, '[');
	else
		printf("\n%s:\n", heading);
}

/* The end of a list, and in JSON the choice made from it. */
static void list_end(struct out *out, const char *key, const char *chosen)
{
	if (!out->json)
		return;
	nb_json_close(&out->j, ']');
	if (key)
		nb_json_str(&out->j, key, chosen ? chosen : "");
}

/* A text row of a list: a name, a verdict and what it means. */
static void text_row(const char *name, const char *verdict, const char *detail)
{
	printf("  %-11s %-5s %s\n", name, verdict, detail);
}

static void print_system(struct out *out, const struct report *r)
{
	bool root = geteuid() == 0;
	struct nb_json *j = &out->j;

	if (out->json) {
		nb_json_str(j, "kernel", r->u.release);
		nb_json_str(j, "arch", r->u.machine);
		nb_json_bool(j, "btf", r->has_btf);
		nb_json_str(j, "btf_path", r->btf);
		nb_json_bool(j, "root", root);
		for (size_t i = 0; i < sizeof(shown_caps) / sizeof(shown_caps[0]); i++)
			nb_json_bool(j, shown_caps[i].key, r->caps & (1ull << shown_caps[i].bit));
		nb_json_bool(j, "batch_map_reads", r->batch);
		nb_json_bool(j, "bpf_stats_enabled", r->stats == 1);
		return;
	}
	printf("kernel        %s (%s)\n", r->u.release, r->u.machine);
	printf("btf           %s (%s)\n", yes(r->has_btf), r->btf);
	printf("privileges    %s", root ? "root" : "not root");
	for (size_t i = 0; i < sizeof(shown_caps) / sizeof(shown_caps[0]); i++)
		printf("%s%s %s", i ? ", " : "; ", shown_caps[i].name,
		       yes(r->caps & (1ull << shown_caps[i].bit)));
	printf("\nbatch reads   %s\n", r->batch ? "yes" : "no (reads maps one entry at a time)");
	printf("bpf stats     %s\n", r->stats == 1 ? "on" :
	       "off (sysctl kernel.bpf_stats_enabled=1 shows BPF run time)");
}

static void print_rung(struct out *out, int b, const struct nb_rung_result *res, bool packet)
{
	const char *name = nb_backend_names[b];
	bool failed = res->tried && !res->ok;
	const char *err = failed ? strerror(-res->err) : "";

	if (out->json) {
		nb_json_open(&out->j, NULL, '{');
		nb_json_str(&out->j, "name", name);
		nb_json_str(&out->j, "hooks", rung_hooks[b]);
		nb_json_str(&out->j, "blind_spots", blind_spots(b, packet));
		nb_json_bool(&out->j, "tried", res->tried);
		nb_json_bool(&out->j, "works", res->ok);
		nb_json_str(&out->j, "failed_at", failed ? res->step : "");
		nb_json_str(&out->j, "error", err);
		nb_json_close(&out->j, '}');
	} else if (!res->tried) {
		text_row(name, "-", "not tried");
	} else if (res->ok) {
		text_row(name, "yes", rung_hooks[b]);
		printf("  %-17s misses: %s\n", "", blind_spots(b, packet));
	} else {
		printf("  %-11s %-5s %s failed: %s\n", name, "no", res->step, err);
	}
}

static void print_tc(struct out *out, size_t m, int err)
{
	if (out->json) {
		nb_json_open(&out->j, NULL, '{');
		nb_json_str(&out->j, "name", tc_methods[m]);
		nb_json_bool(&out->j, "works", !err);
		nb_json_str(&out->j, "error", err ? strerror(-err) : "");
		nb_json_close(&out->j, '}');
	} else {
		text_row(tc_methods[m], yes(!err), err ? strerror(-err) : tc_detail[m]);
	}
}

/* JSON: three fields after attach_method; text: the last row of that list. */
static void print_offloads(struct out *out, bool offload, bool veth)
{
	if (out->json) {
		nb_json_bool(&out->j, "offload_segments", offload);
		nb_json_bool(&out->j, "offload_veth_peer", offload && veth);
		nb_json_str(&out->j, "offload_detail", offload_detail(offload, veth));
	} else {
		text_row("offloads", yes(offload), offload_detail(offload, veth));
	}
}

static void print_family(struct out *out, size_t f)
{
	if (out->json) {
		nb_json_open(&out->j, NULL, '{');
		nb_json_str(&out->j, "name", families[f].name);
		nb_json_bool(&out->j, "counted", families[f].counted[0] == 'y');
		nb_json_str(&out->j, "detail", families[f].why);
		nb_json_close(&out->j, '}');
	} else {
		text_row(families[f].name, families[f].counted, families[f].why);
	}
}

static void print_running(struct out *out, const struct running *r)
{
	char misses[64] = "skipped events not reported by this kernel (Linux 5.12+)";

	if (!r->readable)
		snprintf(misses, sizeof(misses), "not readable by this user (hint: sudo netbpf doctor)");
	else if (r->reported)
		snprintf(misses, sizeof(misses), "%llu events skipped", r->misses);
	if (out->json) {
		nb_json_open(&out->j, NULL, '{');
		nb_json_i64(&out->j, "pid", r->pid);
		nb_json_bool(&out->j, "readable", r->readable);
		nb_json_u64(&out->j, "programs", r->progs);
		nb_json_bool(&out->j, "lost_events_reported", r->reported);
		nb_json_u64(&out->j, "lost_events", r->misses);
		nb_json_close(&out->j, '}');
	} else if (!r->readable) {
		printf("  pid %-7d %s\n", r->pid, misses);
	} else {
		printf("  pid %-7d %2u programs   %s\n", r->pid, r->progs, misses);
	}
}

static void print_choice(struct out *out, const struct report *r)
{
	const char *rung = r->chosen ? nb_backend_names[r->chosen] : NULL;

	if (out->json) {
		nb_json_bool(&out->j, "can_run", rung && r->tc_chosen);
		nb_json_end(&out->j);
	} else {
		printf("\nnetbpf will use: %s for processes, %s for interfaces\n",
		       rung ? rung : "nothing", r->tc_chosen ? r->tc_chosen : "nothing");
	}
}

static void print_report(bool json, const struct report *r)
{
	struct out out = { .json = json };

	if (json)
		nb_json_begin(&out.j, stdout);
	print_system(&out, r);
	list_begin(&out, "backends", "per-process hooks, first that works is used");
	for (int b = NB_BACKEND_TRACEPOINT; b < NB_NBACKENDS; b++)
		print_rung(&out, b, &r->res[b], r->packet);
	list_end(&out, "backend", r->chosen ? nb_backend_names[r->chosen] : NULL);
	list_begin(&out, "attach_methods",
		   "interface counters (TC classifier), first that works is used");
	for (size_t m = 0; m < NTC; m++)
		print_tc(&out, m, r->tc_err[m]);
	list_end(&out, "attach_method", r->tc_chosen);
	print_offloads(&out, r->offload, r->veth);
	list_begin(&out, "address_families",
		   "address families at the socket hooks, counted per process or not");
	for (size_t f = 0; f < NFAMILIES; f++)
		print_family(&out, f);
	list_end(&out, NULL, NULL);
	list_begin(&out, "running",
		   "netbpf running here, and the events the kernel skipped (its hook fired again, from an interrupt, on a CPU where it was running: not counted)");
	for (int i = 0; i < r->nrun; i++)
		print_running(&out, &r->run[i]);
	if (!r->nrun && !out.json)
		printf("  none\n");
	list_end(&out, NULL, NULL);
	print_choice(&out, r);
}

/* Why netbpf cannot run here, on stderr; the exit status. */
static int verdict(const struct report *r)
{
	char miss[128];

	if (r->chosen != NB_BACKEND_AUTO && !r->tc_chosen) {
		nb_errline("cannot run here: neither tcx nor clsact can attach the interface counters (hint: %s)",
			r->caps & (1ull << NB_CAP_NET_ADMIN) ? "modprobe sch_ingress cls_bpf" :
			"missing CAP_NET_ADMIN: allow it, or run as root");
		return 1;
	}
	if (r->chosen != NB_BACKEND_AUTO)
		return 0;
	if (!r->has_btf) {
		nb_errline("cannot run here: no kernel BTF at %s (needs CONFIG_DEBUG_INFO_BTF=y, or --btf FILE)",
			r->btf);
	} else if (!nb_privileged()) {
		nb_missing_caps(r->caps, nb_cap_last(), miss, sizeof(miss));
		nb_errline("cannot run here: not permitted to load BPF programs: missing %s (hint: %s)",
			miss, geteuid() ? "run as root, sudo netbpf doctor" :
			"root, but the capability bounding set drops it: allow CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN");
	} else {
		nb_errline("cannot run here: no hook for per-process accounting works on this kernel");
	}
	return 1;
}

int nb_doctor(const struct nb_opts *o)
{
	struct report r;

	probe(o, &r);
	print_report(o->json, &r);
	return verdict(&r);
}
