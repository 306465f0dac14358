// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "cgroup.h"
#include "errors.h"
#include "session.h"

volatile sig_atomic_t nb_exiting, nb_resized;

static const int fatal_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU,
	SIGXFSZ, SIGVTALRM, SIGPROF,
};

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		nb_resized = 1;
	else
		nb_exiting = 1;
}

static int open_tc(struct nb_session *s)
{
	const char *method = getenv("NETBPF_TC_METHOD"), *bad = NULL;
	bool hosts = s->o->by & NB_BY(NB_ROW_HOST);
	unsigned int flags = 0;
	int err;

	/* host pairs: counted from the start with --by host; top loads the
	 * code and counts from when its Hosts view is first shown */
	if (hosts || s->o->command == NB_CMD_TOP)
		flags |= NB_TC_HOSTS;
	if (s->o->host_ports)
		flags |= NB_TC_HOST_PORTS;

	/* NETBPF_TC_METHOD=tcx|clsact forces an attach method (default auto) */
	if (!method || !*method)
		method = "auto";
	if (strcmp(method, "auto") && strcmp(method, "tcx") && strcmp(method, "clsact"))
		nb_fail(2, "bad NETBPF_TC_METHOD '%s': use auto, tcx or clsact", method);
	err = nb_tc_open(&s->tc, (const char (*)[16])s->o->ifaces, s->o->nifaces, method,
			 flags, &bad);
	if (!err && hosts)
		err = nb_tc_hosts_on(s->tc, true);

	if (err == -ENODEV && bad)
		nb_fail(2, "no such interface: %s (hint: ip link shows the names)", bad);
	if (err)
		nb_fail(1, "cannot attach the interface counters%s%s: %s (hint: netbpf doctor)",
		     bad ? " to " : "", bad ? bad : "", nb_errhint(err));
	return 0;
}

/* A pidfd for each --pid process, so the session sees them exit. 0, or
 * the exit status with the error said. */
static int watch_pids(struct nb_session *s)
{
	const struct nb_opts *o = s->o;

	for (int i = 0; i < o->npids; i++) {
		s->pidfds[i] = syscall(SYS_pidfd_open, o->pids[i], 0);
		if (s->pidfds[i] < 0) {
			int e = errno;

			s->npids_alive = i;
			nb_session_close(s);
			if (e == ESRCH || e == EINVAL)	/* gone, or a thread */
				nb_fail(2, "no such process: %u (hint: check the pid with ps -p %u)",
				     o->pids[i], o->pids[i]);
			nb_fail(1, "cannot watch process %u: %s (hint: pidfd_open needs Linux 5.3)",
			     o->pids[i], strerror(e));
		}
		s->npids_alive++;
	}
	return 0;
}

/* --cgroup names a cgroup v2 directory: said before anything loads. */
static int check_cgroup(struct nb_session *s)
{
	char dir[4096];
	int err;

	if (!s->o->cgroup)
		return 0;
	err = nb_cgroup_dir(s->o->cgroup, dir, sizeof(dir));
	if (err) {
		nb_session_close(s);
		nb_fail(2, "%s: %s (hint: a path under the cgroup v2 mount, e.g. /system.slice/ssh.service)",
		     err == -ENOENT ? "no such cgroup" : "not a cgroup v2 path", s->o->cgroup);
	}
	return 0;
}

/* Every signal that would kill netbpf ends it through its cleanup instead
 * (a clsact filter would stay attached otherwise); SIGPIPE is seen as a
 * write error on stdout. */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The socket programs of the first rung that works; or the error, with
 * every rung's reason, and its exit status. */
static int open_loader(struct nb_session *s)
{
	char why[512] = "";

	if (!nb_loader_open(&s->loader, s->o))
		return 0;
	for (int b = NB_BACKEND_TRACEPOINT; b < NB_NBACKENDS; b++) {
		if (!s->loader.rungs[b].tried)
			continue;
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s %s: %s",
			 *why ? "; " : "", nb_backend_names[b], s->loader.rungs[b].step,
			 nb_errhint(s->loader.rungs[b].err));
	}
	nb_session_close(s);
	nb_fail(1, "no usable hook for per-process accounting (%s); run 'netbpf doctor' for details", why);
}

int nb_session_open(struct nb_session *s, const struct nb_opts *o)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->loader.procs_fd = -1;
	err = watch_pids(s);
	if (!err)
		err = check_cgroup(s);
	if (err)
		return err;
	catch_signals();
	err = open_loader(s);
	if (err)
		return err;
	err = open_tc(s);
	if (err) {
		nb_session_close(s);
		return err;
	}
	if (o->verbose)
		nb_errline("per-process hooks: %s; interfaces: %s",
			nb_backend_names[s->loader.backend], nb_tc_method(s->tc));
	err = nb_collector_init(&s->c, &s->loader, s->tc);
	if (err) {
		nb_session_close(s);
		nb_fail(1, "cannot set up the collector: %s", strerror(-err));
	}
	s->c.resolve = !o->no_resolve;
	if (o->flow_idle_s)
		s->c.flow_idle_s = o->flow_idle_s;
	/* trace's summary covers every row it has seen: keep the ended ones */
	s->c.keep_retired = o->command == NB_CMD_TRACE;
	/* command lines only where they are shown: serve has none */
	s->c.cmdline_on = o->command == NB_CMD_TOP ||
			  (o->command == NB_CMD_TRACE && (o->by & NB_BY(NB_ROW_PROCESS)));
	s->next = s->c.start_mono + o->interval;
	return 0;
}

