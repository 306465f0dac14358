/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What collector.c, retired.c and hostrows.c share; not for front ends. */
#ifndef NB_COLLECTOR_INT_H
#define NB_COLLECTOR_INT_H

#include <stdbool.h>
#include "collector.h"
#include "tc_shared.h"

/* A row's end: noted once, shown for linger_s, then retired. */
void nb_row_ended(struct nb_row *r, double now);

/* nb_table_remove()'s callback: whether a row that ended goes now (trace
 * keeps a compact copy of it). */
struct nb_retire_ctx {
	struct nb_collector *c;
	double now;
};
bool nb_collector_retire(struct nb_row *r, void *arg);

/* Host pair rows, after the interface rows (for their names). */
int nb_collector_read_hosts(struct nb_collector *c, double now);
/* Labels of a new host row: addresses, interface name, a cached name. */
void nb_host_labels(struct nb_collector *c, struct nb_row *r, const struct nb_host_key *h);

#endif
