/*
 * cli_vault.c: vault path resolution, passphrase and password input, and the
 * one-line-error open used by every command (see cli_vault.h).
 *
 * Secrets are read byte by byte straight into sodium_malloc memory: from a
 * file (first line), from stdin (one line, so the next line stays for the
 * next read), or from /dev/tty with echo off. The terminal mode is restored
 * on every path out, including SIGINT and friends, whose handlers restore it
 * and then re-raise the signal with its previous disposition.
 */
#include "cli_vault.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "dbdeck/util.h"
#include "dbdeck/vault.h"

#define DEFAULT_VAULT "/.config/dbdeck/vault"

static void *
secure_alloc(size_t n)
{
	static bool started;
	if (!started && sodium_init() < 0) {
		cli_error("libsodium failed to initialise");
		abort();
	}
	started = true;
	void *p = sodium_malloc(n);
	if (!p) {
		cli_error("out of secure memory");
		abort();
	}
	return p;
}

void
cli_secret_free(struct cli_secret *s)
{
	if (s->buf)
		sodium_free(s->buf);
	s->buf = NULL;
	s->len = 0;
}

/* Copies `src` into buf, expanding a leading "~/"; false when it does not fit. */
static bool
expand_home(const char *src, char *buf, size_t buflen)
{
	const char *home = getenv("HOME");
	int n;
	if (strncmp(src, "~/", 2) == 0) {
		if (!home || !*home) {
			cli_error("cannot expand %s: $HOME is not set", src);
			return false;
		}
		n = snprintf(buf, buflen, "%s%s", home, src + 1);
	} else {
		n = snprintf(buf, buflen, "%s", src);
	}
	if (n < 0 || (size_t)n >= buflen) {
		cli_error("vault path too long");
		return false;
	}
	return true;
}

const char *
cli_vault_path(const struct cli *cli, const char *config_vault_path, char *buf, size_t buflen)
{
	const char *env = getenv("DBDECK_VAULT");
	const char *src = cli->vault_path;
	if (!src || !*src)
		src = config_vault_path;
	if (!src || !*src)
		src = env;
	if (!src || !*src)
		src = "~" DEFAULT_VAULT;
	return expand_home(src, buf, buflen) ? buf : NULL;
}

const char *
cli_vault_passphrase_file(const struct cli *cli)
{
	const char *env = getenv("DBDECK_PASSPHRASE_FILE");
	if (cli->passphrase_file && *cli->passphrase_file)
		return cli->passphrase_file;
	return env && *env ? env : NULL;
}

bool
cli_vault_passphrase_configured(const struct cli *cli)
{
	return cli_vault_passphrase_file(cli) != NULL;
}

/*
 * Reads one line into out (secure; the caller frees it in every case).
 * Returns 1 for a line (maybe empty), 0 at EOF before any byte, -1 on a read
 * error (errno), -2 when longer than CLI_SECRET_MAX, -3 when *stop became set
 * (a suspend while reading the terminal).
 */
static int
read_line(int fd, struct cli_secret *out, volatile sig_atomic_t *stop)
{
	size_t n = 0;
	bool any = false, toolong = false;
	char c = 0;
	int rc;
	out->buf = secure_alloc(CLI_SECRET_MAX + 1);
	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && !(stop && *stop))
			continue;
		if (r <= 0 || c == '\n') {
			rc = r < 0 ? (errno == EINTR ? -3 : -1) : 1;
			any |= r > 0;
			break;
		}
		any = true;
		if (n < CLI_SECRET_MAX)
			out->buf[n++] = c;
		else
			toolong = true;
	}
	sodium_memzero(&c, sizeof(c));
	if (n > 0 && out->buf[n - 1] == '\r')
		n--;
	out->buf[n] = '\0';
	out->len = n;
	if (rc == 1 && toolong)
		return -2;
	return rc == 1 && !any ? 0 : rc;
}

static bool
line_result(int r, const char *what, const char *from, struct cli_secret *out)
{
	if (r == 1)
		return true;
	if (r == 0)
		cli_error("no %s in %s (it is empty)", what, from);
	else if (r == -2)
		cli_error("%s in %s is longer than %d bytes", what, from, CLI_SECRET_MAX);
	else
		cli_error("reading the %s from %s: %s", what, from, strerror(errno));
	cli_secret_free(out);
	return false;
}

bool
cli_secret_from_fd(int fd, const char *what, struct cli_secret *out)
{
	return line_result(read_line(fd, out, NULL), what, fd == 0 ? "stdin" : "input", out);
}

bool
cli_secret_from_file(const char *path, const char *what, struct cli_secret *out)
{
	char err[1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cli_error("cannot open %s file %s: %s", what, path, strerror(errno));
		return false;
	}
	if (dd_vault_check_secret_fd(fd, path, err, sizeof(err)) != 0) {
		cli_error("%s file %s", what, err);
		close(fd);
		return false;
	}
	int r = read_line(fd, out, NULL), e = errno;
	close(fd);
	errno = e;
	return line_result(r, what, path, out);
}

/* --- the terminal ------------------------------------------------------- */

static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
#define NSIGS (sizeof(tty_signals) / sizeof(tty_signals[0]))

static int tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t tty_noecho;
static volatile sig_atomic_t tty_stopped;
static struct sigaction tty_old[NSIGS];
static bool tty_hooked[NSIGS];

/* Async-signal-safe: tcsetattr and sigaction are. */
static void
tty_restore(void)
{
	if (tty_noecho) {
		tcsetattr(tty_fd, TCSANOW, &tty_saved);
		tty_noecho = 0;
	}
}

