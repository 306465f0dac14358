/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What /proc tells of a process at first sight, best effort: its command
 * line. The process may be gone, or its pid reused, by the time netbpf
 * looks: the start time in /proc/PID/stat must be the one the kernel gave
 * netbpf, or nothing is taken.
 */
#ifndef NB_PROCINFO_H
#define NB_PROCINFO_H

#include <stddef.h>
#include <stdint.h>

/* At most this many bytes of a command line are kept (NUL included). */
#define NB_CMDLINE_MAX 4096

/* n bytes of /proc/PID/cmdline made one line in place: the NULs between
 * the arguments become spaces, trailing NULs go. Returns the new length
 * (buf[len] is NUL; buf has room for n + 1 bytes). */
size_t nb_cmdline_join(char *buf, size_t n);
/*
 * The command line of process pid started at start_ns (CLOCK_BOOTTIME
 * nanoseconds, as the kernel gives it), at most NB_CMDLINE_MAX - 1 bytes,
 * malloc'd: "" when the process is gone, its pid is now another
 * process's, or it has none (a kernel thread, a zombie). NULL only when
 * out of memory.
 */
char *nb_proc_cmdline(uint32_t pid, uint64_t start_ns);

#endif
