/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Command line: parsed into struct nb_opts, with errors as one line. */
#ifndef NB_OPTS_H
#define NB_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "netbpf.h"

#define NB_MAX_PIDS 64
#define NB_MAX_IFACES 64
#define NB_MAX_PORTS 64

enum nb_command {
	NB_CMD_DEFAULT = 0,	/* top on a terminal, else trace */
	NB_CMD_TOP,
	NB_CMD_TRACE,
	NB_CMD_SERVE,
	NB_CMD_DOCTOR,
};

enum nb_backend {
	NB_BACKEND_AUTO = 0,
	NB_BACKEND_TRACEPOINT,
	NB_BACKEND_FENTRY,
	NB_BACKEND_KPROBE,
	NB_NBACKENDS,
};

/* --by: bit per enum nb_row_type */
#define NB_BY(t) (1u << (t))

struct nb_opts {
	enum nb_command command;
	uint32_t pids[NB_MAX_PIDS];
	int npids;
	char comm[NB_COMM_LEN];
	bool has_comm;
	char ifaces[NB_MAX_IFACES][16];
	int nifaces;
	uint32_t proto_mask;	/* bit per enum nb_proto */
	uint32_t family_mask;	/* bit 0 IPv4, bit 1 IPv6 */
	uint16_t ports[NB_MAX_PORTS];
	int nports;
	double interval;	/* seconds */
	uint64_t count;		/* 0: until stopped */
	uint32_t by;
	enum nb_backend backend;
	const char *btf_path;
	const char *cgroup;	/* --cgroup PATH */
	const char *container;	/* --container NAME|ID: becomes cgroup */
	const char *listen;	/* serve: ADDR:PORT */
	const char *web_config;	/* serve: TLS and basic auth (webcfg.h) */
	bool metrics_pid;	/* serve: a pid label on process metrics */
	bool no_resolve;	/* --no-resolve: no reverse DNS for host rows */
	bool host_ports;	/* --host-ports: host rows per remote port too */
	bool json, bits, verbose, help, version;
	uint32_t given;		/* bit per entry of the option table: what was asked */
	uint32_t max_flows;	/* NETBPF_MAX_FLOWS, 0: the default size */
	uint32_t max_procs;	/* NETBPF_MAX_PROCS, 0: the default size */
	uint32_t sock_slots;	/* NETBPF_SOCK_SLOTS (a power of two), 0: the default */
	uint32_t flow_idle_s;	/* NETBPF_FLOW_IDLE_S, 0: the default (60) */
};

/* Map sizes the environment may ask for (NETBPF_MAX_FLOWS, NETBPF_MAX_PROCS,
 * NETBPF_SOCK_SLOTS). */
#define NB_MAX_FLOWS_MIN 16u
#define NB_MAX_FLOWS_MAX (1u << 24)
#define NB_MAX_PROCS_MIN 16u
#define NB_MAX_PROCS_MAX (1u << 22)
#define NB_SOCK_SLOTS_MAX (1u << 20)

extern const char *const nb_backend_names[NB_NBACKENDS];
extern const char *const nb_proto_names[NB_NPROTO];
extern const char *const nb_rowtype_names[];

/* 0: parsed; 2: bad usage, with the message (no "netbpf: " prefix) in err. */
int nb_parse_opts(int argc, char **argv, struct nb_opts *o, char *err, size_t errlen);
/* Pick the command when none was given (top on a terminal, trace otherwise,
 * with --pid or --json), then refuse options that do not apply to it.
 * 0, or 2 with the message in err. */
int nb_resolve_command(struct nb_opts *o, bool tty, char *err, size_t errlen);
/* Read and check NETBPF_MAX_FLOWS, NETBPF_MAX_PROCS and NETBPF_TC_METHOD.
 * 0, or 2 with the message (naming the variable and its range) in err. */
int nb_parse_env(struct nb_opts *o, char *err, size_t errlen);
/* Strict decimal: digits only (no sign, no space), at most max. 0 or -1. */
int nb_parse_u64(const char *s, uint64_t max, uint64_t *out);
void nb_usage(FILE *f);

#endif
