// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"
#include "stats.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *const nb_backend_names[NB_NBACKENDS] = {
	"auto", "tracepoint", "fentry", "kprobe",
};

const char *const nb_proto_names[NB_NPROTO] = {
	"tcp", "udp", "icmp", "sctp", "raw", "other", "packet",
};

const char *const nb_rowtype_names[] = {
	"process", "flow", "cgroup", "iface", "host", "total", NULL,
};

/* --by values this version can print */
#define NB_BY_SUPPORTED (NB_BY(NB_ROW_PROCESS) | NB_BY(NB_ROW_FLOW) | NB_BY(NB_ROW_CGROUP) | \
			 NB_BY(NB_ROW_IFACE) | NB_BY(NB_ROW_HOST) | NB_BY(NB_ROW_TOTAL))
/* what --by gives when not asked */
#define NB_BY_DEFAULT (NB_BY(NB_ROW_PROCESS) | NB_BY(NB_ROW_IFACE) | NB_BY(NB_ROW_TOTAL))

void nb_usage(FILE *f)
{
	fputs(
"Usage: netbpf [OPTIONS] [top|trace|serve|doctor]\n"
"\n"
"Who is using the network, and how much: bytes per process, counted in the\n"
"kernel with eBPF. No packet is copied to userspace.\n"
"\n"
"Commands:\n"
"  top      live full-screen view: processes, interfaces, cgroups, flows,\n"
"           host pairs; rates over the last interval or 2/10/40 s (a), peaks\n"
"           (default on a terminal; h shows its keys)\n"
"  trace    one block of rows per interval (default when stdout is not a\n"
"           terminal, or when --pid is given)\n"
"  serve    Prometheus metrics on http://ADDR:PORT/metrics (--listen)\n"
"  doctor   what this kernel supports, which hooks netbpf will use, and\n"
	"           each netbpf running here with the events the kernel skipped\n"
"\n"
"Options:\n"
"  -p, --pid PID[,PID...]   only these processes (filtered in the kernel);\n"
"                           trace ends when they have all exited\n"
"      --comm NAME          only processes with this command name\n"
"      --proto P[,P...]     only these protocols: tcp,udp,icmp,sctp,raw,other,\n"
"                           packet (AF_PACKET sockets)\n"
"      --port N[,N...]      only traffic with this local or remote port\n"
"  -4, -6                   only IPv4 (IPv4 on IPv6 sockets too) / only IPv6\n"
"      --cgroup PATH        only processes in this cgroup v2 or below it\n"
"      --container NAME|ID  only processes in this container (podman, docker,\n"
"                           containerd, CRI-O, LXC): its cgroup, as --cgroup\n"
"  -i, --iface IF[,IF...]   only these interfaces (default: all, and the ones\n"
"                           that appear later)\n"
"  -d, --interval SECONDS   refresh interval, decimal seconds (default 1)\n"
"  -n, --count N            stop after N intervals and print the summary\n"
"                           (top, trace)\n"
"  -j, --json               JSON Lines (trace, doctor)\n"
"      --by VIEWS           rows trace prints, or top's first view:\n"
"                           process,flow,cgroup,iface,host,total\n"
"                           (default process,iface,total); cgroup and\n"
"                           process rows name their container (podman,\n"
"                           docker, containerd, CRI-O, LXC) and pod; host\n"
"                           rows: wire bytes per interface and host pair\n"
"      --no-resolve         no reverse DNS for the remote hosts of host rows\n"
"                           (top, trace; names are looked up by default)\n"
"      --host-ports         host rows per remote TCP or UDP port too (top, trace)\n"
"      --bits               rates in bit/s (top, trace without --json)\n"
"      --backend B          hook family: auto,tracepoint,fentry,kprobe\n"
"      --listen ADDR:PORT   serve: where to listen (default 127.0.0.1:9976;\n"
"                           [::1]:9976 for IPv6)\n"
"      --metrics-pid        serve: a pid label on process metrics (unbounded\n"
"                           cardinality: for short runs)\n"
"      --web-config FILE    serve: TLS and basic auth, in the Prometheus\n"
"                           exporters' web config format (YAML)\n"
"      --btf FILE           kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
"  -v, --verbose            say which hooks were chosen; libbpf's messages\n"
"  -V, --version            print the version and the git commit\n"
"  -h, --help               this help\n"
"\n"
"The filters (--pid ... -i) and -d apply to top, trace and serve; an option\n"
"that does not apply to the command is bad usage. Lists take no empty item.\n"
"\n"
"Environment: NETBPF_MAX_PROCS (16 to 4194304 entries), NETBPF_MAX_FLOWS\n"
"(16 to 16777216), NETBPF_SOCK_SLOTS (a power of two, 1 to 1048576),\n"
"NETBPF_FLOW_IDLE_S (1 to 86400), NETBPF_TC_METHOD (auto, tcx, clsact).\n"
"\n"
"Privileges: root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN.\n"
"Exit status: 0 normal end, 1 netbpf cannot run here, 2 bad usage.\n"
"\n"
"Examples:\n"
"  sudo netbpf top\n"
"  sudo netbpf --pid 1234\n"
"  sudo netbpf trace --json -n 10 | jq .\n"
"  sudo netbpf trace --by flow --port 80,443,8080\n"
"  sudo netbpf trace --by host,total --no-resolve\n"
"  sudo netbpf serve --listen 0.0.0.0:9976\n"
"  sudo netbpf doctor\n", f);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return 2;
}

