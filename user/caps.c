// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Capabilities through the raw capget/capset/prctl system calls: each of
 * them acts on the calling thread only, which is what netbpf serve needs
 * (see caps.h). Last, what netbpf needs and lacks, read from
 * /proc/self/status.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "caps.h"
#include "procfs.h"

static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
	"setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
	"net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
	"sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
	"setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

static int get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(d, 0, 2 * sizeof(*d));
	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

uint64_t nb_caps_permitted(void)
{
	struct __user_cap_data_struct d[2];

	if (get(d))
		return 0;
	return d[0].permitted | (uint64_t)d[1].permitted << 32;
}

int nb_caps_bound(uint64_t keep)
{
	uint64_t eff;
	struct __user_cap_data_struct d[2];
	int err = get(d);

	if (err)
		return err;
	eff = d[0].effective | (uint64_t)d[1].effective << 32;
	if (!(eff & NB_CAPBIT(CAP_SETPCAP)))
		return -EPERM;
	/* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability */
	for (int c = 0; c < 64 && prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++) {
		if (keep & NB_CAPBIT(c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
			return -errno;
	}
	return 0;
}

int nb_caps_limit(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t set;
	int err = get(d);

	if (err)
		return err;
	set = keep & (d[0].permitted | (uint64_t)d[1].permitted << 32);
	/* clearing the inheritable set below ends the ambient ones too; this
	 * says so outright */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)set;
	d[1].effective = d[1].permitted = (uint32_t)(set >> 32);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	/* nothing this thread runs may gain privileges (set-uid programs) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

void nb_caps_names(uint64_t mask, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int c = 0; c < 64 && n < len; c++) {
		if (!(mask & NB_CAPBIT(c)))
			continue;
		if (c < (int)(sizeof(cap_names) / sizeof(cap_names[0])))
			n += snprintf(buf + n, len - n, "%scap_%s", n ? "," : "", cap_names[c]);
		else
			n += snprintf(buf + n, len - n, "%scap_%d", n ? "," : "", c);
	}
	if (!mask)
		snprintf(buf, len, "none");
}

unsigned long long nb_cap_effective(void)
{
	return nb_proc_status(0, "CapEff", 16);
}

int nb_privileged(void)
{
	unsigned long long c = nb_cap_effective();

	if (c & (1ull << NB_CAP_SYS_ADMIN))
		return 1;
	return (c & (1ull << NB_CAP_BPF)) && (c & (1ull << NB_CAP_PERFMON));
}

int nb_cap_last(void)
{
	return nb_read_int("/proc/sys/kernel/cap_last_cap");
}

int nb_missing_caps(unsigned long long caps, int cap_last_cap, char *buf, size_t len)
{
	static const struct { int bit; const char *name; } need[] = {
		{ NB_CAP_BPF, "CAP_BPF" },
		{ NB_CAP_PERFMON, "CAP_PERFMON" },
		{ NB_CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	};
	bool sys_admin = caps & (1ull << NB_CAP_SYS_ADMIN);
	int n = 0;

	if (cap_last_cap < 0)	/* unknown: assume a kernel that has CAP_BPF */
		cap_last_cap = 63;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		const char *name = need[i].name;
		int bit = need[i].bit;

		/* CAP_SYS_ADMIN covers loading; before Linux 5.8 (no CAP_BPF,
		 * cap_last_cap < 39) it is the only capability that does */
		if (bit != NB_CAP_NET_ADMIN && (sys_admin || cap_last_cap < NB_CAP_BPF)) {
			if (sys_admin || bit == NB_CAP_PERFMON)
				continue;
			name = "CAP_SYS_ADMIN";
		}
		if (caps & (1ull << bit) && bit <= cap_last_cap)
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", n ? ", " : "", name);
		n++;
	}
	return n;
}
