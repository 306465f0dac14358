// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf: who is using the network, and how much. Parses the command line,
 * loads the BPF programs (loader.c), and runs one front end on the
 * collector's table once per interval.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "collector.h"
#include "doctor.h"
#include "loader.h"
#include "opts.h"
#include "trace.h"

#ifndef NETBPF_VERSION
#define NETBPF_VERSION "0.0.0"
#endif

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

#define die(code, ...) do { \
	fprintf(stderr, "netbpf: " __VA_ARGS__); \
	fputc('\n', stderr); \
	return code; \
} while (0)

/* Wait until 'deadline' (monotonic seconds), a signal, or until every
 * traced pid has exited. Returns true when the pids are all gone. */
static bool wait_interval(double deadline, struct pollfd *pfds, int npfds)
{
	while (!exiting) {
		double left = deadline - nb_mono_now();
		int alive = 0, r;

		for (int i = 0; i < npfds; i++)
			alive += pfds[i].fd >= 0;
		if (npfds && !alive)
			return true;
		if (left <= 0)
			return false;
		r = poll(pfds, npfds, (int)ceil(left * 1000));
		if (r > 0) {
			for (int i = 0; i < npfds; i++) {
				if (pfds[i].revents) {
					close(pfds[i].fd);
					pfds[i].fd = -1;	/* poll ignores it now */
				}
			}
		} else if (r < 0 && errno != EINTR) {
			return false;
		}
	}
	return false;
}

static int run(const struct nb_opts *o)
{
	struct pollfd pfds[NB_MAX_PIDS];
	struct nb_collector c;
	struct nb_loader l;
	struct sigaction sa;
	bool pids_gone = false;
	uint64_t n = 0;
	double next;
	int err, ret = 0;

	for (int i = 0; i < o->npids; i++) {
		pfds[i].fd = pidfd_open(o->pids[i]);
		pfds[i].events = POLLIN;
		if (pfds[i].fd < 0 && errno == ESRCH) {
			for (int k = 0; k < i; k++)
				close(pfds[k].fd);
			die(2, "no such process: %u (hint: check the pid with ps -p %u)",
			    o->pids[i], o->pids[i]);
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	err = nb_loader_open(&l, o);
	if (err) {
		char why[512] = "";

		for (int b = NB_BACKEND_TRACEPOINT; b < NB_NBACKENDS; b++) {
			if (!l.rungs[b].tried)
				continue;
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s %s: %s",
				 *why ? "; " : "", nb_backend_names[b], l.rungs[b].step,
				 nb_errhint(l.rungs[b].err));
		}
		nb_loader_close(&l);
		die(1, "no usable hook for per-process accounting (%s); run 'netbpf doctor' for details", why);
	}
	if (o->verbose)
		fprintf(stderr, "netbpf: per-process hooks: %s\n", nb_backend_names[l.backend]);

	err = nb_collector_init(&c, &l);
	if (err) {
		nb_loader_close(&l);
		die(1, "cannot set up the collector: %s", strerror(-err));
	}

	next = c.start_mono;
	while (!exiting && !pids_gone) {
		next += o->interval;
		pids_gone = wait_interval(next, pfds, o->npids);
		if (exiting && !pids_gone)
			break;
		err = nb_collector_poll(&c);
		if (err) {
			fprintf(stderr, "netbpf: reading the BPF maps failed: %s\n", strerror(-err));
			ret = 1;
			break;
		}
		nb_trace_interval(stdout, &c, o);
		if (c.drops[NB_DROP_PROCS] + c.drops[NB_DROP_INFO] > c.drops_reported) {
			c.drops_reported = c.drops[NB_DROP_PROCS] + c.drops[NB_DROP_INFO];
			fprintf(stderr, "netbpf: warning: %llu updates lost, the process map is full (%u entries)\n",
				(unsigned long long)c.drops_reported, l.procs_max);
		}
		if (o->count && ++n >= o->count)
			break;
		if (next < nb_mono_now())	/* fell behind: don't try to catch up */
			next = nb_mono_now();
	}
	if (exiting && ret == 0) {
		/* a signal came mid-interval: read once more so the summary is exact */
		if (nb_collector_poll(&c) == 0)
			nb_trace_interval(stdout, &c, o);
	}
	if (ret == 0)
		nb_trace_summary(stdout, &c, o);

	for (int i = 0; i < o->npids; i++)
		if (pfds[i].fd >= 0)
			close(pfds[i].fd);
	nb_collector_free(&c);
	nb_loader_close(&l);
	return ret;
}

int main(int argc, char **argv)
{
	struct nb_opts o;
	char err[512];
	const char *btf;

	if (nb_parse_opts(argc, argv, &o, err, sizeof(err)))
		die(2, "%s", err);
	if (o.help) {
		nb_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("netbpf %s\n", NETBPF_VERSION);
		return 0;
	}
	if (o.command == NB_CMD_DEFAULT)
		o.command = o.npids || !isatty(STDOUT_FILENO) ? NB_CMD_TRACE : NB_CMD_TOP;
	if (o.command == NB_CMD_SERVE)
		die(2, "'serve' is not available in this version of netbpf yet (hint: use 'netbpf trace --json')");
	nb_libbpf_verbose(o.verbose);
	if (o.command == NB_CMD_DOCTOR)
		return nb_doctor(&o);

	for (int i = 0; i < o.npids; i++)
		if (kill(o.pids[i], 0) && errno == ESRCH)
			die(2, "no such process: %u (hint: check the pid with ps -p %u)",
			    o.pids[i], o.pids[i]);
	btf = o.btf_path ? o.btf_path : "/sys/kernel/btf/vmlinux";
	if (access(btf, R_OK))
		die(1, "no kernel BTF at %s: netbpf needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (or --btf FILE)", btf);
	if (!nb_privileged())
		die(1, "not permitted to load BPF programs: run as root, e.g. sudo netbpf %s",
		    o.command == NB_CMD_TOP ? "top" : "trace");
	if (o.command == NB_CMD_TOP && !o.json)
		fprintf(stderr, "netbpf: the full-screen view is not in this version yet; printing the trace\n");
	return run(&o);
}