int nb_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull alone takes " 12", "+12" and "-1" (as 2^64-1): digits only */
	for (const char *c = s; *c; c++)
		if (*c < '0' || *c > '9')
			return -1;
	if (!*s)
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

struct ctx {
	struct nb_opts *o;
	char *err;
	size_t errlen;
};

/*
 * Split a comma list and call fn on each item. An empty list or an empty
 * item ("", ",", "1,,2", "80,") is an error: a filter that names nothing
 * must not quietly become no filter at all.
 */
static int each_item(const char *opt, const char *list, const char *example,
		     int (*fn)(const char *, void *), struct ctx *c)
{
	char buf[1024];
	const char *p = list;

	if (strlen(list) >= sizeof(buf))
		return fail(c->err, c->errlen, "%s list too long: at most %zu characters",
			    opt, sizeof(buf) - 1);
	for (;;) {
		size_t n = strcspn(p, ",");
		int r;

		if (n == 0)
			return fail(c->err, c->errlen,
				    "%s '%s' has an empty item (hint: a comma-separated list, e.g. %s %s)",
				    opt, list, opt, example);
		memcpy(buf, p, n);
		buf[n] = '\0';
		r = fn(buf, c);
		if (r)
			return r;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int add_pid(const char *s, void *arg)
{
	struct ctx *c = arg;
	uint64_t v;

	if (nb_parse_u64(s, INT_MAX, &v) || v == 0)
		return fail(c->err, c->errlen,
			    "bad pid '%s': expected a process id, digits only (hint: --pid 1234)", s);
	if (c->o->npids == NB_MAX_PIDS)
		return fail(c->err, c->errlen, "too many pids: at most %d", NB_MAX_PIDS);
	c->o->pids[c->o->npids++] = (uint32_t)v;
	return 0;
}

static int add_iface(const char *s, void *arg)
{
	struct ctx *c = arg;

	if (strlen(s) >= sizeof(c->o->ifaces[0]))
		return fail(c->err, c->errlen, "bad interface name '%s': at most %zu characters",
			    s, sizeof(c->o->ifaces[0]) - 1);
	if (c->o->nifaces == NB_MAX_IFACES)
		return fail(c->err, c->errlen, "too many interfaces: at most %d", NB_MAX_IFACES);
	strcpy(c->o->ifaces[c->o->nifaces++], s);
	return 0;
}

static int add_port(const char *s, void *arg)
{
	struct ctx *c = arg;
	uint64_t v;

	if (nb_parse_u64(s, 65535, &v) || v == 0)
		return fail(c->err, c->errlen,
			    "bad port '%s': expected 1 to 65535, digits only (hint: --port 443)", s);
	if (c->o->nports == NB_MAX_PORTS)
		return fail(c->err, c->errlen, "too many ports: at most %d", NB_MAX_PORTS);
	c->o->ports[c->o->nports++] = (uint16_t)v;
	return 0;
}

static int lookup_name(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n && names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static int add_proto(const char *s, void *arg)
{
	struct ctx *c = arg;
	int p = lookup_name(s, nb_proto_names, NB_NPROTO);

	if (p < 0)
		return fail(c->err, c->errlen,
			    "unknown protocol '%s': use tcp, udp, icmp, sctp, raw, other or packet", s);
	c->o->proto_mask |= 1u << p;
	return 0;
}

static int add_by(const char *s, void *arg)
{
	struct ctx *c = arg;
	int t = lookup_name(s, nb_rowtype_names, NB_NROWTYPES);

	if (t < 0)
		return fail(c->err, c->errlen,
			    "unknown view '%s' for --by: use process, iface, flow, cgroup, host or total", s);
	if (!(NB_BY_SUPPORTED & NB_BY(t)))
		return fail(c->err, c->errlen,
			    "--by %s is not available in this version of netbpf", s);
	c->o->by |= NB_BY(t);
	return 0;
}

enum {
	OPT_COMM = 256, OPT_PROTO, OPT_BY, OPT_BITS, OPT_BACKEND, OPT_BTF,
	OPT_PORT, OPT_CGROUP, OPT_CONTAINER, OPT_LISTEN, OPT_METRICS_PID, OPT_WEB_CONFIG,
	OPT_NO_RESOLVE, OPT_HOST_PORTS,
};

static const struct option longopts[] = {
	{ "pid",      required_argument, NULL, 'p' },
	{ "comm",     required_argument, NULL, OPT_COMM },
	{ "proto",    required_argument, NULL, OPT_PROTO },
	{ "interval", required_argument, NULL, 'd' },
	{ "count",    required_argument, NULL, 'n' },
	{ "json",     no_argument,       NULL, 'j' },
	{ "by",       required_argument, NULL, OPT_BY },
	{ "bits",     no_argument,       NULL, OPT_BITS },
	{ "backend",  required_argument, NULL, OPT_BACKEND },
	{ "btf",      required_argument, NULL, OPT_BTF },
	{ "verbose",  no_argument,       NULL, 'v' },
	{ "version",  no_argument,       NULL, 'V' },
	{ "help",     no_argument,       NULL, 'h' },
	{ "iface",    required_argument, NULL, 'i' },
	{ "cgroup",   required_argument, NULL, OPT_CGROUP },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "port",     required_argument, NULL, OPT_PORT },
	{ "listen",   required_argument, NULL, OPT_LISTEN },
	{ "metrics-pid", no_argument,    NULL, OPT_METRICS_PID },
	{ "web-config", required_argument, NULL, OPT_WEB_CONFIG },
	{ "no-resolve", no_argument,     NULL, OPT_NO_RESOLVE },
	{ "host-ports", no_argument,     NULL, OPT_HOST_PORTS },
	{ NULL, 0, NULL, 0 },
};

/* The commands each option applies to; -v, -V and -h apply to all. */
#define C_TOP (1u << NB_CMD_TOP)
#define C_TRACE (1u << NB_CMD_TRACE)
#define C_SERVE (1u << NB_CMD_SERVE)
#define C_DOCTOR (1u << NB_CMD_DOCTOR)
#define C_COUNTING (C_TOP | C_TRACE | C_SERVE)

static const struct {
	int val;		/* getopt's value */
	const char *name;
	unsigned int cmds;
	const char *hint;	/* why not, or what to do instead */
} optinfo[] = {
	{ 'p', "--pid", C_COUNTING, "doctor counts nothing" },
	{ OPT_COMM, "--comm", C_COUNTING, "doctor counts nothing" },
	{ OPT_PROTO, "--proto", C_COUNTING, "doctor counts nothing" },
	{ OPT_PORT, "--port", C_COUNTING, "doctor counts nothing" },
	{ '4', "-4", C_COUNTING, "doctor counts nothing" },
	{ '6', "-6", C_COUNTING, "doctor counts nothing" },
	{ OPT_CGROUP, "--cgroup", C_COUNTING, "doctor counts nothing" },
	{ OPT_CONTAINER, "--container", C_COUNTING, "doctor counts nothing" },
	{ 'i', "--iface", C_COUNTING, "doctor counts nothing" },
	{ 'd', "--interval", C_COUNTING, "doctor counts nothing" },
	{ 'n', "--count", C_TOP | C_TRACE, "--count is for top and trace; serve runs until stopped" },
	{ 'j', "--json", C_TRACE | C_DOCTOR, "use netbpf trace --json" },
	{ OPT_BY, "--by", C_TOP | C_TRACE, "--by chooses the rows of trace and the first view of top" },
	{ OPT_BITS, "--bits", C_TOP | C_TRACE, "--bits is for the human output of top and trace" },
	{ OPT_BACKEND, "--backend", C_COUNTING | C_DOCTOR, NULL },
	{ OPT_BTF, "--btf", C_COUNTING | C_DOCTOR, NULL },
	{ OPT_LISTEN, "--listen", C_SERVE, "use netbpf serve --listen ADDR:PORT" },
	{ OPT_METRICS_PID, "--metrics-pid", C_SERVE, "it is a netbpf serve option" },
	{ OPT_NO_RESOLVE, "--no-resolve", C_TOP | C_TRACE,
	  "names are looked up only for the host rows of top and trace" },
	{ OPT_HOST_PORTS, "--host-ports", C_TOP | C_TRACE,
	  "host rows are made by top and trace" },
};

static void mark_given(struct nb_opts *o, int val)
{
	for (size_t i = 0; i < ARRAY_LEN(optinfo); i++)
		if (optinfo[i].val == val)
			o->given |= 1u << i;
}

static const char *const cmd_names[] = { "", "top", "trace", "serve", "doctor" };

int nb_resolve_command(struct nb_opts *o, bool tty, char *err, size_t errlen)
{
	if (o->command == NB_CMD_DEFAULT)
		o->command = o->npids || o->json || !tty ? NB_CMD_TRACE : NB_CMD_TOP;
	for (size_t i = 0; i < ARRAY_LEN(optinfo); i++) {
		if (!(o->given & (1u << i)) || (optinfo[i].cmds & (1u << o->command)))
			continue;
		return fail(err, errlen, "%s does not apply to netbpf %s (hint: %s)",
			    optinfo[i].name, cmd_names[o->command], optinfo[i].hint);
	}
	if (o->bits && o->json)
		return fail(err, errlen,
			    "--bits does not apply to --json (hint: JSON rates are always bytes per second)");
	return 0;
}

/* One NETBPF_* number: unset, or digits within [min, max] 'what'. */
static int env_num(const char *name, uint32_t min, uint32_t max, const char *what,
		   uint32_t *out, char *err, size_t errlen)
{
	const char *v = getenv(name);
	uint64_t n;

	*out = 0;
	if (!v)
		return 0;
	if (nb_parse_u64(v, max, &n) || n < min)
		return fail(err, errlen,
			    "bad %s '%s': expected a number of %s from %u to %u (hint: unset it for the default)",
			    name, v, what, min, max);
	*out = (uint32_t)n;
	return 0;
}

int nb_parse_env(struct nb_opts *o, char *err, size_t errlen)
{
	const char *m = getenv("NETBPF_TC_METHOD");

	if (env_num("NETBPF_MAX_FLOWS", NB_MAX_FLOWS_MIN, NB_MAX_FLOWS_MAX, "entries",
		    &o->max_flows, err, errlen) ||
	    env_num("NETBPF_MAX_PROCS", NB_MAX_PROCS_MIN, NB_MAX_PROCS_MAX, "entries",
		    &o->max_procs, err, errlen) ||
	    env_num("NETBPF_FLOW_IDLE_S", 1, 86400, "seconds", &o->flow_idle_s, err, errlen) ||
	    env_num("NETBPF_SOCK_SLOTS", 1, NB_SOCK_SLOTS_MAX, "entries", &o->sock_slots, err,
		    errlen))
		return 2;
	if (o->sock_slots & (o->sock_slots - 1))
		return fail(err, errlen,
			    "bad NETBPF_SOCK_SLOTS '%u': expected a power of two from 1 to %u (hint: unset it for the default)",
			    o->sock_slots, NB_SOCK_SLOTS_MAX);
	/* NETBPF_TC_METHOD is read by the session; an empty one means auto */
	if (m && *m && strcmp(m, "auto") && strcmp(m, "tcx") && strcmp(m, "clsact"))
		return fail(err, errlen, "bad NETBPF_TC_METHOD '%s': use auto, tcx or clsact", m);
	return 0;
}

/* Options that only switch something on. */
static const struct {
	int val;
	size_t off;		/* of the bool in struct nb_opts */
} flag_opts[] = {
	{ 'j', offsetof(struct nb_opts, json) },
	{ OPT_BITS, offsetof(struct nb_opts, bits) },
	{ 'v', offsetof(struct nb_opts, verbose) },
	{ 'V', offsetof(struct nb_opts, version) },
	{ 'h', offsetof(struct nb_opts, help) },
	{ OPT_METRICS_PID, offsetof(struct nb_opts, metrics_pid) },
	{ OPT_NO_RESOLVE, offsetof(struct nb_opts, no_resolve) },
	{ OPT_HOST_PORTS, offsetof(struct nb_opts, host_ports) },
};

/* Options whose value is kept as given, but never empty. */
static const struct {
	int val;
	size_t off;		/* of the const char * in struct nb_opts */
	const char *empty;	/* the error for an empty value */
} string_opts[] = {
	{ OPT_BTF, offsetof(struct nb_opts, btf_path),
	  "--btf needs a file (hint: --btf /sys/kernel/btf/vmlinux)" },
	{ OPT_CGROUP, offsetof(struct nb_opts, cgroup),
	  "--cgroup needs a path, e.g. /system.slice/nginx.service" },
	{ OPT_CONTAINER, offsetof(struct nb_opts, container),
	  "--container needs a name or id, e.g. web-1" },
	{ OPT_LISTEN, offsetof(struct nb_opts, listen),
	  "--listen needs ADDR:PORT (hint: --listen 127.0.0.1:9976)" },
	{ OPT_WEB_CONFIG, offsetof(struct nb_opts, web_config),
	  "--web-config needs a file name, e.g. /etc/netbpf/web.yml" },
};

/* Options that take a comma list, each item added by add. */
static const struct {
	int val;
	const char *name;
	const char *example;	/* for the empty item hint */
	int (*add)(const char *, void *);
} list_opts[] = {
	{ 'p', "--pid", "1234,5678", add_pid },
	{ OPT_PROTO, "--proto", "tcp,udp", add_proto },
	{ OPT_BY, "--by", "process,iface", add_by },
	{ 'i', "--iface", "eth0,wlan0", add_iface },
	{ OPT_PORT, "--port", "80,443", add_port },
};

/* The options with a value of their own syntax. -1: not one of them. */
static int parse_value(int opt, const char *arg, struct ctx *c)
{
	struct nb_opts *o = c->o;
	char *end;
	double v;
	int b;

	switch (opt) {
	case OPT_COMM:
		if (!*arg || strlen(arg) >= NB_COMM_LEN)
			return fail(c->err, c->errlen,
				    "bad command name '%s': 1 to %d characters, as in /proc/PID/comm",
				    arg, NB_COMM_LEN - 1);
		strcpy(o->comm, arg);
		o->has_comm = true;
		return 0;
	case 'd':
		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(v) || v < 0.01 || v > 86400)
			return fail(c->err, c->errlen,
				    "bad interval '%s': seconds from 0.01 to 86400, e.g. 0.5", arg);
		o->interval = v;
		return 0;
	case 'n':
		if (nb_parse_u64(arg, UINT32_MAX, &o->count) || o->count == 0)
			return fail(c->err, c->errlen, "bad count '%s': expected a positive number", arg);
		return 0;
	case OPT_BACKEND:
		b = lookup_name(arg, nb_backend_names, NB_NBACKENDS);
		if (b < 0)
			return fail(c->err, c->errlen,
				    "unknown backend '%s': use auto, tracepoint, fentry or kprobe", arg);
		o->backend = b;
		return 0;
	case '4':
		o->family_mask |= 1;
		return 0;
	case '6':
		o->family_mask |= 2;
		return 0;
	}
	return -1;
}

/* One option from getopt: 0, 2 with the message in c->err, or -1 when
 * it is none of netbpf's. */
static int parse_one(int opt, const char *arg, struct ctx *c)
{
	for (size_t i = 0; i < ARRAY_LEN(flag_opts); i++)
		if (flag_opts[i].val == opt) {
			*(bool *)((char *)c->o + flag_opts[i].off) = true;
			return 0;
		}
	for (size_t i = 0; i < ARRAY_LEN(string_opts); i++)
		if (string_opts[i].val == opt) {
			if (!*arg)
				return fail(c->err, c->errlen, "%s", string_opts[i].empty);
			*(const char **)((char *)c->o + string_opts[i].off) = arg;
			return 0;
		}
	for (size_t i = 0; i < ARRAY_LEN(list_opts); i++)
		if (list_opts[i].val == opt)
			return each_item(list_opts[i].name, arg, list_opts[i].example,
					 list_opts[i].add, c);
	return parse_value(opt, arg, c);
}

/* The command word after the options, if any, and nothing after it. */
static int parse_command(int argc, char **argv, struct nb_opts *o, char *err, size_t errlen)
{
	static const char *const cmds[] = { "top", "trace", "serve", "doctor", NULL };
	int i;

	if (optind >= argc)
		return 0;
	i = lookup_name(argv[optind], cmds, 4);
	if (i < 0)
		return fail(err, errlen,
			    "unknown command '%s': use top, trace, serve or doctor", argv[optind]);
	o->command = NB_CMD_TOP + i;
	if (optind + 1 < argc)
		return fail(err, errlen, "unexpected argument '%s'", argv[optind + 1]);
	return 0;
}

int nb_parse_opts(int argc, char **argv, struct nb_opts *o, char *err, size_t errlen)
{
	struct ctx c = { o, err, errlen };
	int opt, r;

	memset(o, 0, sizeof(*o));
	o->interval = 1.0;
	err[0] = '\0';
	optind = 0;	/* full reset of getopt, so tests can parse many times */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:d:n:jvVhi:46", longopts, NULL)) != -1) {
		mark_given(o, opt);
		if (opt == ':')
			return fail(err, errlen, "option %s needs a value", argv[optind - 1]);
		r = parse_one(opt, optarg, &c);
		if (r < 0)
			return fail(err, errlen, "unknown option '%s': see netbpf --help",
				    argv[optind - 1]);
		if (r)
			return r;
	}
	r = parse_command(argc, argv, o, err, errlen);
	if (r)
		return r;
	if (o->cgroup && o->container)
		return fail(err, errlen, "--cgroup and --container cannot be used together");
	if (!o->proto_mask)
		o->proto_mask = (1u << NB_NPROTO) - 1;
	if (!o->by)
		o->by = NB_BY_DEFAULT;
	if (!o->family_mask)
		o->family_mask = 3;
	return 0;
}
