/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which container a cgroup path belongs to, and its name, from the
 * runtimes' own state on disk (no API socket): podman and CRI-O
 * (containers/storage containers.json), docker (config.v2.json), and the
 * kubelet's log folders for Kubernetes (pod name, namespace, container).
 */
#ifndef NB_CONTAINER_H
#define NB_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

enum nb_ctr_kind {
	NB_CTR_NONE = 0,
	NB_CTR_DOCKER,
	NB_CTR_PODMAN,
	NB_CTR_CONTAINERD,
	NB_CTR_CRIO,
	NB_CTR_HEX,	/* a bare 64-hex id (kubepods cgroupfs, other runtimes) */
	NB_CTR_LXC,
	NB_CTR_MACHINE,	/* systemd-machined: machine-NAME.scope */
	NB_CTR_UNIT,	/* not a container: a systemd service or scope */
};

/* What the cgroup path alone says. */
struct nb_ctr_ref {
	enum nb_ctr_kind kind;
	char id[72];		/* full hex id, or the LXC / machine name */
	char pod_uid[48];	/* Kubernetes pod uid (with dashes), "" if none */
	char unit[128];		/* NB_CTR_UNIT: the unit's name, unescaped */
};

struct nb_container {
	char id[72];		/* short id (12 hex), or the LXC / machine name */
	char name[256];		/* the runtime's name; the short id when not found */
	char pod[256];		/* Kubernetes only, else "" */
	char ns[256];		/* Kubernetes only, else "" */
};

/* Parse a cgroup path; NB_CTR_NONE when it names no container and no unit. */
enum nb_ctr_kind nb_container_parse(const char *path, struct nb_ctr_ref *ref);
/* The container of a cgroup path with its names (all "" when none; for a
 * systemd unit, only name, the unit's). Names are looked up on disk and
 * cached; an id not in the cache makes netbpf read the runtimes' state
 * again, at most once a second. Returns whether the path is a container's. */
bool nb_container_lookup(const char *path, struct nb_container *out);
/* Read the runtimes' state again when it changed on disk (at most four
 * times a second), so a container that lives 100 ms and is removed right
 * after keeps the name it had: called once per interval. */
void nb_container_poll(void);
/* --container: the cgroup path (relative to the cgroup2 mount, or to
 * cgroot when given) of the container with this name, short or full id,
 * or LXC/machine name; 0, or -1 when there is none. */
int nb_container_find(const char *cgroot, const char *want, char *path, size_t len);
/* Tests: read the runtimes' state below this folder instead of "/", and
 * forget what was cached. */
void nb_container_set_root(const char *root);
/* Forget the cache (tests). */
void nb_container_reset(void);

/* The container a cgroup path belongs to: a 12-character id (Docker, Podman,
 * containerd, CRI-O, Kubernetes pods) or a name (LXC, systemd
 * machines), from its deepest component that names one; "" otherwise. */
char *nb_container_name(const char *path, char *buf, size_t len);

#endif
