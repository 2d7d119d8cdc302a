/*
 * sigflags_test.c: the console's signal flags (tui/term/sigflags.c) with
 * real signals: each signal raises its own flag and one take clears it; a
 * burst from another thread, aimed at the handling thread while it takes
 * flags in a tight loop, loses none; only the unblocked thread runs the
 * handler; ignored signals stay ignored; and the actions found at install
 * are the ones put back (not SIG_DFL).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sigflags.h"
#include "tap.h"

static void
other_handler(int sig)
{
	(void)sig;
}

static void (*action_of(int sig))(int)
{
	struct sigaction sa;

	sigaction(sig, NULL, &sa);
	return sa.sa_handler;
}

static void
test_dispositions(void)
{
	signal(SIGHUP, other_handler);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	is_int(sigflags_install(-1), 0, "install");
	ok(action_of(SIGTERM) != SIG_DFL && action_of(SIGHUP) != other_handler &&
	        action_of(SIGWINCH) != SIG_DFL,
	    "the handler is installed for TERM, HUP (over another handler) and WINCH");
	ok(action_of(SIGINT) == SIG_IGN,
	    "an ignored SIGINT (nohup, a background job) stays ignored");
	raise(SIGINT);
	is_int((int)sigflags_take(), 0, "and raises no flag");
	sigflags_restore();
	ok(action_of(SIGHUP) == other_handler,
	    "restore puts back the previous handler of SIGHUP, not SIG_DFL");
	ok(action_of(SIGINT) == SIG_IGN && action_of(SIGTERM) == SIG_DFL,
	    "and SIG_IGN / SIG_DFL where they were");
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
}

static void
test_flags(void)
{
	int p[2];
	char buf[16];

	if (pipe2(p, O_NONBLOCK) != 0)
		bail_out("pipe");
	/* a background job of a non-interactive shell starts with INT and QUIT ignored */
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	sigflags_install(p[1]);
	raise(SIGWINCH);
	raise(SIGTERM);
	is_int((int)sigflags_take(), (int)(SIGFLAG_WINCH | SIGFLAG_TERM),
	    "SIGWINCH and SIGTERM close together: both flags");
	is_int((int)sigflags_take(), 0, "taken once: the next take is empty");
	is_int((int)read(p[0], buf, sizeof(buf)), 2, "a wake byte per signal");
	raise(SIGHUP);
	raise(SIGQUIT);
	raise(SIGHUP);
	is_int((int)sigflags_take(), (int)(SIGFLAG_HUP | SIGFLAG_QUIT), "one flag per signal");
	sigflags_restore();
	close(p[0]);
	close(p[1]);
}

/* ---- a burst aimed at a thread that takes flags all the time ---- */

#define BURST 500 /* a read-then-clear take loses one within the first 50 */

static struct {
	pthread_t taker;
	atomic_int sent; /* signals sent so far */
	atomic_int seen; /* the last one the taker saw */
	atomic_bool done;
	atomic_int wrong_thread;
} b;

static void *
sender(void *arg)
{
	struct timespec t0, now;
	int lost = 0;

	(void)arg;
	sigflags_block(NULL); /* this thread never runs the handler */
	for (int i = 1; i <= BURST && lost == 0; i++) {
		atomic_store(&b.sent, i);
		pthread_kill(b.taker, i % 2 ? SIGWINCH : SIGTERM);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (atomic_load(&b.seen) <
		       i) { /* each one must be seen, within 30 s (a loaded machine) */
			sched_yield();
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec > 30) {
				lost = i;
				break;
			}
		}
	}
	atomic_store(&b.done, true);
	return (void *)(long)lost;
}

static void
test_burst(void)
{
	pthread_t th;
	void *lost;
	long takes = 0;

	sigflags_install(-1);
	b.taker = pthread_self();
	pthread_create(&th, NULL, sender, NULL);
	while (!atomic_load(&b.done)) {
		unsigned f = sigflags_take(); /* the window a read-then-clear would have */
		takes++;
		if (f & (SIGFLAG_WINCH | SIGFLAG_TERM))
			atomic_store(&b.seen, atomic_load(&b.sent));
	}
	pthread_join(th, &lost);
	ok(lost == NULL, "%d signals aimed at the taking thread, each waited for: none lost",
	    BURST);
	diag("%ld takes; %s", takes, lost ? "a signal was never seen" : "every signal seen");
	if (lost)
		diag("lost: signal %ld of the burst", (long)lost);
	sigflags_restore();
}

/* A thread started after sigflags_block has them blocked; the process's signals reach the other. */
static atomic_bool worker_blocks_all;

static void *
blocked_worker(void *arg)
{
	sigset_t cur;
	static const int five[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGWINCH};
	bool all = true;

	(void)arg;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	for (int i = 0; i < 5; i++)
		all = all && sigismember(&cur, five[i]);
	atomic_store(&worker_blocks_all, all);
	for (int i = 0; i < 50; i++) {
		kill(getpid(), SIGWINCH); /* to the process: only an unblocked thread may take it */
		usleep(100);
	}
	return NULL;
}

static void
test_masks(void)
{
	pthread_t th;
	unsigned seen = 0;

	sigflags_install(-1);
	sigflags_block(NULL);
	pthread_create(&th, NULL, blocked_worker, NULL); /* inherits the block */
	sigflags_unblock();
	pthread_join(th, NULL);
	for (int i = 0; i < 100 && !seen; i++) {
		seen = sigflags_take();
		usleep(1000);
	}
	ok(atomic_load(&worker_blocks_all),
	    "a thread started after sigflags_block has all five blocked");
	ok(seen & SIGFLAG_WINCH, "signals sent to the process reach the one unblocked thread");
	sigflags_restore();
}

/*
 * A SIGHUP that arrives after the console's loop has blocked the signals is
 * pending; the console then puts back SIG_DFL and the old mask. Discarding
 * the pending ones first keeps the process alive (it exited 129 before).
 */
static void
test_discard(void)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		sigset_t old;
		sigflags_install(-1);
		sigflags_block(&old);
		raise(SIGHUP); /* pending: blocked */
		raise(SIGTERM);
		sigflags_restore(); /* SIG_DFL again, as in the test's process */
		sigflags_discard_pending();
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "pending SIGHUP and SIGTERM discarded before the old mask comes back: exit 0 (status "
	    "%d)",
	    st);
}

int
main(void)
{
	test_dispositions();
	test_flags();
	test_burst();
	test_masks();
	test_discard();
	return tap_done();
}
