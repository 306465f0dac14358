/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Numbers from /proc: a process's status fields, and one-number files. */
#ifndef NB_PROCFS_H
#define NB_PROCFS_H

/* The field "Name:" of /proc/PID/status (/proc/self/status for pid 0) as
 * a number in base (16 for the capability masks such as "CapEff"); 0 when
 * the process or the field is not there. */
unsigned long long nb_proc_status(unsigned int pid, const char *name, int base);
/* The number a file such as /proc/sys/kernel/cap_last_cap holds; -1 when
 * it cannot be read. */
int nb_read_int(const char *path);

#endif
