// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "container.h"
#include "index.h"
#include "metrics.h"
#include "text.h"
#include "errors.h"

#define DEFAULT_MAX_SERIES 1000
#define OTHER "__other__"

/* A growing string: label sets are built here before they are looked up. */
struct sb {
	char *p;
	size_t n, cap;
	bool oom;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (b->n + n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/*
 * A label value in quotes, by the rule of text.h: valid UTF-8 (a byte that
 * does not decode becomes U+FFFD), backslash, double quote and newline
 * escaped as the text format wants, the other control characters (which
 * it has no escape for) replaced by U+FFFD.
 */
static void sb_label(struct sb *b, const char *v)
{
	static const char repl[] = "\xef\xbf\xbd";

	sb_put(b, "\"", 1);
	while (*v) {
		uint32_t cp;
		int n = nb_utf8_next(v, &cp);

		if (cp == '\\')
			sb_put(b, "\\\\", 2);
		else if (cp == '"')
			sb_put(b, "\\\"", 2);
		else if (cp == '\n')
			sb_put(b, "\\n", 2);
		else if (cp == NB_TEXT_BAD || nb_text_control(cp))
			sb_put(b, repl, 3);
		else
			sb_put(b, v, n);
		v += n;
	}
	sb_put(b, "\"", 1);
}

void nb_metrics_label(FILE *f, const char *v)
{
	struct sb b = {};

	sb_label(&b, v);
	if (b.p)
		fputs(b.p, f);
	free(b.p);
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Counters are netbpf's own, one per label set, fed each interval by the
 * rows' deltas: a process that execs (a new comm), a reused pid, a process
 * or cgroup that is gone and retired from the table, none of these moves
 * bytes already counted from one series to another, and a series never
 * goes down. Label sets are the rendered text between the braces, so two
 * rows that render alike are one series and no series appears twice.
 */
struct series {
	char *labels;
	uint64_t v[4];	/* tx bytes, rx bytes, tx packets, rx packets */
	/* a process series: what its labels were made of, so a row that
	 * found it once finds it again without making them (raw: set) */
	bool raw, per_pid;
	char comm[NB_COMM_LEN];
	uint32_t pid;
};

struct family {
	struct series *s;	/* in order of first appearance */
	uint32_t n, cap;
	struct nb_index index;	/* label set to series (index.h) */
	int64_t other;		/* the overflow series, -1 until needed */
};

enum { FAM_IFACE, FAM_PROC, FAM_CGROUP, NFAM };

static bool has_labels(const void *item, const void *key)
{
	return !strcmp(((const struct series *)item)->labels, key);
}

#define FAMILY_INIT { .index = NB_INDEX_INIT(64, has_labels), .other = -1 }

static struct {
	struct family fam[NFAM];
	uint32_t max_series;
	double ts;		/* the collector's interval last fed */
	bool fed;
} st = { .fam = { FAMILY_INIT, FAMILY_INIT, FAMILY_INIT } };

static struct series *add_series(struct family *fm, const char *labels)
{
	struct series *n;

	if (fm->n == fm->cap) {
		uint32_t cap = fm->cap ? fm->cap * 2 : 64;
		struct series *s = realloc(fm->s, cap * sizeof(*s));

		if (!s)
			return NULL;
		/* the index points into the array, which may have moved */
		nb_index_empty(&fm->index, fm->n);
		for (uint32_t i = 0; i < fm->n; i++)
			nb_index_add(&fm->index, nb_index_hash_str(s[i].labels), &s[i]);
		fm->s = s;
		fm->cap = cap;
	}
	n = &fm->s[fm->n];
	n->labels = strdup(labels);
	if (!n->labels)
		return NULL;
	if (nb_index_add(&fm->index, nb_index_hash_str(labels), n)) {
		free(n->labels);
		return NULL;
	}
	memset(n->v, 0, sizeof(n->v));
	n->raw = false;
	fm->n++;
	return n;
}

/* The series of this label set; past the cap, the overflow series (which
 * is not counted in the cap). */
static struct series *series_of(struct family *fm, const char *labels, const char *other)
{
	struct series *s = nb_index_find(&fm->index, nb_index_hash_str(labels), labels);

	if (s)
		return s;
	if (labels != other && fm->n - (fm->other >= 0) >= st.max_series)
		return series_of(fm, other, other);
	s = add_series(fm, labels);
	if (s && !strcmp(labels, other))
		fm->other = fm->n - 1;
	return s;
}

static uint32_t max_series(void)
{
	const char *e = getenv("NETBPF_METRICS_MAX_SERIES");
	char *end;
	unsigned long v;

	if (!e || !*e)
		return DEFAULT_MAX_SERIES;
	v = strtoul(e, &end, 10);
	if (*end || v < 1 || v > 10000000) {
		nb_errline("ignoring NETBPF_METRICS_MAX_SERIES='%s' (hint: a number from 1 to 10000000); using %d",
			e, DEFAULT_MAX_SERIES);
		return DEFAULT_MAX_SERIES;
	}
	return (uint32_t)v;
}

void nb_metrics_reset(void)
{
	for (int k = 0; k < NFAM; k++) {
		struct family *fm = &st.fam[k];

		for (uint32_t i = 0; i < fm->n; i++)
			free(fm->s[i].labels);
		free(fm->s);
		nb_index_free(&fm->index);
		*fm = (struct family)FAMILY_INIT;
	}
	st.max_series = 0;
	st.fed = false;
}

/* The series a process row found last time, when its labels would still
 * be the same: the labels are not made again (10,000 rows that move in
 * every interval cost 1.1 ms less here, half of serve's work). */
static struct series *proc_hint(const struct nb_row *r, bool per_pid)
{
	const struct family *fm = &st.fam[FAM_PROC];
	struct series *s;

	if (!r->series || r->series > fm->n)
		return NULL;
	s = &fm->s[r->series - 1];
	if (!s->raw || s->per_pid != per_pid || (per_pid && s->pid != r->pid) ||
	    strncmp(s->comm, r->comm, sizeof(s->comm)))
		return NULL;
	return s;
}

static void feed_row(struct nb_row *r, bool per_pid, struct sb *b)
{
	static const char *const other[NFAM] = {
		[FAM_IFACE] = "interface=\"" OTHER "\",device=\"" OTHER "\",container_name=\"\"",
		[FAM_PROC] = "comm=\"" OTHER "\"",
		[FAM_CGROUP] = "cgroup=\"" OTHER "\",container=\"\",container_name=\"\","
			       "pod=\"\",namespace=\"\"",
	};
	const struct nb_counts *d = &r->delta;
	struct series *s;
	char tmp[64];
	int fam;

	b->n = 0;
	sb_put(b, "", 0);
	switch (r->key.type) {
	case NB_ROW_IFACE: {
		const char *name = r->ifname;

		if (!*name) {	/* never named: its index keeps it apart */
			snprintf(tmp, sizeof(tmp), "ifindex:%u", r->ifindex);
			name = tmp;
		}
		fam = FAM_IFACE;
		/* interface (netbpf's first name) and device (node_exporter's) */
		sb_str(b, "interface=");
		sb_label(b, name);
		sb_str(b, ",device=");
		sb_label(b, name);
		/* the container on the other side of a veth, "" when none */
		sb_str(b, ",container_name=");
		sb_label(b, r->ctr_name ? r->ctr_name : "");
		break;
	}
	case NB_ROW_PROCESS:
		if (!d->tx_bytes && !d->rx_bytes)
			return;
		fam = FAM_PROC;
		if ((s = proc_hint(r, per_pid)))
			goto add;
		sb_str(b, "comm=");
		sb_label(b, r->comm);
		if (per_pid) {
			snprintf(tmp, sizeof(tmp), ",pid=\"%u\"", r->pid);
			sb_str(b, tmp);
		}
		break;
	case NB_ROW_CGROUP: {
		const char *path = nb_cgroup_path(r->cgroup_id);
		struct nb_container ct;

		if (!d->tx_bytes && !d->rx_bytes)
			return;
		fam = FAM_CGROUP;
		if (!*path) {	/* gone before netbpf saw its folder */
			snprintf(tmp, sizeof(tmp), "id:%llu", (unsigned long long)r->cgroup_id);
			path = tmp;
		}
		sb_str(b, "cgroup=");
		sb_label(b, path);
		nb_container_lookup(path, &ct);
		sb_str(b, ",container=");
		sb_label(b, ct.id);
		sb_str(b, ",container_name=");
		sb_label(b, ct.name);
		sb_str(b, ",pod=");
		sb_label(b, ct.pod);
		sb_str(b, ",namespace=");
		sb_label(b, ct.ns);
		break;
	}
	default:
		return;
	}
	if (b->oom || !(s = series_of(&st.fam[fam], b->p, other[fam])))
		return;
	if (fam == FAM_PROC && s - st.fam[fam].s != st.fam[fam].other) {
		/* its own series (not the overflow one): remember how it was made */
		s->raw = true;
		s->per_pid = per_pid;
		s->pid = r->pid;
		memcpy(s->comm, r->comm, sizeof(s->comm));
		s->comm[sizeof(s->comm) - 1] = '\0';
		r->series = (uint32_t)(s - st.fam[fam].s) + 1;
	}
add:
	s->v[0] += d->tx_bytes;
	s->v[1] += d->rx_bytes;
	s->v[2] += d->tx_packets;
	s->v[3] += d->rx_packets;
}

/* Add the last interval's deltas, once per interval of the collector. */
void nb_metrics_feed(const struct nb_collector *c, const struct nb_opts *o)
{
	const struct nb_table *t = &c->table;
	struct sb b = {};

	if (!st.max_series)
		st.max_series = max_series();
	if (st.fed && st.ts == c->ts)
		return;	/* this interval is in already */
	st.fed = true;
	st.ts = c->ts;
	for (uint32_t i = 0; i < t->nrows; i++)
		feed_row(t->rows[i], o->metrics_pid, &b);	/* writes its hint in the row */
	free(b.p);
}

static void family(FILE *f, int fam, const char *name, const char *help, int k)
{
	const struct family *fm = &st.fam[fam];

	header(f, name, "counter", help);
	for (uint32_t i = 0; i < fm->n; i++)
		fprintf(f, "%s{%s} %llu\n", name, fm->s[i].labels,
			(unsigned long long)fm->s[i].v[k]);
}

void nb_metrics_write(FILE *f, const struct nb_collector *c, const struct nb_opts *o,
		      const struct nb_metrics_info *info)
{
	/* the maps that can be full (the other drop slots are not drops) */
	static const struct { int i; const char *name; } drop_maps[] = {
		{ NB_DROP_PROCS, "procs" }, { NB_DROP_STASH, "stash" }, { NB_DROP_FLOWS, "flows" },
	};

	nb_metrics_feed(c, o);
	family(f, FAM_IFACE, "netbpf_interface_transmit_bytes_total",
	       "Bytes sent on the wire, link-layer header included.", 0);
	family(f, FAM_IFACE, "netbpf_interface_receive_bytes_total",
	       "Bytes received on the wire, link-layer header included.", 1);
	family(f, FAM_IFACE, "netbpf_interface_transmit_packets_total", "Packets sent.", 2);
	family(f, FAM_IFACE, "netbpf_interface_receive_packets_total", "Packets received.", 3);
	family(f, FAM_PROC, "netbpf_process_transmit_bytes_total",
	       "Socket payload bytes sent by processes.", 0);
	family(f, FAM_PROC, "netbpf_process_receive_bytes_total",
	       "Socket payload bytes received by processes.", 1);
	family(f, FAM_CGROUP, "netbpf_cgroup_transmit_bytes_total",
	       "Socket payload bytes sent in a cgroup v2.", 0);
	family(f, FAM_CGROUP, "netbpf_cgroup_receive_bytes_total",
	       "Socket payload bytes received in a cgroup v2.", 1);
	if (info->progs) {
		header(f, "netbpf_bpf_run_time_seconds_total", "counter",
		       "Time netbpf's BPF programs ran (kernel.bpf_stats_enabled).");
		for (int i = 0; i < info->nprogs; i++) {
			fputs("netbpf_bpf_run_time_seconds_total{program=", f);
			nb_metrics_label(f, info->progs[i].name);
			fprintf(f, "} %.9f\n", info->progs[i].run_time_ns / 1e9);
		}
		header(f, "netbpf_bpf_run_count_total", "counter", "Runs of netbpf's BPF programs.");
		for (int i = 0; i < info->nprogs; i++) {
			fputs("netbpf_bpf_run_count_total{program=", f);
			nb_metrics_label(f, info->progs[i].name);
			fprintf(f, "} %llu\n", (unsigned long long)info->progs[i].run_cnt);
		}
	}
	header(f, "netbpf_dropped_updates_total", "counter", "Counts lost because a map was full.");
	for (size_t i = 0; i < sizeof(drop_maps) / sizeof(drop_maps[0]); i++)
		fprintf(f, "netbpf_dropped_updates_total{map=\"%s\"} %llu\n",
			drop_maps[i].name, (unsigned long long)c->drops[drop_maps[i].i]);
	fprintf(f, "netbpf_dropped_updates_total{map=\"tc_ifaces\"} %llu\n",
		(unsigned long long)c->tc_drops);
	fprintf(f, "netbpf_dropped_updates_total{map=\"tc_hosts\"} %llu\n",
		(unsigned long long)c->tc_host_drops);
	header(f, "netbpf_lost_events_total", "counter",
	       "Runs of netbpf's programs the kernel skipped (recursion_misses): events not counted.");
	for (int i = 0; i < c->nprogs; i++) {
		fputs("netbpf_lost_events_total{program=", f);
		nb_metrics_label(f, c->progs[i].name);
		fprintf(f, "} %llu\n", (unsigned long long)c->progs[i].recursion_misses);
	}
	header(f, "netbpf_flow_evictions_total", "counter", "Flows that gave their slot back early, idle, because few were free.");
	fprintf(f, "netbpf_flow_evictions_total %llu\n", (unsigned long long)c->flow_evictions);
	header(f, "netbpf_build_info", "gauge", "netbpf's version and the hook family in use.");
	fputs("netbpf_build_info{version=", f);
	nb_metrics_label(f, info->version);
	fputs(",backend=", f);
	nb_metrics_label(f, info->backend);
	fputs("} 1\n", f);
}
