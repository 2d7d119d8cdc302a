/*
 * seccomp_deny.c: runs a program with one hardening call made to fail, the
 * way a container's seccomp policy can make it fail: `seccomp_deny dumpable
 * PROG ARGS...` makes prctl(PR_SET_DUMPABLE, ...) fail with EPERM, `seccomp_deny
 * rlimit PROG ARGS...` makes setting RLIMIT_CORE fail with EPERM. Everything
 * else is allowed. A real kernel refusal, not a switch in the program under
 * test (harden_test.sh). Exits 77 where the filter cannot be installed.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

/* Loads the low 32 bits of a field of struct seccomp_data (little-endian). */
#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define DENY      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define ALLOW     BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* Fails syscall sysno when its argument arg is value; allows everything else. */
#define FILTER(sysno, arg, value)                                                                  \
	{                                                                                          \
		LD(arch), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0), ALLOW, LD(nr),          \
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 1, 0), ALLOW, LD(args[arg]),      \
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), 0, 1), DENY, ALLOW,               \
	}

int
main(int argc, char **argv)
{
#ifdef ARCH
	/*
	 * prctl(PR_SET_DUMPABLE, ...); prlimit64(_, RLIMIT_CORE, new, _) with a new
	 * limit (glibc's setrlimit), not a read of it (getrlimit passes new = NULL:
	 * the sanitizers' runtimes read RLIMIT_CORE at start).
	 */
	static struct sock_filter dumpable[] = FILTER(__NR_prctl, 0, PR_SET_DUMPABLE);
	static struct sock_filter rlimit[] = {
	    LD(arch),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
	    ALLOW,
	    LD(nr),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_prlimit64, 1, 0),
	    ALLOW,
	    LD(args[1]),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RLIMIT_CORE, 1, 0),
	    ALLOW,
	    LD(args[2]), /* the new limit's pointer, low half, then high half */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
	    DENY,
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2]) + 4),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
	    ALLOW,
	    DENY,
	};
	struct sock_fprog prog;

	if (argc < 3 || (strcmp(argv[1], "dumpable") != 0 && strcmp(argv[1], "rlimit") != 0)) {
		fprintf(stderr, "usage: seccomp_deny dumpable|rlimit PROGRAM [ARGS...]\n");
		return 2;
	}
	if (strcmp(argv[1], "dumpable") == 0)
		prog = (struct sock_fprog){sizeof(dumpable) / sizeof(dumpable[0]), dumpable};
	else
		prog = (struct sock_fprog){sizeof(rlimit) / sizeof(rlimit[0]), rlimit};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		fprintf(stderr, "seccomp_deny: cannot install the filter: %s\n", strerror(errno));
		return 77;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "seccomp_deny: %s: %s\n", argv[2], strerror(errno));
	return 127;
#else
	(void)argc;
	(void)argv;
	fprintf(stderr, "seccomp_deny: no filter for this architecture\n");
	return 77;
#endif
}
