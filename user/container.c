// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container identity from the cgroup path, names from the runtimes' state
 * on disk. Recognised paths (both cgroup drivers):
 *
 *   podman   /machine.slice/libpod-ID.scope[/container]   (systemd)
 *            /libpod_parent/libpod-ID                      (cgroupfs)
 *   docker   /system.slice/docker-ID.scope  /docker/ID
 *   k8s      /kubepods.slice/.../kubepods-QOS-podUID.slice/{cri-containerd,crio,docker}-ID.scope
 *            /kubepods/QOS/podUID/ID
 *   LXC      /lxc.payload.NAME  /lxc/NAME
 *   machined /machine.slice/machine-NAME.scope
 *   systemd  /system.slice/NAME.service, .../NAME.scope   (a unit, no container)
 *
 * Names: containers/storage's containers.json (podman, CRI-O; a name
 * "k8s_CTR_POD_NS_UID_N" gives the Kubernetes names), docker's
 * containers/ID/config.v2.json, and the kubelet's /var/log/containers/
 * POD_NS_CTR-ID.log and /var/log/pods/NS_POD_UID/ folders.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "cgroup.h"
#include "clock.h"
#include "container.h"
#include "index.h"
#include "json.h"

#define MAX_FILE (64u << 20)	/* containers.json of a busy host stays far below */
#define CACHE_MAX 4096		/* entries before the cache starts afresh */
#define PODS_MAX 1024
#define MISS_TRIES 3		/* reloads an unknown id may cause */

struct cent {
	char id[72];		/* full id */
	char name[256], pod[256], ns[256];
	bool found;
	int tries;
};

struct pod {
	char uid[48], name[256], ns[256];
};

static char root[1024];
static bool has_id(const void *item, const void *key);
/* full id to entry (index.h); at most CACHE_MAX entries: 8,192 slots */
static struct nb_index cache = NB_INDEX_INIT(64, has_id);
static struct pod *pods;
static size_t npods;
static double last_reload = -10;
static struct timespec watched_mtime[7];	/* of watched[], below */
static long long events_off = -1;	/* read_podman_events */

static void copy(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- the cgroup path ---- */

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* systemd escapes bytes of unit names as \xNN ('-' as \x2d) */
static void unescape_unit(char *dst, size_t len, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < len; i++) {
		unsigned int v;

		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    isxdigit((unsigned char)s[i + 2]) && isxdigit((unsigned char)s[i + 3]) &&
		    sscanf(s + i + 2, "%2x", &v) == 1 && v) {
			dst[o++] = (char)v;
			i += 3;
		} else {
			dst[o++] = s[i];
		}
	}
	dst[o] = '\0';
}

static bool ends_with(const char *c, size_t n, const char *suf)
{
	size_t sl = strlen(suf);

	return n > sl && !memcmp(c + n - sl, suf, sl);
}

/* A pod's uid from "podUID" (cgroupfs) or "kubepods-QOS-podUID_WITH_UNDERSCORES.slice". */
static bool pod_uid(const char *c, size_t n, char *out, size_t len)
{
	const char *p = NULL;
	size_t m;

	if (ends_with(c, n, ".slice")) {
		n -= 6;
		for (size_t i = 0; i + 4 <= n; i++)
			if (!memcmp(c + i, "-pod", 4))
				p = c + i + 4;
		if (!p || strncmp(c, "kubepods", 8))
			return false;
	} else if (n > 3 && !memcmp(c, "pod", 3)) {
		p = c + 3;
	} else {
		return false;
	}
	m = c + n - p;
	if (m < 8 || m >= len)
		return false;
	for (size_t i = 0; i < m; i++) {
		char ch = p[i] == '_' ? '-' : p[i];

		if (ch != '-' && !isxdigit((unsigned char)ch))
			return false;
		out[i] = ch;
	}
	out[m] = '\0';
	return true;
}

