/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* cgroup v2 id (the inode of its folder) to path, e.g. "/system.slice/x.service". */
#ifndef NB_CGROUP_H
#define NB_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where cgroup2 is mounted (read from a mountinfo file); 0 or -1. */
int nb_cgroup2_mount(const char *mountinfo, char *out, size_t len);
/* The folder of --cgroup PATH: PATH under the cgroup2 mount, or PATH
 * itself when it is already there, resolved (no "..", no symbolic link).
 * 0; -ENODEV no cgroup2 mount; -ENOENT no such folder; -EXDEV not a cgroup
 * v2 folder (outside the mount after resolving, or another file system). */
int nb_cgroup_dir(const char *path, char *out, size_t len);
/* Path of the cgroup with this id, "" when unknown. Walks the cgroup2 tree
 * again (at most once a second) when the id is new. */
const char *nb_cgroup_path(uint64_t id);
/* What the kernel told of a cgroup that may be gone already: its name,
 * its parent's and its depth. Its path becomes "/parent/name" (depth 2),
 * "/name" (depth 1) or "/.../parent/name", unless the path is known. */
void nb_cgroup_learn(uint64_t id, const char *name, const char *parent, uint32_t level);
/* Whether the cgroup with this id (known to nb_cgroup_path) still exists. */
bool nb_cgroup_exists(uint64_t id);
/* Forget a removed cgroup, once nothing will show its path again. */
void nb_cgroup_forget(uint64_t id);

#endif
