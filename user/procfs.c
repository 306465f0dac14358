// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procfs.h"

unsigned long long nb_proc_status(unsigned int pid, const char *name, int base)
{
	char path[64], line[256];
	unsigned long long v = 0;
	size_t n = strlen(name);
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%u/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, base);
			break;
		}
	}
	fclose(f);
	return v;
}

int nb_read_int(const char *path)
{
	int v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

uint64_t nb_stat_start(const char *line)
{
	const char *p = strrchr(line, ')');	/* comm may hold spaces and ')' */

	if (!p)
		return 0;
	p++;
	/* after ") " comes field 3; field 22 is 19 spaces further */
	for (int field = 2; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	return strtoull(p, NULL, 10);
}

uint64_t nb_proc_start(unsigned int pid)
{
	char path[64], buf[1024];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return nb_stat_start(buf);
}
