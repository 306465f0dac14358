/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Numbers from /proc: a process's status fields, and one-number files. */
#ifndef NB_PROCFS_H
#define NB_PROCFS_H

#include <stdint.h>

/* The field "Name:" of /proc/PID/status (/proc/self/status for pid 0) as
 * a number in base (16 for the capability masks such as "CapEff"); 0 when
 * the process or the field is not there. */
unsigned long long nb_proc_status(unsigned int pid, const char *name, int base);
/* The number a file such as /proc/sys/kernel/cap_last_cap holds; -1 when
 * it cannot be read. */
int nb_read_int(const char *path);

/* The start time, field 22 of a /proc/PID/stat line, in clock ticks since
 * boot; 0 when the line does not parse. */
uint64_t nb_stat_start(const char *line);
/* The same of process pid (a reused pid has another); 0 when it is gone. */
uint64_t nb_proc_start(unsigned int pid);

#endif
