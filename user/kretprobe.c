// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Return probes with room for many tasks inside the function at once.
 *
 * A kretprobe tracks each task inside the probed function with one of
 * 'maxactive' instances; a return it has no instance for is missed. The
 * perf kprobe PMU (what libbpf uses) leaves maxactive at the kernel's
 * default, max(10, 2 x CPUs): 30 threads blocked in recvmsg on a 2-CPU
 * host would lose 20 receives. tracefs takes a maxactive ("r1024:..."),
 * so the kprobe rung's return programs are attached through it: each
 * becomes a kprobe event of netbpf's own, opened as a perf tracepoint.
 *
 * The events are named netbpf/pPID_FUNCTION, removed at detach; those of
 * a netbpf that died without detaching are removed at the next start.
 * Without tracefs (not mounted, not writable) the programs are attached
 * as libbpf does, with the default maxactive.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include "kretprobe.h"

#define GROUP "netbpf"

static const char *tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[128];

		snprintf(p, sizeof(p), "%s/kprobe_events", dirs[i]);
		if (!access(p, W_OK))
			return dirs[i];
	}
	return NULL;
}

/* Append one command to kprobe_events; 0 or a negative errno. */
static int kprobe_events(const char *dir, const char *cmd)
{
	char p[128];
	int fd, err = 0;

	snprintf(p, sizeof(p), "%s/kprobe_events", dir);
	fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Remove the events of netbpf processes that are gone. */
static void remove_stale(const char *dir)
{
	char p[128], line[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/kprobe_events", dir);
	f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char event[256], cmd[300];
		int pid;

		/* "r4096:netbpf/p123_udp_recvmsg udp_recvmsg" */
		if (sscanf(line, "%*[^:]:" GROUP "/%255s", event) != 1 ||
		    sscanf(event, "p%d_", &pid) != 1 || pid <= 0 ||
		    !(kill(pid, 0) && errno == ESRCH))
			continue;
		snprintf(cmd, sizeof(cmd), "-:" GROUP "/%s\n", event);
		kprobe_events(dir, cmd);
	}
	fclose(f);
}

static int event_id(const char *dir, const char *event)
{
	char p[256];
	int id = -1;
	FILE *f;

	snprintf(p, sizeof(p), "%s/events/" GROUP "/%s/id", dir, event);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &id) != 1)
		id = -EINVAL;
	fclose(f);
	return id;
}

/* One return program on its function; the link, or NULL with errno set. */
static struct bpf_link *attach_one(struct nb_kretprobes *k, const char *dir,
				   struct bpf_program *prog, const char *func)
{
	struct perf_event_attr a = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(a),
				     .sample_period = 1, .wakeup_events = 1 };
	struct bpf_link *link;
	char cmd[300];
	int id, pfd, err;

	if (k->n >= NB_MAX_KRETPROBES) {
		errno = E2BIG;
		return NULL;
	}
	snprintf(k->event[k->n], sizeof(k->event[0]), "p%d_%s", (int)getpid(), func);
	snprintf(cmd, sizeof(cmd), "r%d:" GROUP "/%s %s\n", NB_KRETPROBE_MAXACTIVE,
		 k->event[k->n], func);
	err = kprobe_events(dir, cmd);
	if (err) {
		errno = -err;
		return NULL;
	}
	k->n++;	/* removed by nb_kretprobes_remove() whatever follows */
	id = event_id(dir, k->event[k->n - 1]);
	if (id < 0) {
		errno = -id;
		return NULL;
	}
	a.config = id;
	pfd = syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return NULL;
	link = bpf_program__attach_perf_event(prog, pfd);
	if (!link) {
		err = errno;
		close(pfd);
		errno = err;
	}
	return link;
}

int nb_kretprobes_attach(struct nb_kretprobes *k, const struct bpf_object_skeleton *sk)
{
	const char *dir = tracefs();

	k->n = 0;
	if (dir)
		remove_stale(dir);
	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_program *prog = *sk->progs[i].prog;
		const char *sec = bpf_program__section_name(prog);
		struct bpf_link **link = sk->progs[i].link;

		if (!bpf_program__autoload(prog) || strncmp(sec, "kretprobe/", 10))
			continue;
		/* without tracefs: the perf PMU's kretprobe, default maxactive */
		*link = dir ? attach_one(k, dir, prog, sec + 10) : bpf_program__attach(prog);
		if (!*link)
			return -errno;
	}
	return 0;
}

void nb_kretprobes_remove(struct nb_kretprobes *k)
{
	const char *dir = tracefs();

	for (int i = 0; dir && i < k->n; i++) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "-:" GROUP "/%s\n", k->event[i]);
		kprobe_events(dir, cmd);
	}
	k->n = 0;
}

void nb_kretprobes_no_autoattach(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		if (!strncmp(bpf_program__section_name(prog), "kretprobe/", 10))
			bpf_program__set_autoattach(prog, false);
}
