// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <time.h>
#include "clock.h"

static double seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double nb_mono_now(void)
{
	return seconds(CLOCK_MONOTONIC);
}

double nb_wall_now(void)
{
	return seconds(CLOCK_REALTIME);
}

double nb_boot_now(void)
{
	return seconds(CLOCK_BOOTTIME);
}
