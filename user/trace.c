// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cgroup.h"
#include "container.h"
#include "format.h"
#include "json.h"
#include "layout.h"
#include "session.h"
#include "tc_shared.h"
#include "trace.h"
#include "errors.h"

/* One printed row: the table row plus how it is shown. */
struct view {
	const struct nb_row *r;
	uint64_t tx_bytes, rx_bytes;
	double tx_rate, rx_rate;
};

static int by_rate(const void *a, const void *b)
{
	const struct view *x = a, *y = b;
	double rx = x->tx_rate + x->rx_rate, ry = y->tx_rate + y->rx_rate;

	if (rx != ry)
		return rx < ry ? 1 : -1;
	if (x->tx_bytes + x->rx_bytes != y->tx_bytes + y->rx_bytes)
		return x->tx_bytes + x->rx_bytes < y->tx_bytes + y->rx_bytes ? 1 : -1;
	if (x->r->pid != y->r->pid)
		return x->r->pid < y->r->pid ? -1 : 1;
	return x->r->ifindex < y->r->ifindex ? -1 : x->r->ifindex > y->r->ifindex;
}

/* Rows of one type: those that moved (interval) or all (summary), sorted. */
static struct view *collect(const struct nb_collector *c, uint32_t type, bool summary,
			    double span, int *n)
{
	const struct nb_table *t = &c->table;
	struct view *v = calloc(t->nrows ? t->nrows : 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (uint32_t i = 0; i < t->nrows; i++) {
		const struct nb_row *r = t->rows[i];

		if (r->key.type != type || (!summary && !r->moved))
			continue;
		if (summary && !r->cur.tx_bytes && !r->cur.rx_bytes)
			continue;
		v[*n].r = r;
		v[*n].tx_bytes = r->cur.tx_bytes;
		v[*n].rx_bytes = r->cur.rx_bytes;
		v[*n].tx_rate = summary ? nb_rate(r->cur.tx_bytes, span) : r->tx_rate;
		v[*n].rx_rate = summary ? nb_rate(r->cur.rx_bytes, span) : r->rx_rate;
		(*n)++;
	}
	qsort(v, *n, sizeof(*v), by_rate);
	return v;
}

/* One block being printed: where, and how. */
struct out {
	FILE *f;
	const struct nb_collector *c;
	double span;	/* the interval, or the time since the start (summary) */
	bool summary;
	bool json;	/* JSON Lines, or text */
	bool bits;	/* text rates in bits */
};

/*
 * One printer per row type, for text and JSON alike: the text header
 * and line, and the JSON fields that follow the common ones (type, ts,
 * interval_s, the counts and summary).
 */
struct row_printer {
	uint32_t type;		/* NB_ROW_* */
	const char *name;	/* JSON "type" */
	const char *head;	/* the text header, over the rows */
	void (*text)(const struct out *out, const struct view *v);
	void (*json)(struct nb_json *j, const struct out *out, const struct nb_row *r);
};

/* The count columns' header: rates, then totals. */
#define COUNT_HEAD "        SENT/s        RECV/s        SENT    RECEIVED"

/* The four columns every text row ends with: rates, then totals. */
static void count_cols(const struct out *out, const struct view *v, const char *mark, bool eol)
{
	char a[32], b[32], d[32], e[32];

	fprintf(out->f, " %13s %13s %11s %11s%s%s",
		nb_fmt_rate(a, sizeof(a), v->tx_rate, out->bits),
		nb_fmt_rate(b, sizeof(b), v->rx_rate, out->bits),
		nb_fmt_bytes(d, sizeof(d), v->tx_bytes),
		nb_fmt_bytes(e, sizeof(e), v->rx_bytes), mark, eol ? "\n" : "");
}

/* A JSON line: the fields every row has, then the row type's own. */
static void json_row(const struct out *out, const char *type, const struct view *v,
		     const struct row_printer *p)
{
	struct nb_json j;

	nb_json_begin(&j, out->f);
	nb_json_str(&j, "type", type);
	nb_json_double(&j, "ts", out->c->ts, 6);
	nb_json_double(&j, "interval_s", out->span, 6);
	nb_json_u64(&j, "tx_bytes", v->tx_bytes);
	nb_json_u64(&j, "rx_bytes", v->rx_bytes);
	nb_json_double(&j, "tx_rate", v->tx_rate, 3);
	nb_json_double(&j, "rx_rate", v->rx_rate, 3);
	nb_json_bool(&j, "summary", out->summary);
	if (p)
		p->json(&j, out, v->r);
	nb_json_end(&j);
}

/* container, container_name, pod, namespace: "" where not known */
static void json_container(struct nb_json *j, const char *path)
{
	struct nb_container ct;

	nb_container_lookup(path, &ct);
	nb_json_str(j, "container", ct.id);
	nb_json_str(j, "container_name", ct.name);	/* or a systemd unit's */
	nb_json_str(j, "pod", ct.pod);
	nb_json_str(j, "namespace", ct.ns);
}

/* A process's command line, last on its line: escaped, cut at 120
 * columns; ps's [comm] when there is none. */
static void cmdline_col(FILE *f, const struct nb_row *r)
{
	char cell[120 * 4 + 1], none[NB_COMM_LEN + 2];
	const char *s = r->cmdline;
	int w;

	if (!s || !*s) {
		snprintf(none, sizeof(none), "[%s]", r->comm);
		s = none;
	}
	w = nb_text_width(s);
	nb_cell(cell, sizeof(cell), s, w < 120 ? w : 120, false, false);
	fprintf(f, "  %s", cell);
}

/* PID USER START COMMAND, the counts, the command line, the mark. */
static void text_process(const struct out *out, const struct view *v)
{
	char name[128], user[32], ucell[64], start[32];
	const struct nb_row *r = v->r;

	/* names are the process's own: escaped, text.h */
	nb_cell(name, sizeof(name), r->comm, 16, false, false);
	nb_cell(ucell, sizeof(ucell), nb_user_name(r->uid, user, sizeof(user)), 8, false, false);
	nb_fmt_start(start, sizeof(start), nb_start_time(out->c, r->start_ns), out->c->ts);
	fprintf(out->f, "%8u %s %-8s %s", r->pid, ucell, start, name);
	count_cols(out, v, "", false);
	cmdline_col(out->f, r);
	fprintf(out->f, "%s\n", r->exited ? "  (exited)" : "");
}

static void json_process(struct nb_json *j, const struct out *out, const struct nb_row *r)
{
	char user[32];

	nb_json_u64(j, "pid", r->pid);
	nb_json_str(j, "comm", r->comm);
	nb_json_u64(j, "uid", r->uid);
	nb_json_str(j, "user", nb_user_name(r->uid, user, sizeof(user)));
	nb_json_double(j, "start_time", nb_start_time(out->c, r->start_ns), 3);
	nb_json_str(j, "cmdline", r->cmdline ? r->cmdline : "");
	nb_json_str(j, "cgroup", nb_cgroup_path(r->cgroup_id));
	json_container(j, nb_cgroup_path(r->cgroup_id));
	nb_json_bool(j, "exited", r->exited);
}

static const char *proto_name(const struct nb_row *r)
{
	return r->proto < NB_NPROTO ? nb_proto_names[r->proto] : "other";
}

/* PID COMMAND PROTO LOCAL REMOTE, the counts. */
static void text_flow(const struct out *out, const struct view *v)
{
	const struct nb_row *r = v->r;
	char name[128], la[64], ra[64];

	nb_cell(name, sizeof(name), r->comm, 16, false, false);
	fprintf(out->f, "%8u %s %-6s %-28s %-28s", r->pid, name, proto_name(r),
		nb_fmt_endpoint(la, sizeof(la), r->family, r->laddr, r->lport),
		nb_fmt_endpoint(ra, sizeof(ra), r->family, r->raddr, r->rport));
	count_cols(out, v, "", true);
}

static void json_flow(struct nb_json *j, const struct out *out, const struct nb_row *r)
{
	char ip[64];

	nb_json_u64(j, "pid", r->pid);
	nb_json_str(j, "comm", r->comm);
	nb_json_str(j, "proto", proto_name(r));
	nb_json_u64(j, "family", r->family);
	if (r->family == NB_FAMILY_PACKET) {	/* AF_PACKET: no addresses */
		uint32_t ifindex;

		memcpy(&ifindex, r->laddr, 4);
		nb_json_u64(j, "ifindex", ifindex);
		nb_json_u64(j, "ethertype", r->lport);
	} else {
		nb_json_str(j, "laddr", nb_fmt_ip(ip, sizeof(ip), r->family, r->laddr));
		nb_json_u64(j, "lport", r->lport);
		nb_json_str(j, "raddr", nb_fmt_ip(ip, sizeof(ip), r->family, r->raddr));
		nb_json_u64(j, "rport", r->rport);
	}
}

/* CGROUP CONTAINER (a unit's name when no container), the counts. */
static void text_cgroup(const struct out *out, const struct view *v)
{
	const char *p = nb_cgroup_path(v->r->cgroup_id);
	char path[256], cell[128];
	struct nb_container ct;

	nb_cell(path, sizeof(path), *p ? p : "?", 40, false, false);
	nb_container_lookup(p, &ct);
	nb_cell(cell, sizeof(cell), *ct.name ? ct.name : "-", 20, false, false);
	fprintf(out->f, "%s %s", path, cell);
	count_cols(out, v, "", true);
}

static void json_cgroup(struct nb_json *j, const struct out *out, const struct nb_row *r)
{
	const char *path = nb_cgroup_path(r->cgroup_id);

	nb_json_str(j, "cgroup", path);
	json_container(j, path);
}

/* IFINDEX INTERFACE CONTAINER (on the other side of a veth), the counts,
 * the mark. */
static void text_iface(const struct out *out, const struct view *v)
{
	const struct nb_row *r = v->r;
	char name[128], cell[128];

	nb_cell(name, sizeof(name), r->ifname, 16, false, false);
	nb_cell(cell, sizeof(cell), r->ctr_name && *r->ctr_name ? r->ctr_name : "-", 20,
		false, false);
	fprintf(out->f, "%8u %s %s", r->ifindex, name, cell);
	count_cols(out, v, r->exited ? "  (gone)" : "", true);
}

static void json_iface(struct nb_json *j, const struct out *out, const struct nb_row *r)
{
	nb_json_str(j, "ifname", r->ifname);
	nb_json_u64(j, "ifindex", r->ifindex);
	nb_json_u64(j, "tx_packets", r->cur.tx_packets);
	nb_json_u64(j, "rx_packets", r->cur.rx_packets);
	nb_json_bool(j, "gone", r->exited);
	/* the container on the other side of a veth */
	nb_json_str(j, "container_name", r->ctr_name ? r->ctr_name : "");
}

/* Host pairs, wire bytes per interface: INTERFACE LOCAL REMOTE (and its
 * name when known), the counts. */
static void text_host(const struct out *out, const struct view *v)
{
	const struct nb_row *r = v->r;
	const char *hn = r->host_name && *r->host_name ? r->host_name : "-";
	char name[128], la[64], ra[64], cell[512];

	nb_cell(name, sizeof(name), r->ifname, 16, false, false);
	/* a name from DNS is as hostile as any: escaped, text.h */
	nb_cell(cell, sizeof(cell), hn, 30, false, false);
	fprintf(out->f, "%s %-39s %-39s %s", name,
		nb_fmt_ip(la, sizeof(la), r->family, r->laddr),
		r->rport ? nb_fmt_endpoint(ra, sizeof(ra), r->family, r->raddr, r->rport) :
		nb_fmt_ip(ra, sizeof(ra), r->family, r->raddr), cell);
	count_cols(out, v, "", true);
}

static void json_host(struct nb_json *j, const struct out *out, const struct nb_row *r)
{
	char ip[64];

	nb_json_str(j, "ifname", r->ifname);
	nb_json_u64(j, "ifindex", r->ifindex);
	nb_json_u64(j, "family", r->family);
	nb_json_str(j, "laddr", nb_fmt_ip(ip, sizeof(ip), r->family, r->laddr));
	nb_json_str(j, "raddr", nb_fmt_ip(ip, sizeof(ip), r->family, r->raddr));
	if (r->rport)
		nb_json_u64(j, "rport", r->rport);
	nb_json_u64(j, "tx_packets", r->cur.tx_packets);
	nb_json_u64(j, "rx_packets", r->cur.rx_packets);
	nb_json_str(j, "name", r->host_name ? r->host_name : "");
}

/* The row types in the order they are printed; the total row last in
 * JSON, first in text. */
static const struct row_printer printers[] = {
	{ NB_ROW_PROCESS, "process",
	  "     PID USER     START    COMMAND         " COUNT_HEAD "  CMDLINE\n",
	  text_process, json_process },
	{ NB_ROW_FLOW, "flow",
	  "     PID COMMAND          PROTO  "
	  "LOCAL                        REMOTE                      " COUNT_HEAD "\n",
	  text_flow, json_flow },
	{ NB_ROW_CGROUP, "cgroup",
	  "CGROUP                                   CONTAINER           " COUNT_HEAD "\n",
	  text_cgroup, json_cgroup },
	{ NB_ROW_IFACE, "iface",
	  " IFINDEX INTERFACE        CONTAINER           "
	  "          UP/s        DOWN/s        SENT    RECEIVED\n",
	  text_iface, json_iface },
	{ NB_ROW_HOST, "host",
	  "INTERFACE        LOCAL                                   "
	  "REMOTE                                  NAME                          " COUNT_HEAD "\n",
	  text_host, json_host },
};

/* The rows of one type, sorted: the header, then a line each. */
static void print_rows(const struct out *out, const struct row_printer *p)
{
	int n;
	struct view *v = collect(out->c, p->type, out->summary, out->span, &n);

	if (v && n && !out->json)
		fputs(p->head, out->f);
	for (int i = 0; v && i < n; i++) {
		if (out->json)
			json_row(out, p->name, &v[i], p);
		else
			p->text(out, &v[i]);
	}
	free(v);
}

static void total_view(const struct nb_collector *c, bool summary, double span,
		       struct view *tv)
{
	struct nb_counts cum, delta;

	/* the total is the sum over the interfaces, like ip -s link */
	nb_table_sum(&c->table, NB_ROW_IFACE, &cum, &delta);
	memset(tv, 0, sizeof(*tv));
	tv->tx_bytes = cum.tx_bytes;
	tv->rx_bytes = cum.rx_bytes;
	tv->tx_rate = nb_rate(summary ? cum.tx_bytes : delta.tx_bytes, span);
	tv->rx_rate = nb_rate(summary ? cum.rx_bytes : delta.rx_bytes, span);
}

/* The text total line: the time, up and down, sent and received. */
static void text_total(const struct out *out, const struct view *tv)
{
	char a[32], b[32], d[32], e[32], when[32];
	time_t now = (time_t)out->c->ts;
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out->f, "%s  %s  up %s  down %s  (sent %s, received %s)\n",
		when, out->summary ? "summary" : "total",
		nb_fmt_rate(a, sizeof(a), tv->tx_rate, out->bits),
		nb_fmt_rate(b, sizeof(b), tv->rx_rate, out->bits),
		nb_fmt_bytes(d, sizeof(d), tv->tx_bytes),
		nb_fmt_bytes(e, sizeof(e), tv->rx_bytes));
}

