/*
 * crt.h: the terminal. The only part of dbdeck that calls curses (newterm,
 * init_pair, wget_wch): it copies a screen (screen.h) to the terminal, turns
 * curses keys into keys.h codes, applies the style table as colour pairs, and
 * owns every terminal safety measure:
 *
 *   - stderr goes to the log file (opened 0600) while curses owns the screen,
 *     and comes back after endwin;
 *   - SIGTERM, SIGHUP, SIGINT and SIGQUIT are turned into a flag and a byte
 *     on a pipe (crt_signal_fd, sigflags.h) so that the loop leaves cleanly
 *     through crt_close; the caller blocks them (sigflags_block) before it
 *     starts any thread and unblocks them in the loop's thread only;
 *   - SIGWINCH likewise, so that a resize wakes the loop at once;
 *   - crt_close puts back the actions these signals had before crt_open;
 *   - a crash (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL) restores the
 *     terminal from the handler with async-signal-safe calls only (write(2)
 *     of the sgr0/cnorm/rmkx/rmcup strings captured at start, tcsetattr of
 *     the termios saved before curses), then re-raises with the default
 *     action.
 *
 * One terminal per process: the functions work on file-static state.
 */
#ifndef DD_CRT_H
#define DD_CRT_H

#include <stdbool.h>
#include <stddef.h>

#include "screen.h"
#include "theme.h"

/* Signals seen since the last crt_take_signals(). */
#define CRT_SIG_RESIZE 0x1u
#define CRT_SIG_QUIT   0x2u /* SIGTERM, SIGHUP, SIGINT or SIGQUIT */

/*
 * Takes over the terminal (stdin/stdout). log_path: where stderr goes
 * meanwhile (NULL or unopenable: /dev/null). want_color: colours unless the
 * terminal has none. Returns 0, or -1 with the reason in err (nothing
 * changed then).
 */
int crt_open(const char *log_path, bool want_color, char *err, size_t errlen);
/* Gives the terminal back (endwin, stderr, termios, signal handlers). Idempotent. */
void crt_close(void);

/* True when colours are in use (the terminal has them and they were wanted). */
bool crt_colors(void);
/* The descriptors the loop polls: the terminal's input, and the signal pipe. */
int crt_input_fd(void);
int crt_signal_fd(void);
/* Drains the signal pipe; returns CRT_SIG_* bits. */
unsigned crt_take_signals(void);
/* Follows a new terminal size (after CRT_SIG_RESIZE). */
void crt_resize(void);
void crt_size(int *rows, int *cols);

/* Makes colour pairs for styles[0..n) (theme roles and cluster styles). */
void crt_apply_styles(const struct dd_theme_style *styles, int n);
/* The next key (keys.h code), or -1 when none is waiting. */
int crt_read_key(void);
/* Copies the screen to the terminal; repaint: redraw every cell (^L). */
void crt_flush(const struct screen *scr, bool repaint);

#endif
