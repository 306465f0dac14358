// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cgroup paths to container ids and names; the cgroup2 mount from mountinfo. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "cgroup.h"
#include "container.h"

#define ID "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99"

static const char *name(const char *path)
{
	static char buf[64];

	return nb_container_name(path, buf, sizeof(buf));
}

static void test_containers(void **state)
{
	assert_string_equal(name("/system.slice/docker-" ID ".scope"), "4f3c2b1a0e9d");
	assert_string_equal(name("/docker/" ID), "4f3c2b1a0e9d");
	assert_string_equal(name("/machine.slice/libpod-" ID ".scope/container"), "4f3c2b1a0e9d");
	assert_string_equal(name("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/cri-containerd-" ID ".scope"),
			    "4f3c2b1a0e9d");
	assert_string_equal(name("/kubepods/burstable/pod5e1f/" ID), "4f3c2b1a0e9d");
	assert_string_equal(name("/kubepods.slice/crio-" ID ".scope"), "4f3c2b1a0e9d");
	assert_string_equal(name("/lxc.payload.web01"), "web01");
	assert_string_equal(name("/lxc/db"), "db");
	assert_string_equal(name("/machine.slice/machine-my\\x2dvm.scope"), "my-vm");
}

static void test_not_containers(void **state)
{
	assert_string_equal(name("/"), "");
	assert_string_equal(name(""), "");
	assert_string_equal(name("/system.slice/ssh.service"), "");
	assert_string_equal(name("/user.slice/user-1000.slice/session-3.scope"), "");
	assert_string_equal(name("/system.slice/docker.service"), "");
	assert_string_equal(name("/system.slice/docker-xyz.scope"), "");	/* not hex */
	assert_string_equal(name("/DOCKER/" ID), "4f3c2b1a0e9d");	/* the id is enough */
}

static void test_mountinfo(void **state)
{
	char path[] = "/tmp/nb-mountinfo.XXXXXX", out[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
	      "30 22 0:26 / /sys/fs/cgroup rw shared:9 - tmpfs tmpfs rw\n"
	      "35 30 0:30 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw\n", f);
	fclose(f);
	assert_int_equal(nb_cgroup2_mount(path, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	f = fopen(path, "w");
	fputs("22 1 0:21 / /sys rw - sysfs sysfs rw\n", f);
	fclose(f);
	assert_int_equal(nb_cgroup2_mount(path, out, sizeof(out)), -1);
	unlink(path);
	assert_int_equal(nb_cgroup2_mount("/nonexistent", out, sizeof(out)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_not_containers),
		cmocka_unit_test(test_mountinfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