/* The total row's own fields: what netbpf lost since it started, updates
 * a full map refused and events the kernel skipped (recursion_misses). */
static void json_lost(struct nb_json *j, const struct out *out, const struct nb_row *r)
{
	uint64_t lost = nb_collector_lost(out->c);

	(void)r;
	nb_json_u64(j, "dropped_updates", lost - out->c->lost_events);
	nb_json_u64(j, "lost_events", out->c->lost_events);
}

static const struct row_printer total_printer = { .json = json_lost };

/* One block: the rows of each type asked for (--by), and the total. */
static void print_block(FILE *f, const struct nb_collector *c, const struct nb_opts *o,
			bool summary)
{
	struct out out = {
		.f = f, .c = c, .summary = summary, .json = o->json, .bits = o->bits,
		.span = summary ? c->last_mono - c->start_mono : c->interval_s,
	};
	bool total = o->by & NB_BY(NB_ROW_TOTAL);
	struct view tv;

	total_view(c, summary, out.span, &tv);
	if (total && !out.json)
		text_total(&out, &tv);
	for (size_t i = 0; i < sizeof(printers) / sizeof(printers[0]); i++)
		if (o->by & NB_BY(printers[i].type))
			print_rows(&out, &printers[i]);
	if (total && out.json)
		json_row(&out, "total", &tv, &total_printer);
	if (!out.json)
		fputc('\n', f);
	fflush(f);
}

