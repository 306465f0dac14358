/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NB_CLOCK_H
#define NB_CLOCK_H

/* Seconds, CLOCK_MONOTONIC, CLOCK_REALTIME and CLOCK_BOOTTIME. */
double nb_mono_now(void);
double nb_wall_now(void);
double nb_boot_now(void);

#endif
