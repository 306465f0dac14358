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
 * The events are named netbpf/pNS_PID_START_FUNCTION (the pid namespace's
 * inode, the pid and its start time: unique even where netbpf is pid 1
 * of a container at every start), removed at detach; those of a netbpf
 * of the same pid namespace that died without detaching are removed at
 * the next start. An event still in use cannot be removed (the kernel
 * says EBUSY), so a live netbpf's events are never lost.
 * Without tracefs (not mounted, not writable), or where it refuses, the
 * programs are attached as libbpf does, with the default maxactive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include "kretprobe.h"
#include "procfs.h"

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

/* The inode of this process's pid namespace: pids are numbers in it. */
static unsigned long pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) ? 0 : (unsigned long)st.st_ino;
}

/* Remove the events of netbpf processes of this pid namespace that are
 * gone (no such pid, or the pid now another process's). */
static void remove_stale(const char *dir)
{
	unsigned long ns = pid_ns();

	char p[128], line[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/kprobe_events", dir);
	f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char event[256], cmd[300];
		unsigned long long start;
		unsigned long evns;
		unsigned int pid;

		/* "r1024:netbpf/p4026531836_123_4567_udp_recvmsg udp_recvmsg" */
		if (sscanf(line, "%*[^:]:" GROUP "/%255s", event) != 1 ||
		    sscanf(event, "p%lu_%u_%llu_", &evns, &pid, &start) != 3 ||
		    evns != ns || nb_proc_start(pid) == start)
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
	snprintf(k->event[k->n], sizeof(k->event[0]), "p%lu_%d_%llu_%s", pid_ns(), (int)getpid(),
		 (unsigned long long)nb_proc_start(getpid()), func);
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
		/* without tracefs, or where it refuses: the perf PMU's
		 * kretprobe, with the default maxactive */
		*link = dir ? attach_one(k, dir, prog, sec + 10) : NULL;
		if (!*link)
			*link = bpf_program__attach(prog);
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
