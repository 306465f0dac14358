// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container names from the runtimes' state on disk: each test builds a
 * small copy of a runtime's layout (cgroup path and metadata files, as
 * recorded from real hosts) under a temporary folder and points the
 * resolver at it.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "cgroup.h"
#include "container.h"

#define ID1 "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID3 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID "5e1f2a3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define UID_ "5e1f2a3b_1c2d_4e5f_8a9b_0c1d2e3f4a5b"

static char dir[32];

static void mkdirs(const char *rel)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	for (char *s = p + strlen(dir) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

static void put(const char *rel, const char *text)
{
	char p[600], d[512], *slash;
	FILE *f;

	snprintf(d, sizeof(d), "%s", rel);
	if ((slash = strrchr(d, '/'))) {
		*slash = '\0';
		mkdirs(d);
	}
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/nb-ctr.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	nb_container_set_root(NULL);
	return system(cmd) == 0 ? 0 : -1;
}

static struct nb_container c;

static bool look(const char *path)
{
	nb_container_set_root(dir);	/* also forgets the cache */
	return nb_container_lookup(path, &c);
}

static void test_podman(void **state)
{
	/* podman 4.3 as root: containers/storage; a second name is ignored */
	put("var/lib/containers/storage/overlay-containers/containers.json",
	    "[{\"id\":\"" ID1 "\",\"names\":[\"web-1\",\"alias\"],\"image\":\"x\","
	    "\"layer\":\"y\",\"metadata\":\"{\\\"image-name\\\":\\\"localhost/bb:latest\\\"}\","
	    "\"created\":\"2026-11-25T21:00:00Z\",\"flags\":{\"MountLabel\":\"\"}},"
	    "{\"id\":\"" ID2 "\",\"names\":[\"odd\\\"na\\u006de\\n\"]}]\n");
	put("run/containers/storage/overlay-containers/volatile-containers.json",
	    "[{\"id\":\"" ID3 "\",\"names\":[\"quick\"]}]");
	/* cgroupfs driver (PID 1 not systemd), with and without .scope */
	assert_true(look("/libpod_parent/libpod-" ID1));
	assert_string_equal(c.id, "4f3c2b1a0e9d");
	assert_string_equal(c.name, "web-1");
	assert_string_equal(c.pod, "");
	assert_string_equal(c.ns, "");
	assert_true(look("/machine.slice/libpod-" ID1 ".scope/container"));
	assert_string_equal(c.name, "web-1");
	assert_true(look("/libpod_parent/libpod-" ID2));
	assert_string_equal(c.name, "odd\"name\n");	/* raw: escaped at output */
	assert_true(look("/libpod_parent/libpod-" ID3));
	assert_string_equal(c.name, "quick");
	/* conmon is not the container */
	assert_false(look("/libpod_parent/conmon"));
	assert_string_equal(c.id, "");
}

static void test_unknown_shows_short_id(void **state)
{
	assert_true(look("/libpod_parent/libpod-" ID1));
	assert_string_equal(c.id, "4f3c2b1a0e9d");
	assert_string_equal(c.name, "4f3c2b1a0e9d");
	/* a broken file changes nothing */
	put("var/lib/containers/storage/overlay-containers/containers.json",
	    "[{\"id\":\"" ID1 "\",\"names\":[\"web");
	assert_true(look("/libpod_parent/libpod-" ID1));
	assert_string_equal(c.name, "4f3c2b1a0e9d");
}

static void test_poll_keeps_removed(void **state)
{
	/* podman run --rm: the container is in containers.json only while it
	 * runs; a poll in that time keeps its name after it is removed */
	put("var/lib/containers/storage/overlay-containers/containers.json",
	    "[{\"id\":\"" ID1 "\",\"names\":[\"brief\"]}]");
	nb_container_set_root(dir);
	nb_container_poll();
	put("var/lib/containers/storage/overlay-containers/containers.json", "[]");
	assert_true(nb_container_lookup("/libpod_parent/libpod-" ID1, &c));
	assert_string_equal(c.name, "brief");
}

static void test_podman_events(void **state)
{
	/* podman's event log keeps the name of a container already removed;
	 * a line still being written is read next time */
	put("run/libpod/events/events.log",
	    "{\"ID\":\"" ID2 "\",\"Name\":\"localhost/bb:latest\",\"Status\":\"pull\",\"Type\":\"image\"}\n"
	    "{\"ID\":\"" ID1 "\",\"Image\":\"localhost/bb:latest\",\"Name\":\"gone-fast\","
	    "\"Status\":\"create\",\"Time\":\"2026-11-25T21:12:33Z\",\"Type\":\"container\",\"Attributes\":{}}\n"
	    "{\"ID\":\"" ID1 "\",\"Name\":\"gone-fast\",\"Status\":\"remove\",\"Type\":\"container\"}\n"
	    "{\"ID\":\"" ID3 "\",\"Name\":\"half");
	assert_true(look("/libpod_parent/libpod-" ID1));
	assert_string_equal(c.name, "gone-fast");
	assert_true(nb_container_lookup("/libpod_parent/libpod-" ID2, &c));
	assert_string_equal(c.name, "0123456789ab");	/* an image, not a container */
	assert_true(nb_container_lookup("/libpod_parent/libpod-" ID3, &c));
	assert_string_equal(c.name, "fedcba987654");
}

static void test_docker(void **state)
{
	put("var/lib/docker/containers/" ID1 "/config.v2.json",
	    "{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Pid\":42},\"ID\":\"" ID1
	    "\",\"Config\":{\"Hostname\":\"4f3c\",\"Labels\":{\"Name\":\"no\"}},"
	    "\"Name\":\"/nginx-proxy\",\"Driver\":\"overlay2\"}");
	assert_true(look("/system.slice/docker-" ID1 ".scope"));
	assert_string_equal(c.id, "4f3c2b1a0e9d");
	assert_string_equal(c.name, "nginx-proxy");
	assert_true(look("/docker/" ID1));
	assert_string_equal(c.name, "nginx-proxy");
	/* dockershim's Kubernetes names */
	put("var/lib/docker/containers/" ID2 "/config.v2.json",
	    "{\"Name\":\"/k8s_app_web-7d4b9_shop_" UID "_0\"}");
	assert_true(look("/kubepods/burstable/pod" UID "/" ID2));
	assert_string_equal(c.name, "app");
	assert_string_equal(c.pod, "web-7d4b9");
	assert_string_equal(c.ns, "shop");
}

static void kubelet_tree(void)
{
	put("var/log/pods/shop_web-7d4b9_" UID "/app/0.log", "");
	put("var/log/containers/web-7d4b9_shop_app-" ID1 ".log", "");
}

static void test_containerd_systemd(void **state)
{
	kubelet_tree();
	assert_true(look("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
			 ".slice/cri-containerd-" ID1 ".scope"));
	assert_string_equal(c.id, "4f3c2b1a0e9d");
	assert_string_equal(c.name, "app");
	assert_string_equal(c.pod, "web-7d4b9");
	assert_string_equal(c.ns, "shop");
	/* the pause container: no log, but the pod is known by its uid */
	assert_true(look("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
			 ".slice/cri-containerd-" ID2 ".scope"));
	assert_string_equal(c.name, "0123456789ab");
	assert_string_equal(c.pod, "web-7d4b9");
	assert_string_equal(c.ns, "shop");
}

static void test_containerd_cgroupfs(void **state)
{
	kubelet_tree();
	assert_true(look("/kubepods/besteffort/pod" UID "/" ID1));
	assert_string_equal(c.name, "app");
	assert_string_equal(c.pod, "web-7d4b9");
	assert_string_equal(c.ns, "shop");
	assert_true(look("/kubepods/pod" UID "/" ID2));	/* guaranteed QoS */
	assert_string_equal(c.pod, "web-7d4b9");
}

static void test_crio(void **state)
{
	/* CRI-O keeps its containers in containers/storage with k8s_ names */
	put("var/lib/containers/storage/overlay-containers/containers.json",
	    "[{\"id\":\"" ID3 "\",\"names\":[\"k8s_db_pg-0_data_" UID "_1\"]}]");
	assert_true(look("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID3 ".scope"));
	assert_string_equal(c.id, "fedcba987654");
	assert_string_equal(c.name, "db");
	assert_string_equal(c.pod, "pg-0");
	assert_string_equal(c.ns, "data");
	/* crio-conmon-ID.scope is the monitor, not the container */
	assert_false(look("/kubepods.slice/crio-conmon-" ID3 ".scope"));
	assert_string_equal(c.name, "crio-conmon-" ID3 ".scope");
}

static void test_lxc_machine_units(void **state)
{
	assert_true(look("/lxc.payload.web01"));
	assert_string_equal(c.id, "web01");
	assert_string_equal(c.name, "web01");
	assert_true(look("/lxc.payload.web01/init.scope"));
	assert_string_equal(c.name, "web01");
	assert_true(look("/machine.slice/machine-my\\x2dvm.scope"));
	assert_string_equal(c.name, "my-vm");
	/* systemd units: the unit's name, no container */
	assert_false(look("/system.slice/ssh.service"));
	assert_string_equal(c.id, "");
	assert_string_equal(c.name, "ssh.service");
	assert_false(look("/system.slice/system-getty.slice/getty@tty1.service"));
	assert_string_equal(c.name, "getty@tty1.service");
	assert_false(look("/user.slice/user-1000.slice/session-3.scope"));
	assert_string_equal(c.name, "session-3.scope");
	assert_false(look("/system.slice/foo\\x2dbar.service/sub"));
	assert_string_equal(c.name, "foo-bar.service");
	assert_false(look("/"));
	assert_string_equal(c.name, "");
	assert_false(look("/user.slice"));
	assert_string_equal(c.name, "");
}

static void test_find(void **state)
{
	char cg[600], out[512];

	put("var/lib/containers/storage/overlay-containers/containers.json",
	    "[{\"id\":\"" ID1 "\",\"names\":[\"web-1\"]},{\"id\":\"" ID2 "\",\"names\":[\"db\"]}]");
	mkdirs("cg/libpod_parent/libpod-" ID1);
	mkdirs("cg/libpod_parent/conmon");
	mkdirs("cg/machine.slice/libpod-" ID2 ".scope/container");
	mkdirs("cg/lxc.payload.box/init.scope");
	mkdirs("cg/system.slice/ssh.service");
	snprintf(cg, sizeof(cg), "%s/cg", dir);
	nb_container_set_root(dir);
	assert_int_equal(nb_container_find(cg, "web-1", out, sizeof(out)), 0);
	assert_string_equal(out, "/libpod_parent/libpod-" ID1);
	assert_int_equal(nb_container_find(cg, "4f3c2b1a0e9d", out, sizeof(out)), 0);
	assert_string_equal(out, "/libpod_parent/libpod-" ID1);
	assert_int_equal(nb_container_find(cg, ID1, out, sizeof(out)), 0);
	assert_string_equal(out, "/libpod_parent/libpod-" ID1);
	/* the scope, not its child */
	assert_int_equal(nb_container_find(cg, "db", out, sizeof(out)), 0);
	assert_string_equal(out, "/machine.slice/libpod-" ID2 ".scope");
	assert_int_equal(nb_container_find(cg, "box", out, sizeof(out)), 0);
	assert_string_equal(out, "/lxc.payload.box");
	assert_int_equal(nb_container_find(cg, "nosuch", out, sizeof(out)), -1);
	assert_int_equal(nb_container_find(cg, "4f3c", out, sizeof(out)), -1);	/* too short */
	assert_int_equal(nb_container_find(cg, "ssh.service", out, sizeof(out)), -1);	/* no container */
}

static void test_parse(void **state)
{
	struct nb_ctr_ref r;

	assert_int_equal(nb_container_parse("/libpod_parent/libpod-" ID1, &r), NB_CTR_PODMAN);
	assert_string_equal(r.id, ID1);
	assert_int_equal(nb_container_parse("/docker/" ID1, &r), NB_CTR_DOCKER);
	assert_int_equal(nb_container_parse("/kubepods/burstable/pod" UID "/" ID1, &r), NB_CTR_HEX);
	assert_string_equal(r.pod_uid, UID);
	assert_int_equal(nb_container_parse("/kubepods.slice/kubepods-besteffort.slice/"
					    "kubepods-besteffort-pod" UID_ ".slice/docker-" ID2 ".scope", &r),
			 NB_CTR_DOCKER);
	assert_string_equal(r.pod_uid, UID);
	assert_string_equal(r.id, ID2);
	assert_int_equal(nb_container_parse("/system.slice/containerd.service", &r), NB_CTR_UNIT);
	assert_int_equal(nb_container_parse("/libpod-XYZ", &r), NB_CTR_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_podman, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_shows_short_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_keeps_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_podman_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_containerd_systemd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_containerd_cgroupfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lxc_machine_units, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
