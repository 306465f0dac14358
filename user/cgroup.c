// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <ctype.h>
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
	for (size_t i = 0; i < nentries; i++)
		if (entries[i].id == st->st_ino)
			return 0;	/* known: ids are never reused */
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

/* Add the cgroups that exist now; keep the ones seen before, so a removed
 * cgroup (a container run with --rm) keeps its path for the summary. */
static void walk(void)
{
	char root[4096];

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

static size_t hex_run(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && isxdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]))
		i++;
	return i;
}

/* One path component: a container's id or name, or 0. */
static int component(const char *c, size_t n, const char *parent, size_t pn,
		     char *buf, size_t len)
{
	static const char *const prefixes[] = {
		"docker-", "libpod-", "cri-containerd-", "crio-", "containerd-", NULL,
	};
	size_t scope = n > 6 && !memcmp(c + n - 6, ".scope", 6) ? 6 : 0;

	for (int i = 0; prefixes[i]; i++) {
		size_t pl = strlen(prefixes[i]);

		if (scope && n > pl + scope && !strncmp(c, prefixes[i], pl) &&
		    hex_run(c + pl, n - pl - scope) == n - pl - scope && n - pl - scope >= 12) {
			snprintf(buf, len, "%.12s", c + pl);
			return 1;
		}
	}
	if (n == 64 && hex_run(c, n) == 64) {	/* /docker/<id>, kubepods/.../<id> */
		snprintf(buf, len, "%.12s", c);
		return 1;
	}
	if (n > 12 && !strncmp(c, "lxc.payload.", 12)) {
		snprintf(buf, len, "%.*s", (int)(n - 12), c + 12);
		return 1;
	}
	if (pn == 3 && !strncmp(parent, "lxc", 3)) {
		snprintf(buf, len, "%.*s", (int)n, c);
		return 1;
	}
	if (scope && n > 8 + scope && !strncmp(c, "machine-", 8)) {
		/* systemd escapes '-' in unit names as \x2d */
		size_t o = 0;

		for (size_t i = 8; i < n - scope && o + 1 < len; i++) {
			if (!strncmp(c + i, "\\x2d", 4) && i + 4 <= n - scope) {
				buf[o++] = '-';
				i += 3;
			} else {
				buf[o++] = c[i];
			}
		}
		buf[o] = '\0';
		return 1;
	}
	return 0;
}

char *nb_container_name(const char *path, char *buf, size_t len)
{
	const char *end = path + strlen(path);

	buf[0] = '\0';
	while (end > path) {
		const char *start = end, *pend, *pstart;

		while (start > path && start[-1] != '/')
			start--;
		pend = start > path ? start - 1 : start;
		pstart = pend;
		while (pstart > path && pstart[-1] != '/')
			pstart--;
		if (end > start && component(start, end - start, pstart, pend - pstart, buf, len))
			return buf;
		end = start > path ? start - 1 : path;
	}
	buf[0] = '\0';
	return buf;
}
