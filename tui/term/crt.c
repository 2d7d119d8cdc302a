/*
 * crt.c: the terminal (crt.h). Everything curses is here: newterm, the
 * colour pairs, wget_wch, and the copy of the in-memory screen to the
 * terminal. Also the terminal's safety: stderr redirected while curses owns
 * the screen, clean exits on SIGTERM/SIGHUP/SIGINT/SIGQUIT through the loop
 * (sigflags.c), and an async-signal-safe restore on crash signals; every
 * handler's previous action is put back at crt_close.
 */
#include "crt.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "keys.h"
#include "sigflags.h"

#define RESET_MAX 256

static struct {
	bool open;
	SCREEN *term;
	bool colors;
	int saved_stderr; /* the real stderr while it points to the log */
	bool have_termios;
	struct termios termios; /* the terminal's mode before curses */
	int sigpipe[2];
	char reset[RESET_MAX]; /* sgr0 cnorm rmkx rmcup, padding removed */
	size_t reset_len;
	short pair_fg[256], pair_bg[256];
	int npairs;
	attr_t attrs[512];
	short pairs[512];
	int nstyles;
} crt = {.saved_stderr = -1, .sigpipe = {-1, -1}};

/* ---- signals ------------------------------------------------------------ */

/* Async-signal-safe: write(2) and tcsetattr(3) only, then the default action. */
static void
on_crash(int sig)
{
	if (crt.reset_len > 0) {
		ssize_t w = write(STDOUT_FILENO, crt.reset, crt.reset_len);
		(void)w;
	}
	if (crt.have_termios)
		tcsetattr(STDIN_FILENO, TCSANOW, &crt.termios);
	raise(sig); /* SA_RESETHAND made the action the default one */
}

static const int crash_signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
#define NCRASH (sizeof(crash_signals) / sizeof(crash_signals[0]))
static struct sigaction crash_old[NCRASH];

/* The quit and resize signals become flags (sigflags.h); crashes restore the terminal. */
static int
signals_install(void)
{
	struct sigaction sa;

	if (sigflags_install(crt.sigpipe[1]) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < NCRASH; i++)
		sigaction(crash_signals[i], &sa, &crash_old[i]);
	return 0;
}

/* Puts back the actions found at crt_open (not the defaults). */
static void
signals_restore(void)
{
	sigflags_restore();
	for (size_t i = 0; i < NCRASH; i++)
		sigaction(crash_signals[i], &crash_old[i], NULL);
}

/* ---- stderr ------------------------------------------------------------- */

/* Creates the log's directory (one level, 0700) when missing. */
static void
log_dir(const char *path)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
	}
}

