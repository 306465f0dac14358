// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procfs.h"
#include "procinfo.h"

size_t nb_cmdline_join(char *buf, size_t n)
{
	while (n && buf[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return n;
}

/* Up to len - 1 bytes of a /proc file, NUL terminated; -1 when missing. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return -1;
	while (n < len - 1) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	return n;
}

/* The tick the kernel's start_boottime falls in, as /proc/PID/stat shows
 * it (nsec_to_clock_t). */
static uint64_t start_ticks(uint64_t start_ns)
{
	long hz = sysconf(_SC_CLK_TCK);

	return start_ns / (1000000000ull / (hz > 0 ? hz : 100));
}

char *nb_proc_cmdline(uint32_t pid, uint64_t start_ns)
{
	char path[64], stat[1024], *buf = malloc(NB_CMDLINE_MAX);
	ssize_t n;
	char *s;

	if (!buf)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = read_small(path, buf, NB_CMDLINE_MAX);
	if (n < 0)
		n = 0;
	n = nb_cmdline_join(buf, n);
	/* read after the command line: if the pid was reused before that
	 * read, the start time tells */
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (n && (read_small(path, stat, sizeof(stat)) <= 0 ||
		  nb_stat_start(stat) != start_ticks(start_ns)))
		n = 0;
	buf[n] = '\0';
	s = realloc(buf, n + 1);	/* keep only what it holds */
	return s ? s : buf;
}