static bool container_component(const char *c, size_t n, const char *parent, size_t pn,
				bool under_docker, struct nb_ctr_ref *ref)
{
	static const struct { const char *prefix; enum nb_ctr_kind kind; } pre[] = {
		{ "docker-", NB_CTR_DOCKER },
		{ "libpod-", NB_CTR_PODMAN },
		{ "cri-containerd-", NB_CTR_CONTAINERD },
		{ "crio-", NB_CTR_CRIO },
	};
	size_t b = ends_with(c, n, ".scope") ? n - 6 : n;

	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		size_t pl = strlen(pre[i].prefix);

		if (b >= pl + 12 && !strncmp(c, pre[i].prefix, pl) && is_hex(c + pl, b - pl)) {
			ref->kind = pre[i].kind;
			copy(ref->id, sizeof(ref->id), c + pl, b - pl);
			return true;
		}
	}
	if (n == 64 && is_hex(c, n)) {
		ref->kind = under_docker ? NB_CTR_DOCKER : NB_CTR_HEX;
		copy(ref->id, sizeof(ref->id), c, n);
		return true;
	}
	if (n > 12 && !strncmp(c, "lxc.payload.", 12)) {
		ref->kind = NB_CTR_LXC;
		copy(ref->id, sizeof(ref->id), c + 12, n - 12);
		return true;
	}
	if (pn == 3 && !strncmp(parent, "lxc", 3)) {
		ref->kind = NB_CTR_LXC;
		copy(ref->id, sizeof(ref->id), c, n);
		return true;
	}
	if (b < n && b > 8 && !strncmp(c, "machine-", 8)) {
		ref->kind = NB_CTR_MACHINE;
		unescape_unit(ref->id, sizeof(ref->id), c + 8, b - 8);
		return true;
	}
	return false;
}

enum nb_ctr_kind nb_container_parse(const char *path, struct nb_ctr_ref *ref)
{
	const char *comp[64];
	size_t len[64], k = 0;
	bool docker = false;

	memset(ref, 0, sizeof(*ref));
	for (const char *s = path; *s && k < 64;) {
		const char *e;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		comp[k] = s;
		len[k++] = e - s;
		s = e;
	}
	for (size_t i = 0; i < k; i++) {
		if (len[i] == 6 && !strncasecmp(comp[i], "docker", 6))
			docker = true;
		if (!ref->pod_uid[0])
			pod_uid(comp[i], len[i], ref->pod_uid, sizeof(ref->pod_uid));
	}
	for (size_t i = k; i-- > 0;)
		if (container_component(comp[i], len[i], i ? comp[i - 1] : "",
					i ? len[i - 1] : 0, docker, ref))
			return ref->kind;
	for (size_t i = k; i-- > 0;) {
		if (ends_with(comp[i], len[i], ".service") || ends_with(comp[i], len[i], ".scope")) {
			ref->kind = NB_CTR_UNIT;
			unescape_unit(ref->unit, sizeof(ref->unit), comp[i], len[i]);
			return ref->kind;
		}
	}
	ref->pod_uid[0] = '\0';
	return NB_CTR_NONE;
}

char *nb_container_name(const char *path, char *buf, size_t len)
{
	struct nb_ctr_ref ref;

	buf[0] = '\0';
	switch (nb_container_parse(path, &ref)) {
	case NB_CTR_NONE:
	case NB_CTR_UNIT:
		break;
	case NB_CTR_LXC:
	case NB_CTR_MACHINE:
		snprintf(buf, len, "%s", ref.id);
		break;
	default:
		snprintf(buf, len, "%.12s", ref.id);
	}
	return buf;
}

/* ---- the cache ---- */

static bool has_id(const void *item, const void *key)
{
	return !strcmp(((const struct cent *)item)->id, key);
}

static struct cent *find(const char *id)
{
	return nb_index_find(&cache, nb_index_hash_str(id), id);
}

/* every entry freed, the index's memory back to its minimum */
static void cache_clear(void)
{
	uint32_t pos = 0;
	struct cent *e;

	while ((e = nb_index_next(&cache, &pos)))
		free(e);
	nb_index_empty(&cache, 0);
}

void nb_container_reset(void)
{
	cache_clear();
	free(pods);
	pods = NULL;
	npods = 0;
	last_reload = -10;
	memset(watched_mtime, 0, sizeof(watched_mtime));
	events_off = -1;
}

/* The entry for this id, made when new; NULL without memory. */
static struct cent *get(const char *id)
{
	struct cent *e = find(id);

	if (e)
		return e;
	if (cache.n >= CACHE_MAX)	/* bounded: start afresh, keep the pods */
		cache_clear();
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	snprintf(e->id, sizeof(e->id), "%s", id);
	if (nb_index_add(&cache, nb_index_hash_str(id), e)) {
		free(e);
		return NULL;
	}
	return e;
}

