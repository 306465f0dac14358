// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf: who is using the network, and how much. Parses and checks the
 * command line, then hands it to one front end (trace.c, top.c, serve.c)
 * or to doctor.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "container.h"
#include "caps.h"
#include "cgroup.h"
#include "doctor.h"
#include "errors.h"
#include "listen.h"
#include "loader.h"
#include "opts.h"
#include "procfs.h"
#include "serve.h"
#include "top.h"
#include "trace.h"
#include "version.h"	/* NETBPF_COMMIT, made by the Makefile */

#ifndef NETBPF_VERSION
#define NETBPF_VERSION "0.0.0"
#endif
#ifndef NETBPF_COMMIT
#define NETBPF_COMMIT "unknown"
#endif

/* --btf FILE: exit 2 when it is not BTF (libbpf would say "Unknown error
 * 4001" much later). */
static int check_btf(const char *path)
{
	struct btf *btf = btf__parse(path, NULL);
	int err = libbpf_get_error(btf);

	if (!err) {
		btf__free(btf);
		return 0;
	}
	nb_errline("--btf %s: not a BTF file (hint: a raw BTF file such as /sys/kernel/btf/vmlinux, or an ELF file with a .BTF section)",
		path);
	return 2;
}

/* --cgroup PATH: exit 2 unless it is a cgroup v2 folder. */
static int check_cgroup(const char *path)
{
	char dir[4096];
	int err = nb_cgroup_dir(path, dir, sizeof(dir));

	if (err == -ENODEV)
		nb_fail(1, "--cgroup: no cgroup v2 file system is mounted here (hint: mount -t cgroup2 none /sys/fs/cgroup)");
	if (err == -ENOENT)
		nb_fail(2, "no such cgroup: %s (hint: a path under the cgroup v2 mount, e.g. /system.slice/ssh.service)",
		    path);
	if (err)
		nb_fail(2, "not a cgroup v2 path: %s (hint: a folder under the cgroup v2 mount, e.g. /system.slice/ssh.service)",
		    path);
	return 0;
}

int main(int argc, char **argv)
{
	struct nb_opts o;
	char err[512], miss[128];
	const char *btf;
	int ret;

	if (nb_parse_opts(argc, argv, &o, err, sizeof(err)))
		nb_fail(2, "%s", err);
	if (o.help) {
		nb_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("netbpf %s (commit %s)\n", NETBPF_VERSION, NETBPF_COMMIT);
		return 0;
	}
	if (nb_resolve_command(&o, isatty(STDOUT_FILENO), err, sizeof(err)) ||
	    nb_parse_env(&o, err, sizeof(err)))
		nb_fail(2, "%s", err);
	if (o.command == NB_CMD_TOP && !isatty(STDOUT_FILENO))
		nb_fail(2, "top needs a terminal (hint: use netbpf trace)");
	if (o.command == NB_CMD_SERVE && o.listen) {
		struct sockaddr_storage ss;

		if (nb_parse_listen(o.listen, &ss))
			nb_fail(2, "bad --listen '%s' (hint: 127.0.0.1:9976 or [::1]:9976)", o.listen);
	}
	nb_libbpf_verbose(o.verbose);	/* libbpf's messages only with -v */
	btf = o.btf_path ? o.btf_path : "/sys/kernel/btf/vmlinux";
	if (o.btf_path && !access(btf, R_OK) && check_btf(btf))
		return 2;
	if (o.command == NB_CMD_DOCTOR)
		return nb_doctor(&o);

	if (o.container) {	/* its cgroup, then the --cgroup filter in the kernel */
		static char cgpath[4096];

		if (nb_container_find(NULL, o.container, cgpath, sizeof(cgpath)))
			nb_fail(2, "no such container: %s (hint: a name or id as podman ps, docker ps or crictl ps shows it)",
			    o.container);
		o.cgroup = cgpath;
	}
	if (o.cgroup && (ret = check_cgroup(o.cgroup)))
		return ret;
	for (int i = 0; i < o.npids; i++) {
		unsigned int tgid = nb_proc_status(o.pids[i], "Tgid", 10);

		if (!tgid)
			nb_fail(2, "no such process: %u (hint: check the pid with ps -p %u)",
			    o.pids[i], o.pids[i]);
		if (tgid != o.pids[i])
			nb_fail(2, "%u is a thread of process %u (hint: netbpf --pid %u; threads count in their process)",
			    o.pids[i], tgid, tgid);
	}
	if (access(btf, R_OK))
		nb_fail(1, "no kernel BTF at %s: netbpf needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (or --btf FILE)", btf);
	if (nb_missing_caps(nb_cap_effective(), nb_cap_last(), miss, sizeof(miss))) {
		if (geteuid())
			nb_fail(1, "not permitted to load BPF programs: missing %s (hint: run as root, e.g. sudo netbpf %s, or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)",
			    miss, o.command == NB_CMD_TOP ? "top" : o.command == NB_CMD_SERVE ? "serve" : "trace");
		nb_fail(1, "running as root but missing %s (hint: the capability bounding set of this service or container drops it: allow CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)",
		    miss);
	}
	if (o.command == NB_CMD_SERVE)
		return nb_serve_run(&o);
	if (o.command == NB_CMD_TOP)
		return nb_top_run(&o);
	return nb_trace_run(&o);
}
