// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "metrics.h"

void nb_metrics_label(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Processes sum by command name (or by pid with --metrics-pid): exited
 * processes stay in the sum, so every counter only grows. */
struct agg {
	char comm[NB_COMM_LEN];
	uint32_t pid;
	uint64_t tx, rx;
};

static int by_comm(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;
	int r = strcmp(x->comm, y->comm);

	return r ? r : (x->pid > y->pid) - (x->pid < y->pid);
}

static void processes(FILE *f, const struct nb_collector *c, bool per_pid)
{
	const struct nb_table *t = &c->table;
	struct agg *a = calloc(t->nrows ? t->nrows : 1, sizeof(*a));
	int n = 0, m = 0;

	if (!a)
		return;
	for (uint32_t i = 0; i < t->nrows; i++) {
		const struct nb_row *r = t->rows[i];

		if (r->key.type != NB_ROW_PROCESS)
			continue;
		memcpy(a[n].comm, r->comm, NB_COMM_LEN);
		a[n].pid = per_pid ? r->pid : 0;
		a[n].tx = r->cur.tx_bytes;
		a[n].rx = r->cur.rx_bytes;
		n++;
	}
	/* sort, then fold equal labels into one series */
	qsort(a, n, sizeof(*a), by_comm);
	for (int k = 0; k < n; k++) {
		if (m && !by_comm(&a[m - 1], &a[k])) {
			a[m - 1].tx += a[k].tx;
			a[m - 1].rx += a[k].rx;
		} else {
			a[m++] = a[k];
		}
	}
	n = m;
	for (int dir = 0; dir < 2; dir++) {
		const char *name = dir ? "netbpf_process_receive_bytes_total" :
					 "netbpf_process_transmit_bytes_total";

		header(f, name, "counter", dir ? "Socket payload bytes received by processes." :
						 "Socket payload bytes sent by processes.");
		for (int k = 0; k < n; k++) {
			fprintf(f, "%s{comm=", name);
			nb_metrics_label(f, a[k].comm);
			if (per_pid)
				fprintf(f, ",pid=\"%u\"", a[k].pid);
			fprintf(f, "} %llu\n", (unsigned long long)(dir ? a[k].rx : a[k].tx));
		}
	}
	free(a);
}

static void ifaces(FILE *f, const struct nb_collector *c)
{
	static const struct {
		const char *name, *help;
	} m[4] = {
		{ "netbpf_interface_transmit_bytes_total", "Bytes sent on the wire, link-layer header included." },
		{ "netbpf_interface_receive_bytes_total", "Bytes received on the wire, link-layer header included." },
		{ "netbpf_interface_transmit_packets_total", "Packets sent." },
		{ "netbpf_interface_receive_packets_total", "Packets received." },
	};
	const struct nb_table *t = &c->table;

	for (int k = 0; k < 4; k++) {
		header(f, m[k].name, "counter", m[k].help);
		for (uint32_t i = 0; i < t->nrows; i++) {
			const struct nb_row *r = t->rows[i];
			uint64_t v[4] = { r->cur.tx_bytes, r->cur.rx_bytes,
					  r->cur.tx_packets, r->cur.rx_packets };

			if (r->key.type != NB_ROW_IFACE || r->exited)
				continue;	/* a removed interface's series ends */
			fprintf(f, "%s{interface=", m[k].name);
			nb_metrics_label(f, r->ifname);
			fprintf(f, "} %llu\n", (unsigned long long)v[k]);
		}
	}
}

static void cgroups(FILE *f, const struct nb_collector *c)
{
	const struct nb_table *t = &c->table;

	for (int dir = 0; dir < 2; dir++) {
		const char *name = dir ? "netbpf_cgroup_receive_bytes_total" :
					 "netbpf_cgroup_transmit_bytes_total";

		header(f, name, "counter", dir ? "Socket payload bytes received in a cgroup v2." :
						 "Socket payload bytes sent in a cgroup v2.");
		for (uint32_t i = 0; i < t->nrows; i++) {
			const struct nb_row *r = t->rows[i];
			const char *path;
			char ctr[64];

			if (r->key.type != NB_ROW_CGROUP)
				continue;
			path = nb_cgroup_path(r->cgroup_id);
			fprintf(f, "%s{cgroup=", name);
			nb_metrics_label(f, path);
			fputs(",container=", f);
			nb_metrics_label(f, nb_container_name(path, ctr, sizeof(ctr)));
			fprintf(f, "} %llu\n", (unsigned long long)(dir ? r->cur.rx_bytes : r->cur.tx_bytes));
		}
	}
}

void nb_metrics_write(FILE *f, const struct nb_collector *c, const struct nb_opts *o,
		      const struct nb_metrics_info *info)
{
	static const char *const drop_maps[NB_FLOW_INSERTS] = {
		"procs", "proc_info", "stash", "flows", "cgroups",
	};

	ifaces(f, c);
	processes(f, c, o->metrics_pid);
	cgroups(f, c);
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
	for (int i = 0; i < NB_FLOW_INSERTS; i++)	/* the drops; inserts are not */
		fprintf(f, "netbpf_dropped_updates_total{map=\"%s\"} %llu\n",
			drop_maps[i], (unsigned long long)c->drops[i]);
	fprintf(f, "netbpf_dropped_updates_total{map=\"tc_ifaces\"} %llu\n",
		(unsigned long long)c->tc_drops);
	header(f, "netbpf_flow_evictions_total", "counter", "Flows pushed out of the full flow map.");
	fprintf(f, "netbpf_flow_evictions_total %llu\n", (unsigned long long)c->flow_evictions);
	header(f, "netbpf_build_info", "gauge", "netbpf's version and the hook family in use.");
	fputs("netbpf_build_info{version=", f);
	nb_metrics_label(f, info->version);
	fputs(",backend=", f);
	nb_metrics_label(f, info->backend);
	fputs("} 1\n", f);
}