static void
tty_unhook(void)
{
	for (size_t i = 0; i < NSIGS; i++)
		if (tty_hooked[i])
			sigaction(tty_signals[i], &tty_old[i], NULL);
	memset(tty_hooked, 0, sizeof(tty_hooked));
}

static void
tty_on_signal(int sig)
{
	int saved = errno;
	tty_restore();
	tty_unhook();
	if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
		tty_stopped = 1;
	raise(sig); /* pending until we return; then the old disposition acts */
	errno = saved;
}

static void
tty_hook(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a suspend must interrupt read() */
	for (size_t i = 0; i < NSIGS; i++) {
		struct sigaction old;
		if (sigaction(tty_signals[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
			continue;
		tty_old[i] = old;
		tty_hooked[i] = sigaction(tty_signals[i], &sa, NULL) == 0;
	}
}

static bool
tty_echo_off(void)
{
	struct termios t;
	if (tcgetattr(tty_fd, &tty_saved) != 0)
		return false;
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	t.c_lflag |= ICANON | ISIG;
	tty_hook();
	tty_noecho = 1;
	if (tcsetattr(tty_fd, TCSAFLUSH, &t) != 0) {
		tty_noecho = 0;
		tty_unhook();
		return false;
	}
	return true;
}

static void
tty_say(const char *s)
{
	ssize_t r = write(tty_fd, s, strlen(s));
	(void)r;
}

/* One prompt and one line with echo off; -4 when the tty cannot be set. */
static int
tty_ask(const char *prompt, struct cli_secret *out)
{
	int r;
	for (;;) {
		tty_stopped = 0;
		if (!tty_echo_off())
			return -4;
		tty_say(prompt);
		r = read_line(tty_fd, out, &tty_stopped);
		tty_restore();
		tty_unhook();
		tty_say("\n");
		if (r != -3)
			return r;
		cli_secret_free(out); /* suspended and resumed: ask again */
	}
}

static bool
tty_ask_checked(const char *prompt, struct cli_secret *out)
{
	int r = tty_ask(prompt, out);
	if (r == -4) {
		cli_error("cannot turn off echo on the terminal: %s", strerror(errno));
		cli_secret_free(out);
		return false;
	}
	if (r == 0) {
		cli_error("no input on the terminal");
		cli_secret_free(out);
		return false;
	}
	return line_result(r, "input", "the terminal", out);
}

static bool
tty_twice(const char *prompt, struct cli_secret *out)
{
	struct cli_secret again = {0};
	char *p2 = NULL;
	bool same;
	if (!tty_ask_checked(prompt, out))
		return false;
	p2 = xasprintf("Repeat %s", prompt);
	if (!tty_ask_checked(p2, &again)) {
		free(p2);
		cli_secret_free(out);
		return false;
	}
	free(p2);
	same = out->len == again.len && sodium_memcmp(out->buf, again.buf, out->len) == 0;
	cli_secret_free(&again);
	if (!same) {
		cli_error("the two entries do not match");
		cli_secret_free(out);
	}
	return same;
}

bool
cli_secret_from_tty(const char *prompt, bool twice, const char *hint, struct cli_secret *out)
{
	bool ok;
	tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty_fd < 0) {
		cli_error("no terminal to ask on (%s); %s", strerror(errno), hint);
		return false;
	}
	ok = twice ? tty_twice(prompt, out) : tty_ask_checked(prompt, out);
	close(tty_fd);
	tty_fd = -1;
	return ok;
}

bool
cli_vault_passphrase(const struct cli *cli, bool interactive, bool twice, struct cli_secret *out)
{
	const char *file = cli_vault_passphrase_file(cli);
	bool ok;
	if (file)
		ok = cli_secret_from_file(file, "passphrase", out);
	else if (interactive)
		ok = cli_secret_from_tty("Vault passphrase: ", twice,
		    "use --passphrase-file or DBDECK_PASSPHRASE_FILE", out);
	else {
		cli_error("no vault passphrase: set --passphrase-file or DBDECK_PASSPHRASE_FILE");
		return false;
	}
	if (ok && out->len == 0) {
		cli_error("empty passphrase refused");
		cli_secret_free(out);
		ok = false;
	}
	return ok;
}

int
cli_vault_guard(const struct cli *cli)
{
	if (!cli->harden_error)
		return DD_EXIT_OK;
	if (cli->allow_core_dumps) {
		cli_error(
		    "warning: unlocking the vault with core dumps possible (--allow-core-dumps)");
		return DD_EXIT_OK;
	}
	cli_error("refusing to unlock the vault: process hardening failed (%s), so a crash could "
	          "write its secrets to a core file; fix that, or accept the risk with "
	          "--allow-core-dumps",
	    cli->harden_error);
	return DD_EXIT_REFUSED;
}

int
cli_vault_open(
    const struct cli *cli, const char *config_vault_path, bool interactive, struct dd_vault **out)
{
	char path[4096], err[1024];
	struct cli_secret pass = {0};
	int guard = cli_vault_guard(cli);
	*out = NULL;
	if (guard != DD_EXIT_OK)
		return guard;
	if (!cli_vault_path(cli, config_vault_path, path, sizeof(path)))
		return DD_EXIT_VAULT;
	if (!cli_vault_passphrase(cli, interactive, false, &pass))
		return DD_EXIT_VAULT;
	int rc = dd_vault_open(path, pass.buf, pass.len, out, err, sizeof(err));
	cli_secret_free(&pass);
	if (rc == 0)
		return DD_EXIT_OK;
	if (rc == DD_VAULT_ERR_MISSING)
		cli_error("%s (create one with: dbdeck vault init)", err);
	else
		cli_error("%s", err);
	return DD_EXIT_VAULT;
}
