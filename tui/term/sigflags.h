/*
 * sigflags.h: the console's signals (SIGTERM, SIGHUP, SIGINT, SIGQUIT and
 * SIGWINCH), turned into flags that the loop can take without losing one.
 * crt.c uses it; it has no curses in it, so the unit tests use it directly.
 *
 *   - One flag per signal, an atomic int. The handler only stores 1 into
 *     its own flag (no read-modify-write another handler could interleave
 *     with) and writes a byte to the wake pipe. sigflags_take() takes every
 *     flag with an atomic exchange: a signal that lands while the flags are
 *     being taken is either in this result or still set for the next take,
 *     never cleared unseen.
 *   - Masks: sigflags_block() blocks these signals in the calling thread.
 *     Threads inherit the mask they are created with, so the front end
 *     blocks them before it starts any thread (the core's, the monitor's,
 *     the jobs thread) and unblocks them (sigflags_unblock) in the one
 *     thread that handles them, the console's loop. No other thread is
 *     interrupted by them, and no handler runs on two threads at once.
 *   - Dispositions: sigflags_install() remembers each signal's previous
 *     action and sigflags_restore() puts exactly that back (not SIG_DFL). A
 *     signal that was ignored when installing (nohup, a background job)
 *     stays ignored and never raises its flag; SIGWINCH is always taken.
 */
#ifndef DD_SIGFLAGS_H
#define DD_SIGFLAGS_H

#include <signal.h>

/* Bits of sigflags_take(), one per signal. */
#define SIGFLAG_TERM  0x01u
#define SIGFLAG_HUP   0x02u
#define SIGFLAG_INT   0x04u
#define SIGFLAG_QUIT  0x08u
#define SIGFLAG_WINCH 0x10u

/*
 * Installs the handler for the five signals (their handler blocks all five
 * while it runs), remembering the previous actions. wake_fd (or -1): a
 * non-blocking pipe end the handler writes one byte to. Returns 0, or -1
 * when a sigaction failed (then nothing stays installed).
 */
int sigflags_install(int wake_fd);

/* Puts back the actions sigflags_install found, and stops writing to wake_fd. */
void sigflags_restore(void);

/* Takes (and clears) the flags raised since the last take: SIGFLAG_* bits. */
unsigned sigflags_take(void);

/* Blocks the five signals in the calling thread; *old (may be NULL) gets the mask before. */
void sigflags_block(sigset_t *old);

/* Unblocks the five signals in the calling thread (the one that handles them). */
void sigflags_unblock(void);
/*
 * Takes every pending console signal without acting on it (they are blocked
 * in the caller). Called when the console is done, before the old actions
 * and mask come back: a SIGHUP that arrived after the loop ended would else
 * be delivered to SIG_DFL and end the process with 129 instead of 0.
 */
void sigflags_discard_pending(void);

#endif
