// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "collector.h"

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

struct entry {
	uint64_t id;
	char *path;
};

static struct entry *entries;
static size_t nentries, capentries;
static size_t rootlen;
static double last_walk = -10;

static int visit(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_D)
		return 0;
	if (nentries == capentries) {
		size_t cap = capentries ? capentries * 2 : 256;
		struct entry *e = realloc(entries, cap * sizeof(*e));

		if (!e)
			return 1;
		entries = e;
		capentries = cap;
	}
	entries[nentries].id = st->st_ino;
	entries[nentries].path = strdup(fpath[rootlen] ? fpath + rootlen : "/");
	if (entries[nentries].path)
		nentries++;
	return 0;
}

static void walk(void)
{
	char root[4096];

	for (size_t i = 0; i < nentries; i++)
		free(entries[i].path);
	nentries = 0;
	if (nb_cgroup2_mount("/proc/self/mountinfo", root, sizeof(root)))
		return;
	rootlen = strlen(root);
	nftw(root, visit, 32, FTW_PHYS | FTW_MOUNT);
}

const char *nb_cgroup_path(uint64_t id)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nentries; i++)
			if (entries[i].id == id)
				return entries[i].path;
		if (pass || nb_mono_now() - last_walk < 1.0)
			break;
		last_walk = nb_mono_now();
		walk();
	}
	return "";
}