static void
stderr_redirect(const char *log_path)
{
	int fd = -1;
	fflush(stderr);
	if (log_path && log_path[0]) {
		log_dir(log_path);
		fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	if (fd < 0)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	crt.saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void
stderr_restore(void)
{
	if (crt.saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(crt.saved_stderr, STDERR_FILENO);
	close(crt.saved_stderr);
	crt.saved_stderr = -1;
}

/* ---- the reset string for crashes --------------------------------------- */

/* Appends capability `cap` with its terminfo padding ($<...>) removed. */
static void
reset_add(const char *cap)
{
	char *s = tigetstr(cap);
	if (!s || s == (char *)-1)
		return;
	for (const char *p = s; *p && crt.reset_len < RESET_MAX - 1; p++) {
		if (p[0] == '$' && p[1] == '<') {
			const char *end = strchr(p, '>');
			if (end) {
				p = end;
				continue;
			}
		}
		crt.reset[crt.reset_len++] = *p;
	}
}

static void
reset_capture(void)
{
	crt.reset_len = 0;
	reset_add("sgr0");
	reset_add("cnorm");
	reset_add("rmkx");
	reset_add("rmcup");
}

/* ---- open / close ------------------------------------------------------- */

static void
modes(void)
{
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	meta(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	leaveok(stdscr, TRUE);
}

int
crt_open(const char *log_path, bool want_color, char *err, size_t errlen)
{
	if (crt.open)
		return 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(
		    err, errlen, "the console needs a terminal (use 'dbdeck status' in scripts)");
		return -1;
	}
	if (pipe2(crt.sigpipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	crt.have_termios = tcgetattr(STDIN_FILENO, &crt.termios) == 0;
	if (signals_install() != 0) { /* before newterm: ncurses keeps our handlers */
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		close(crt.sigpipe[0]);
		close(crt.sigpipe[1]);
		crt.sigpipe[0] = crt.sigpipe[1] = -1;
		return -1;
	}
	stderr_redirect(log_path);
	crt.term = newterm(NULL, stdout, stdin);
	if (!crt.term) {
		signals_restore();
		stderr_restore();
		snprintf(err, errlen, "cannot use terminal type '%s'",
		    getenv("TERM") ? getenv("TERM") : "");
		return -1;
	}
	set_term(crt.term);
	modes();
	reset_capture();
	crt.colors = want_color && has_colors() && start_color() == OK;
	if (crt.colors)
		use_default_colors();
	crt.open = true;
	return 0;
}

void
crt_close(void)
{
	if (!crt.open)
		return;
	curs_set(1);
	endwin();
	delscreen(crt.term);
	crt.term = NULL;
	if (crt.have_termios)
		tcsetattr(STDIN_FILENO, TCSANOW, &crt.termios);
	signals_restore();
	stderr_restore();
	close(crt.sigpipe[0]);
	close(crt.sigpipe[1]);
	crt.sigpipe[0] = crt.sigpipe[1] = -1;
	crt.open = false;
}

bool
crt_colors(void)
{
	return crt.colors;
}

int
crt_input_fd(void)
{
	return STDIN_FILENO;
}

int
crt_signal_fd(void)
{
	return crt.sigpipe[0];
}

unsigned
crt_take_signals(void)
{
	char buf[64];
	unsigned f, s = 0;

	/* Drain first: a signal after the drain leaves its flag and a byte for the next poll. */
	while (read(crt.sigpipe[0], buf, sizeof(buf)) > 0)
		;
	f = sigflags_take();
	if (f & SIGFLAG_WINCH)
		s |= CRT_SIG_RESIZE;
	if (f & (SIGFLAG_TERM | SIGFLAG_HUP | SIGFLAG_INT | SIGFLAG_QUIT))
		s |= CRT_SIG_QUIT;
	return s;
}

void
crt_resize(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
}

void
crt_size(int *rows, int *cols)
{
	*rows = LINES;
	*cols = COLS;
}

/* ---- colours ------------------------------------------------------------ */

static attr_t
attrs_of(unsigned a)
{
	attr_t r = A_NORMAL;
	if (a & DD_ATTR_BOLD)
		r |= A_BOLD;
	if (a & DD_ATTR_UNDERLINE)
		r |= A_UNDERLINE;
	if (a & DD_ATTR_REVERSE)
		r |= A_REVERSE;
	if (a & DD_ATTR_DIM)
		r |= A_DIM;
	if (a & DD_ATTR_BLINK)
		r |= A_BLINK;
	if (a & DD_ATTR_ITALIC)
		r |= A_ITALIC;
	return r;
}

/* The pair for fg/bg: an existing one, a new one, or 0 when the terminal has no more. */
static short
pair_for(int fg, int bg)
{
	if (fg == -1 && bg == -1)
		return 0;
	for (int i = 1; i <= crt.npairs; i++)
		if (crt.pair_fg[i] == fg && crt.pair_bg[i] == bg)
			return (short)i;
	if (crt.npairs + 1 >= COLOR_PAIRS || crt.npairs + 1 >= 256)
		return 0;
	crt.npairs++;
	crt.pair_fg[crt.npairs] = (short)fg;
	crt.pair_bg[crt.npairs] = (short)bg;
	init_pair((short)crt.npairs, (short)fg, (short)bg);
	return (short)crt.npairs;
}

void
crt_apply_styles(const struct dd_theme_style *styles, int n)
{
	crt.npairs = 0;
	crt.nstyles = n < 512 ? n : 512;
	for (int i = 0; i < crt.nstyles; i++) {
		int fg = -1, bg = -1;
		if (crt.colors)
			dd_theme_resolve(&styles[i], COLORS, &fg, &bg);
		crt.attrs[i] = attrs_of(styles[i].attrs);
		crt.pairs[i] = crt.colors ? pair_for(fg, bg) : 0;
	}
}

/* ---- keys --------------------------------------------------------------- */

static int
fn_key(wint_t k)
{
	switch (k) {
	case KEY_UP: return TK_UP;
	case KEY_DOWN: return TK_DOWN;
	case KEY_LEFT: return TK_LEFT;
	case KEY_RIGHT: return TK_RIGHT;
	case KEY_PPAGE: return TK_PGUP;
	case KEY_NPAGE: return TK_PGDN;
	case KEY_HOME: return TK_HOME;
	case KEY_END: return TK_END;
	case KEY_ENTER: return TK_ENTER;
	case KEY_BTAB: return TK_BTAB;
	case KEY_BACKSPACE: return TK_BACKSPACE;
	case KEY_DC: return TK_DELETE;
	case KEY_RESIZE: return TK_RESIZE;
	case KEY_F(1): return TK_F1;
	default: return 0;
	}
}

static int
char_key(wint_t k)
{
	switch (k) {
	case 27: return TK_ESC;
	case '\r':
	case '\n': return TK_ENTER;
	case '\t': return TK_TAB;
	case 127:
	case 8: return TK_BACKSPACE;
	default: return (int)k;
	}
}

int
crt_read_key(void)
{
	wint_t k;
	for (;;) {
		int r = wget_wch(stdscr, &k);
		if (r == ERR)
			return -1;
		int key = r == KEY_CODE_YES ? fn_key(k) : char_key(k);
		if (key != 0)
			return key;
	}
}

/* ---- output ------------------------------------------------------------- */

static void
style_set(uint16_t style)
{
	if (style < crt.nstyles)
		attr_set(crt.attrs[style], crt.pairs[style], NULL);
	else
		attr_set(A_NORMAL, 0, NULL);
}

static void
flush_row(const struct screen *scr, int y)
{
	char run[1024];
	size_t len = 0;
	int style = -1;
	move(y, 0);
	for (int x = 0; x < scr->cols; x++) {
		const struct screen_cell *c = screen_cell_at(scr, y, x);
		if (c->width == 0)
			continue;
		size_t n = strlen(c->ch);
		if (c->style != style || len + n >= sizeof(run)) {
			if (len > 0)
				addnstr(run, (int)len);
			len = 0;
			style = c->style;
			style_set(c->style);
		}
		memcpy(run + len, c->ch, n);
		len += n;
	}
	if (len > 0)
		addnstr(run, (int)len);
}

void
crt_flush(const struct screen *scr, bool repaint)
{
	for (int y = 0; y < scr->rows && y < LINES; y++)
		flush_row(scr, y);
	attr_set(A_NORMAL, 0, NULL);
	if (repaint)
		clearok(curscr, TRUE);
	wnoutrefresh(stdscr);
	doupdate();
}
