// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf top's terminal: ncurses started and ended, and stderr kept aside.
 * While the screen is up, stderr goes to a temporary file that is copied
 * back to the real stderr once the terminal is restored, so a message
 * (libbpf's, or a read error) does not scribble over the screen and is not
 * lost with the alternate screen.
 */
#define _GNU_SOURCE
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "top_int.h"
#include "errors.h"

static struct top *active;	/* for the atexit restore */

/* stderr into a temporary file while the screen is up */
static void stderr_capture(struct top *t)
{
	t->saved_stderr = -1;
	fflush(stderr);
	t->errlog = tmpfile();
	if (!t->errlog)
		return;
	t->saved_stderr = dup(STDERR_FILENO);
	if (t->saved_stderr < 0 || dup2(fileno(t->errlog), STDERR_FILENO) < 0) {
		if (t->saved_stderr >= 0)
			close(t->saved_stderr);
		t->saved_stderr = -1;
		fclose(t->errlog);
		t->errlog = NULL;
	}
}

static void stderr_release(struct top *t)
{
	char buf[4096];
	size_t n;

	if (!t->errlog)
		return;
	fflush(stderr);
	dup2(t->saved_stderr, STDERR_FILENO);
	close(t->saved_stderr);
	rewind(t->errlog);
	while ((n = fread(buf, 1, sizeof(buf), t->errlog)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(t->errlog);
	t->errlog = NULL;
}

/* atexit: an exit() from anywhere still restores the terminal */
static void screen_restore(void)
{
	if (active && active->curses) {
		endwin();
		active->curses = false;
	}
	if (active)
		stderr_release(active);
}

int top_screen_start(struct top *t)
{
	SCREEN *scr;

	stderr_capture(t);
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		stderr_release(t);
		nb_errline("cannot start the full-screen view on terminal type '%s' (hint: set TERM, or use netbpf trace)",
			getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	t->curses = true;
	active = t;
	atexit(screen_restore);
	cbreak();	/* Ctrl-C still sends SIGINT: the session handles it */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_BLACK, COLOR_GREEN);	/* column titles */
		init_pair(2, COLOR_BLACK, COLOR_CYAN);	/* selected row */
	}
	return 0;
}

void top_screen_end(struct top *t)
{
	if (t->curses) {
		endwin();
		t->curses = false;
	}
	stderr_release(t);
	active = NULL;
}

void top_screen_resize(void)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}
