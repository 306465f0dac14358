// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "cgroup.h"
#include "clock.h"
#include "index.h"

int nb_cgroup2_mount(const char *mountinfo, char *out, size_t len)
{
	char line[4096];
	FILE *f = fopen(mountinfo, "r");
	int found = -1;

	if (!f)
		return -1;
	/* id parent major:minor root mountpoint options [optional...] - fstype ... */
	while (found && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), mnt[4096], fstype[64];

		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 || strlen(mnt) >= len)
			continue;
		strcpy(out, mnt);
		found = 0;
	}
	fclose(f);
	return found;
}

/*
 * Known cgroups, id to path, in the keyed index (index.h): a lookup costs
 * the same with ten or ten thousand containers, and a removed cgroup is
 * forgotten once its row is retired (nb_cgroup_forget), so the index
 * follows the live cgroups.
 */
struct entry {
	uint64_t id;
	char path[];
};

static bool has_id(const void *item, const void *key)
{
	return ((const struct entry *)item)->id == *(const uint64_t *)key;
}

static struct nb_index known = NB_INDEX_INIT(256, has_id);
static char root[4096];
static size_t rootlen;
static double last_walk = -10;

static uint64_t id_hash(uint64_t id)
{
	return nb_index_hash(&id, sizeof(id));
}

static struct entry *find(uint64_t id)
{
	return nb_index_find(&known, id_hash(id), &id);
}

static int put(uint64_t id, const char *path)
{
	size_t len = strlen(path) + 1;
	struct entry *e = malloc(sizeof(*e) + len);

	if (!e)
		return -1;
	e->id = id;
	memcpy(e->path, path, len);
	if (nb_index_add(&known, id_hash(id), e)) {
		free(e);
		return -1;
	}
	return 0;
}

void nb_cgroup_forget(uint64_t id)
{
	free(nb_index_remove(&known, id_hash(id), &id));
}

static int visit(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_D || find(st->st_ino))
		return 0;	/* known: ids are never reused */
	return put(st->st_ino, fpath[rootlen] ? fpath + rootlen : "/") ? 1 : 0;
}

/* Add the cgroups that exist now; keep the ones seen before, so a removed
 * cgroup (a container run with --rm) keeps its path for the summary. */
static void walk(void)
{
	if (nb_cgroup2_mount("/proc/self/mountinfo", root, sizeof(root)))
		return;
	rootlen = strlen(root);
	nftw(root, visit, 32, FTW_PHYS | FTW_MOUNT);
}

const char *nb_cgroup_path(uint64_t id)
{
	for (int pass = 0; pass < 2; pass++) {
		struct entry *e = find(id);

		if (e)
			return e->path;
		if (pass || nb_mono_now() - last_walk < 1.0)
			break;
		last_walk = nb_mono_now();
		walk();
	}
	return "";
}

void nb_cgroup_learn(uint64_t id, const char *name, const char *parent, uint32_t level)
{
	char path[512];

	if (find(id) || !*name)
		return;
	if (level <= 1)
		snprintf(path, sizeof(path), "/%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s/%s", level == 2 ? "" : "/...", parent, name);
	put(id, path);
}

bool nb_cgroup_exists(uint64_t id)
{
	char path[8192];
	struct stat st;
	struct entry *e = find(id);

	if (!e || !rootlen)
		return false;
	snprintf(path, sizeof(path), "%s%s", root, strcmp(e->path, "/") ? e->path : "");
	return !stat(path, &st) && st.st_ino == id;
}

int nb_cgroup_dir(const char *path, char *out, size_t len)
{
	char mnt[4096], root[PATH_MAX], want[8192], real[PATH_MAX];
	size_t rl;
	struct statfs sf;
	struct stat st;

	if (nb_cgroup2_mount("/proc/self/mountinfo", mnt, sizeof(mnt)) || !realpath(mnt, root))
		return -ENODEV;
	rl = strlen(root);
	if (!strncmp(path, root, rl) && (path[rl] == '/' || !path[rl]))
		snprintf(want, sizeof(want), "%s", path);
	else
		snprintf(want, sizeof(want), "%s/%s", root, path[0] == '/' ? path + 1 : path);
	if (!realpath(want, real) || stat(real, &st))
		return -ENOENT;
	/* after "..", "." and symbolic links it must still be the cgroup2
	 * mount or below it, and a cgroup2 folder */
	if (strncmp(real, root, rl) || (real[rl] != '/' && real[rl]) ||
	    !S_ISDIR(st.st_mode) || statfs(real, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC)
		return -EXDEV;
	if (strlen(real) >= len)
		return -ENAMETOOLONG;
	strcpy(out, real);
	return 0;
}
