/*
 * sigflags.c: the console's signals as flags (sigflags.h has the rules).
 */
#include "sigflags.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static const int sigs[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGWINCH};
#define NSIGS (sizeof(sigs) / sizeof(sigs[0]))

/* Lock-free atomics are async-signal-safe (C17 7.14.1.1); a plain int is. */
static atomic_int flags[NSIGS];
static atomic_int wake = -1;
static struct sigaction old_actions[NSIGS];
static bool installed[NSIGS];

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal flags need lock-free atomic ints");

static void
on_signal(int sig)
{
	int saved = errno, fd;

	for (size_t i = 0; i < NSIGS; i++)
		if (sigs[i] == sig)
			atomic_store_explicit(&flags[i], 1, memory_order_relaxed);
	fd = atomic_load_explicit(&wake, memory_order_relaxed);
	if (fd >= 0) {
		char b = 1;
		ssize_t w = write(fd, &b, 1); /* a full pipe already wakes the loop */
		(void)w;
	}
	errno = saved;
}

static void
set_of(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < NSIGS; i++)
		sigaddset(set, sigs[i]);
}

int
sigflags_install(int wake_fd)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	set_of(&sa.sa_mask);
	atomic_store(&wake, wake_fd);
	for (size_t i = 0; i < NSIGS; i++) {
		if (sigaction(sigs[i], NULL, &old_actions[i]) != 0)
			goto fail;
		if (old_actions[i].sa_handler == SIG_IGN && sigs[i] != SIGWINCH)
			continue; /* ignored by whoever started us: stays so */
		if (sigaction(sigs[i], &sa, NULL) != 0)
			goto fail;
		installed[i] = true;
	}
	return 0;
fail:
	sigflags_restore();
	return -1;
}

void
sigflags_restore(void)
{
	for (size_t i = 0; i < NSIGS; i++) {
		if (installed[i])
			sigaction(sigs[i], &old_actions[i], NULL);
		installed[i] = false;
	}
	atomic_store(&wake, -1);
}

unsigned
sigflags_take(void)
{
	unsigned bits = 0;

	for (size_t i = 0; i < NSIGS; i++)
		if (atomic_exchange_explicit(&flags[i], 0, memory_order_relaxed))
			bits |= 1u << i;
	return bits;
}

void
sigflags_block(sigset_t *old)
{
	sigset_t set;

	set_of(&set);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void
sigflags_unblock(void)
{
	sigset_t set;

	set_of(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void
sigflags_discard_pending(void)
{
	sigset_t set;
	const struct timespec zero = {0, 0};

	set_of(&set);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		; /* taken: the console is already on its way out */
}
