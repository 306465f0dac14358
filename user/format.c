// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <pwd.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "format.h"
#include "netbpf.h"

static char *scaled(char *buf, size_t len, double v, double step,
		    const char *const *units, int nunits, const char *suffix)
{
	int u = 0;

	if (v < 0)
		v = 0;
	while (v >= step && u < nunits - 1) {
		v /= step;
		u++;
	}
	/* 1023.96 KiB would print as "1024.0 KiB": move it up a unit */
	if (u && u < nunits - 1 && v >= step - 0.05) {
		v /= step;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s%s", v, units[0], suffix);
	else
		snprintf(buf, len, "%.1f %s%s", v, units[u], suffix);
	return buf;
}

char *nb_fmt_bytes(char *buf, size_t len, double bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

	return scaled(buf, len, bytes, 1024, units, 6, "");
}

char *nb_fmt_rate(char *buf, size_t len, double bytes_per_s, bool bits)
{
	static const char *const bunits[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	static const char *const units[] = { "bit", "kbit", "Mbit", "Gbit", "Tbit", "Pbit" };

	if (bits)
		return scaled(buf, len, bytes_per_s * 8, 1000, units, 6, "/s");
	return scaled(buf, len, bytes_per_s, 1024, bunits, 6, "/s");
}

char *nb_fmt_trunc(char *buf, size_t len, const char *s, int width)
{
	size_t n = strlen(s);

	if (width < 1 || len < 2) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	if ((size_t)width >= len)
		width = (int)len - 1;
	if (n <= (size_t)width) {
		memcpy(buf, s, n + 1);
	} else {
		memcpy(buf, s, width - 1);
		buf[width - 1] = '+';
		buf[width] = '\0';
	}
	return buf;
}

char *nb_fmt_ip(char *buf, size_t len, int family, const unsigned char *addr)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

char *nb_fmt_endpoint(char *buf, size_t len, int family, const unsigned char *addr,
		      unsigned port)
{
	static const unsigned char zero[16];
	char ip[64];

	if (family == NB_FAMILY_PACKET) {	/* AF_PACKET: interface/ethertype */
		uint32_t ifindex;

		memcpy(&ifindex, addr, 4);
		if (!ifindex && !port)
			snprintf(buf, len, "*");
		else if (!ifindex)
			snprintf(buf, len, "any/0x%04x", port);
		else
			snprintf(buf, len, "if%u/0x%04x", ifindex, port);
		return buf;
	}
	if (!port && !memcmp(addr, zero, family == 4 ? 4 : 16)) {
		snprintf(buf, len, "*");
		return buf;
	}
	nb_fmt_ip(ip, sizeof(ip), family, addr);
	snprintf(buf, len, family == 4 ? "%s:%u" : "[%s]:%u", ip, port);
	return buf;
}

/* Users are few and processes many: a small direct-mapped cache of uid to
 * name saves reading the password database for every new process. */
char *nb_user_name(uint32_t uid, char *out, size_t len)
{
	static struct { uint32_t uid; bool set; char name[32]; } cache[64];
	unsigned int h = uid % 64;

	if (!cache[h].set || cache[h].uid != uid) {
		struct passwd pw, *res = NULL;
		char buf[1024];

		if (!getpwuid_r(uid, &pw, buf, sizeof(buf), &res) && res)
			snprintf(cache[h].name, sizeof(cache[h].name), "%s", pw.pw_name);
		else
			snprintf(cache[h].name, sizeof(cache[h].name), "%u", (unsigned)uid);
		cache[h].uid = uid;
		cache[h].set = true;
	}
	snprintf(out, len, "%s", cache[h].name);
	return out;
}

char *nb_fmt_start(char *buf, size_t len, double start, double now)
{
	time_t t = (time_t)start;
	struct tm tm;

	if (start <= 0 || !localtime_r(&t, &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(buf, len, now - start < 86400 ? "%H:%M:%S" : "%b %d", &tm);
	return buf;
}