/* "k8s_CTR_POD_NS_UID_N": the name CRI-O and dockershim give. */
static bool k8s_name(const char *s, char *ctr, char *pod, char *ns, size_t len)
{
	const char *f[6];
	size_t n[6], k = 0;

	if (strncmp(s, "k8s_", 4))
		return false;
	for (const char *p = s + 4; k < 6;) {
		const char *e = strchrnul(p, '_');

		f[k] = p;
		n[k++] = e - p;
		if (!*e)
			break;
		p = e + 1;
	}
	if (k < 4 || !n[0] || !n[1] || !n[2])
		return false;
	copy(ctr, len, f[0], n[0]);
	copy(pod, len, f[1], n[1]);
	copy(ns, len, f[2], n[2]);
	return true;
}

static void learn(const char *id, const char *name, const char *pod, const char *ns)
{
	struct cent *e = get(id);
	char c[256], p[256], s[256];

	if (!e)
		return;
	if (!*pod && k8s_name(name, c, p, s, sizeof(c))) {
		name = c;
		pod = p;
		ns = s;
	}
	if (*name)
		snprintf(e->name, sizeof(e->name), "%s", name);
	if (*pod)
		snprintf(e->pod, sizeof(e->pod), "%s", pod);
	if (*ns)
		snprintf(e->ns, sizeof(e->ns), "%s", ns);
	e->found = true;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, got = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (got + 65536 > cap) {
			char *b;

			cap = cap ? cap * 2 : 65536;
			if (cap > MAX_FILE || !(b = realloc(buf, cap + 1)))
				break;
			buf = b;
		}
		size_t r = fread(buf + got, 1, cap - got, f);

		if (!r)
			break;
		got += r;
	}
	fclose(f);
	if (buf)
		buf[got] = '\0';
	*n = got;
	return buf;
}

/* containers/storage: [{"id":"...","names":["..."],...},...] */
static void read_storage(const char *file)
{
	char path[2048], *buf;
	size_t n;
	struct nb_jread p;

	snprintf(path, sizeof(path), "%s%s", root, file);
	if (!(buf = slurp(path, &n)))
		return;
	p = (struct nb_jread){ buf, buf + n };
	if (!nb_jread_char(&p, '[') || nb_jread_char(&p, ']'))
		goto out;
	do {
		char key[32], id[72] = "", name[256] = "";

		if (!nb_jread_char(&p, '{'))
			break;
		if (!nb_jread_char(&p, '}')) {
			do {
				if (!nb_jread_str(&p, key, sizeof(key)) || !nb_jread_char(&p, ':'))
					goto out;
				if (!strcmp(key, "id")) {
					if (!nb_jread_str(&p, id, sizeof(id)))
						goto out;
				} else if (!strcmp(key, "names") && nb_jread_char(&p, '[')) {
					if (!nb_jread_char(&p, ']')) {
						do {
							if (!nb_jread_str(&p, *name ? NULL : name, sizeof(name)))
								goto out;
						} while (nb_jread_char(&p, ','));
						if (!nb_jread_char(&p, ']'))
							goto out;
					}
				} else if (!nb_jread_skip(&p)) {
					goto out;
				}
			} while (nb_jread_char(&p, ','));
			if (!nb_jread_char(&p, '}'))
				goto out;
		}
		if (*id)
			learn(id, name, "", "");
	} while (nb_jread_char(&p, ','));
out:
	free(buf);
}

/* docker: containers/ID/config.v2.json, {"Name":"/web",...} */
static void read_docker(const char *id)
{
	char path[2048], key[64], name[256] = "", *buf;
	size_t n;
	struct nb_jread p;

	if (!is_hex(id, strlen(id)))
		return;
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json", root, id);
	if (!(buf = slurp(path, &n)))
		return;
	p = (struct nb_jread){ buf, buf + n };
	if (nb_jread_char(&p, '{') && !nb_jread_char(&p, '}')) {
		do {
			if (!nb_jread_str(&p, key, sizeof(key)) || !nb_jread_char(&p, ':'))
				break;
			if (!strcmp(key, "Name")) {
				if (nb_jread_str(&p, name, sizeof(name)))
					learn(id, name + (name[0] == '/'), "", "");
				break;
			}
			if (!nb_jread_skip(&p))
				break;
		} while (nb_jread_char(&p, ','));
	}
	free(buf);
}