void nb_trace_interval(FILE *f, const struct nb_collector *c, const struct nb_opts *o)
{
	print_block(f, c, o, false);
}

void nb_trace_summary(FILE *f, const struct nb_collector *c, const struct nb_opts *o)
{
	print_block(f, c, o, true);
}

struct trace_run {
	const struct nb_opts *o;
	bool reader_gone;	/* netbpf trace | head: stdout closed */
};

static int trace_interval(void *ctx, const struct nb_collector *c)
{
	struct trace_run *t = ctx;

	nb_trace_interval(stdout, c, t->o);
	if (!ferror(stdout))
		return 0;
	/* the reader went away (netbpf trace | head): a normal end */
	t->reader_gone = true;
	if (errno == EPIPE)
		return NB_RUN_STOP;
	nb_errline("cannot write the trace: %s", strerror(errno));
	return 1;
}

int nb_trace_run(const struct nb_opts *o)
{
	struct nb_session s;
	struct trace_run t = { .o = o };
	struct nb_frontend fe = {
		.ctx = &t, .fd = -1, .interval = trace_interval,
		.warn_lost = true, .final_poll = true,
	};
	int ret = nb_session_open(&s, o);

	if (ret)
		return ret;
	ret = nb_session_run(&s, &fe);
	if (!ret && !t.reader_gone) {
		nb_collector_restore_retired(&s.c);
		nb_trace_summary(stdout, &s.c, o);
		if (s.c.retired_lost)
			nb_errline("%llu ended rows are not in the summary: more than %zu ended while netbpf ran (their bytes are in the totals)",
				(unsigned long long)s.c.retired_lost, s.c.retired_max);
	}
	if (s.c.flow_evictions || s.c.drops[NB_DROP_FLOWS])
		nb_errline("%llu flows were evicted from the flow map (%u slots) to make room and %llu flow updates found it full; their bytes are in the process totals (hint: NETBPF_MAX_FLOWS=N for a larger map)",
			(unsigned long long)s.c.flow_evictions, s.loader.flows_max,
			(unsigned long long)s.c.drops[NB_DROP_FLOWS]);
	if (s.c.tc_host_drops)
		nb_errline("%llu packets were not counted per host pair: the host pair map (%u entries) was full; they are in the interface rows (hint: -i IF for fewer pairs)",
			(unsigned long long)s.c.tc_host_drops, NB_TC_MAX_HOSTS);
	nb_session_close(&s);
	return ret;
}