enum nb_wake nb_session_wait(struct nb_session *s, int extra_fd)
{
	struct pollfd p[NB_MAX_PIDS + 2];
	int n, nlfd = nb_tc_netlink_fd(s->tc);

	for (;;) {
		double left = s->next - nb_mono_now();
		int r;

		if (nb_exiting)
			return NB_WAKE_SIGNAL;
		if (nb_resized) {
			nb_resized = 0;
			return NB_WAKE_RESIZE;
		}
		if (s->o->npids && !s->npids_alive)
			return NB_WAKE_PIDS_GONE;
		if (left <= 0) {
			s->next += s->o->interval;
			if (s->next < nb_mono_now())	/* fell behind: no catching up */
				s->next = nb_mono_now() + s->o->interval;
			return NB_WAKE_INTERVAL;
		}
		n = 0;
		for (int i = 0; i < s->o->npids; i++)
			p[n++] = (struct pollfd){ s->pidfds[i], POLLIN, 0 };	/* -1 is skipped */
		p[n++] = (struct pollfd){ nlfd, POLLIN, 0 };
		p[n++] = (struct pollfd){ extra_fd, POLLIN, 0 };
		r = poll(p, n, (int)ceil(left * 1000));
		if (r < 0 && errno != EINTR)
			return NB_WAKE_SIGNAL;
		if (r <= 0)
			continue;
		for (int i = 0; i < s->o->npids; i++) {
			if (p[i].revents && s->pidfds[i] >= 0) {
				close(s->pidfds[i]);
				s->pidfds[i] = -1;
				s->npids_alive--;
			}
		}
		if (p[n - 2].revents)
			nb_tc_handle_links(s->tc);	/* a vanished link is no error */
		if (p[n - 1].revents)
			return NB_WAKE_FD;
	}
}

int nb_session_poll(struct nb_session *s)
{
	int err = nb_collector_poll(&s->c);

	if (err)
		nb_fail(1, "reading the BPF maps failed: %s", strerror(-err));
	return 0;
}

/* Lost updates, said once more each time they grow past *said. */
void nb_session_warn_lost(struct nb_session *s, uint64_t *said)
{
	uint64_t lost = nb_collector_lost(&s->c);

	if (lost <= *said)
		return;
	*said = lost;
	nb_errline("warning: %llu updates lost (%llu: a map was full; %llu: events the kernel skipped) (hint: %s)",
		(unsigned long long)lost, (unsigned long long)(lost - s->c.lost_events),
		(unsigned long long)s->c.lost_events,
		lost > s->c.lost_events ? "fewer processes or interfaces, or --pid; NETBPF_MAX_PROCS=N" :
		"the kernel skips a hook's program that fires again on a CPU where it is running, from an interrupt; nothing to set, the bytes are missing from the counts");
}

static int shown(int r)
{
	return r == NB_RUN_STOP ? 0 : r;
}

int nb_session_run(struct nb_session *s, struct nb_frontend *fe)
{
	uint64_t intervals = 0, said = 0;
	int r;

	for (;;) {
		enum nb_wake w = nb_session_wait(s, fe->fd);

		switch (w) {
		case NB_WAKE_RESIZE:
			if (fe->resize)
				fe->resize(fe->ctx);
			continue;
		case NB_WAKE_FD:
			r = fe->input ? fe->input(fe->ctx) : 0;
			if (r)
				return shown(r);
			continue;
		case NB_WAKE_SIGNAL:
		case NB_WAKE_PIDS_GONE:
			if (!fe->final_poll)
				return 0;
			break;
		case NB_WAKE_INTERVAL:
			break;
		}
		if (nb_session_poll(s))
			return 1;
		r = fe->interval(fe->ctx, &s->c);
		if (fe->warn_lost)
			nb_session_warn_lost(s, &said);
		if (r)
			return shown(r);
		if (w != NB_WAKE_INTERVAL || (s->o->count && ++intervals >= s->o->count))
			return 0;
	}
}

void nb_session_close(struct nb_session *s)
{
	for (int i = 0; i < s->o->npids; i++)
		if (s->pidfds[i] > 0)
			close(s->pidfds[i]);
	s->npids_alive = 0;
	nb_collector_free(&s->c);
	nb_tc_close(s->tc);
	s->tc = NULL;
	nb_loader_close(&s->loader);
}