/* kubelet: /var/log/containers/POD_NS_CTR-ID.log */
static void read_kubelet_logs(void)
{
	char path[2048];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/var/log/containers", root);
	if (!(dir = opendir(path)))
		return;
	while ((d = readdir(dir))) {
		const char *s = d->d_name, *f[3];
		size_t n = strlen(s), fl[3], k = 0;
		char id[72], c[256], p[256], ns[256];

		if (n < 4 + 65 + 5 || strcmp(s + n - 4, ".log"))
			continue;
		n -= 4;
		if (s[n - 65] != '-' || !is_hex(s + n - 64, 64))
			continue;
		copy(id, sizeof(id), s + n - 64, 64);
		n -= 65;
		for (size_t i = 0, st = 0; i <= n && k < 3; i++) {
			if (i == n || s[i] == '_') {
				f[k] = s + st;
				fl[k++] = i - st;
				st = i + 1;
			}
		}
		if (k != 3 || !fl[0] || !fl[1] || !fl[2] || f[2] + fl[2] != s + n)
			continue;
		copy(p, sizeof(p), f[0], fl[0]);
		copy(ns, sizeof(ns), f[1], fl[1]);
		copy(c, sizeof(c), f[2], fl[2]);
		learn(id, c, p, ns);
	}
	closedir(dir);
}

/* kubelet: /var/log/pods/NS_POD_UID/ */
static void read_kubelet_pods(void)
{
	char path[2048];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/var/log/pods", root);
	if (!(dir = opendir(path)))
		return;
	free(pods);
	npods = 0;
	pods = calloc(PODS_MAX, sizeof(*pods));
	while (pods && npods < PODS_MAX && (d = readdir(dir))) {
		const char *s = d->d_name, *a = strchr(s, '_'), *b = a ? strchr(a + 1, '_') : NULL;
		struct pod *q = &pods[npods];

		if (!a || !b || a == s || b == a + 1 || !b[1] || strchr(b + 1, '_'))
			continue;
		copy(q->ns, sizeof(q->ns), s, a - s);
		copy(q->name, sizeof(q->name), a + 1, b - a - 1);
		copy(q->uid, sizeof(q->uid), b + 1, strlen(b + 1));
		npods++;
	}
	closedir(dir);
}

/* podman's event log (events_logger "file", the default without systemd):
 * one JSON object a line, {"ID":"...","Name":"...","Type":"container",...};
 * it outlives a container run with --rm. Read from where the last read
 * stopped, at most the last EVENTS_TAIL bytes the first time. */
#define EVENTS_LOG "/run/libpod/events/events.log"
#define EVENTS_TAIL (4u << 20)
static void read_podman_events(void)
{
	char path[2048], line[8192];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, EVENTS_LOG);
	if (!(f = fopen(path, "r")))
		return;
	if (fstat(fileno(f), &st))
		goto out;
	if (events_off < 0 || events_off > st.st_size)	/* first read, or rotated */
		events_off = st.st_size > EVENTS_TAIL && events_off < 0 ? st.st_size - EVENTS_TAIL : 0;
	if (fseeko(f, events_off, SEEK_SET))
		goto out;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		char key[16], id[72] = "", name[256] = "", type[16] = "";
		struct nb_jread p = { line, line + n };

		if (!n || line[n - 1] != '\n')
			break;	/* being written: read it next time */
		events_off += n;
		if (!nb_jread_char(&p, '{') || nb_jread_char(&p, '}'))
			continue;
		do {
			char *dst = NULL;
			size_t len = 0;

			if (!nb_jread_str(&p, key, sizeof(key)) || !nb_jread_char(&p, ':'))
				break;
			if (!strcmp(key, "ID"))
				dst = id, len = sizeof(id);
			else if (!strcmp(key, "Name"))
				dst = name, len = sizeof(name);
			else if (!strcmp(key, "Type"))
				dst = type, len = sizeof(type);
			if (dst ? !nb_jread_str(&p, dst, len) : !nb_jread_skip(&p))
				break;
		} while (nb_jread_char(&p, ','));
		if (!strcmp(type, "container") && *id && *name && is_hex(id, strlen(id))) {
			struct cent *e = find(id);

			if (!e || !e->found)
				learn(id, name, "", "");
		}
	}
out:
	fclose(f);
}

static const char *const watched[] = {
	"/var/lib/containers/storage/overlay-containers/containers.json",
	"/var/lib/containers/storage/overlay-containers/volatile-containers.json",
	"/run/containers/storage/overlay-containers/containers.json",
	"/run/containers/storage/overlay-containers/volatile-containers.json",
	"/var/log/containers",
	"/var/log/pods",
	EVENTS_LOG,
};
#define NWATCHED (sizeof(watched) / sizeof(watched[0]))
_Static_assert(NWATCHED == sizeof(watched_mtime) / sizeof(watched_mtime[0]), "watched");

