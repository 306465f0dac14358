/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Prometheus text exposition of the collector's table (netbpf serve). */
#ifndef NB_METRICS_H
#define NB_METRICS_H

#include <stdint.h>
#include <stdio.h>
#include "collector.h"
#include "opts.h"

/* Add the rows' deltas of c's last interval to the exporter's counters
 * (once per interval: a second call for the same one adds nothing). */
void nb_metrics_feed(const struct nb_collector *c, const struct nb_opts *o);

struct nb_metrics_info {
	const char *version, *backend;
	/* the collector's, or NULL when kernel.bpf_stats_enabled is off */
	const struct nb_prog_stat *progs;
	int nprogs;
};

/*
 * Write every metric; label values escaped as the format wants. The
 * process, cgroup and interface counters are the exporter's own, one per
 * label set, fed with the rows' deltas of each new interval of c (a second
 * call for the same interval adds nothing), so they never go down, rows
 * may leave the table once reported, and no label set appears twice. At
 * most NETBPF_METRICS_MAX_SERIES (default 1000) label sets per family;
 * bytes of new label sets past that go to one "__other__" series.
 */
void nb_metrics_write(FILE *f, const struct nb_collector *c, const struct nb_opts *o,
		      const struct nb_metrics_info *info);
/* Forget every counter (tests; a new exporter). */
void nb_metrics_reset(void);
/* A label value in quotes: valid UTF-8 (invalid bytes as U+FFFD),
 * backslash, double quote and newline escaped, other control characters
 * replaced by U+FFFD. */
void nb_metrics_label(FILE *f, const char *v);

#endif