static void reload(void)
{
	for (size_t i = 0; i < 4; i++)
		read_storage(watched[i]);
	read_kubelet_logs();
	read_kubelet_pods();
	read_podman_events();
}

void nb_container_poll(void)
{
	static double last_poll_reload = -10;
	bool changed = false;
	double now = nb_mono_now();

	if (now - last_poll_reload < 0.25)
		return;
	for (size_t i = 0; i < NWATCHED; i++) {
		char path[2048];
		struct stat st;

		snprintf(path, sizeof(path), "%s%s", root, watched[i]);
		if (stat(path, &st))
			memset(&st, 0, sizeof(st));
		if (st.st_mtim.tv_sec != watched_mtime[i].tv_sec ||
		    st.st_mtim.tv_nsec != watched_mtime[i].tv_nsec) {
			watched_mtime[i] = st.st_mtim;
			changed = true;
		}
	}
	if (changed) {
		last_poll_reload = now;
		reload();
	}
}

void nb_container_set_root(const char *r)
{
	snprintf(root, sizeof(root), "%s", r && strcmp(r, "/") ? r : "");
	nb_container_reset();
}

bool nb_container_lookup(const char *path, struct nb_container *out)
{
	struct nb_ctr_ref ref;
	struct cent *e;

	memset(out, 0, sizeof(*out));
	switch (nb_container_parse(path, &ref)) {
	case NB_CTR_NONE:
		return false;
	case NB_CTR_UNIT:
		snprintf(out->name, sizeof(out->name), "%s", ref.unit);
		return false;
	case NB_CTR_LXC:
	case NB_CTR_MACHINE:
		snprintf(out->id, sizeof(out->id), "%s", ref.id);
		snprintf(out->name, sizeof(out->name), "%s", ref.id);
		return true;
	default:
		break;
	}
	snprintf(out->id, sizeof(out->id), "%.12s", ref.id);
	e = find(ref.id);
	if ((!e || (!e->found && e->tries < MISS_TRIES)) && nb_mono_now() - last_reload >= 1.0) {
		last_reload = nb_mono_now();
		reload();
		read_docker(ref.id);
		if ((e = get(ref.id)) && !e->found)
			e->tries++;
	}
	if (e && e->found) {
		snprintf(out->name, sizeof(out->name), "%s", e->name);
		snprintf(out->pod, sizeof(out->pod), "%s", e->pod);
		snprintf(out->ns, sizeof(out->ns), "%s", e->ns);
	}
	if (!out->pod[0] && ref.pod_uid[0]) {
		for (size_t i = 0; i < npods; i++) {
			if (!strcmp(pods[i].uid, ref.pod_uid)) {
				snprintf(out->pod, sizeof(out->pod), "%s", pods[i].name);
				snprintf(out->ns, sizeof(out->ns), "%s", pods[i].ns);
				break;
			}
		}
	}
	if (!out->name[0])
		snprintf(out->name, sizeof(out->name), "%s", out->id);
	return true;
}

/* ---- --container NAME|ID ---- */

static const char *find_want;
static size_t find_rootlen;
static char *find_out;
static size_t find_len;

static int find_visit(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = fpath[find_rootlen] ? fpath + find_rootlen : "/";
	struct nb_ctr_ref ref;
	struct nb_container ct;
	size_t wl = strlen(find_want);

	(void)st;
	(void)ftw;
	if (flag != FTW_D || !nb_container_lookup(rel, &ct))
		return 0;
	nb_container_parse(rel, &ref);
	if (strcmp(ct.name, find_want) && strcmp(ct.id, find_want) &&
	    !(wl >= 12 && is_hex(find_want, wl) && !strncmp(ref.id, find_want, wl)))
		return 0;
	snprintf(find_out, find_len, "%s", rel);
	return 1;	/* the first is the shallowest of its branch: the container's own */
}

int nb_container_find(const char *cgroot, const char *want, char *path, size_t len)
{
	char mnt[4096];

	if (!cgroot) {
		if (nb_cgroup2_mount("/proc/self/mountinfo", mnt, sizeof(mnt)))
			return -1;
		cgroot = mnt;
	}
	find_want = want;
	find_rootlen = strlen(cgroot);
	find_out = path;
	find_len = len;
	path[0] = '\0';
	nftw(cgroot, find_visit, 32, FTW_PHYS | FTW_MOUNT);
	return path[0] ? 0 : -1;
}
