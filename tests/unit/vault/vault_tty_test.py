#!/usr/bin/env python3
"""vault_tty_test.py: the passphrase and password prompts on a real terminal.

Runs the binary on a pseudo-terminal it controls (new session, TIOCSCTTY):
init asks twice and compares, set prompts for the password without echo,
nothing typed is echoed back, and the terminal's echo comes back after a
SIGINT (^C) or SIGTERM that arrives while a prompt waits.
usage: vault_tty_test.py PATH-TO-DBDECK
"""
import fcntl
import os
import select
import shutil
import signal
import sys
import tempfile
import termios
import time

BIN = sys.argv[1]
count = 0
failed = 0


def check(cond, what):
    global count, failed
    count += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (count, what), flush=True)


class Tty:
    """One run of the binary on a fresh pty; keeps the slave to read its modes."""

    def __init__(self, args, env):
        self.master, self.slave = os.openpty()
        self.out = b""
        self.pid = os.fork()
        if self.pid == 0:
            os.setsid()
            fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(self.slave, fd)
            os.closerange(3, 256)
            os.execve(BIN, [BIN] + args, env)

    def echo_on(self):
        return bool(termios.tcgetattr(self.slave)[3] & termios.ECHO)

    def expect(self, needle, timeout=60):
        end = time.time() + timeout
        while needle.encode() not in self.out and time.time() < end:
            r, _, _ = select.select([self.master], [], [], 0.1)
            if r:
                try:
                    self.out += os.read(self.master, 4096)
                except OSError:
                    break
        return needle.encode() in self.out

    def send(self, text):
        os.write(self.master, text.encode())

    def wait(self, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.drain()
                return status
            self.drain()
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        return os.waitpid(self.pid, 0)[1]

    def close(self):
        os.close(self.master)
        os.close(self.slave)

    def drain(self):
        while select.select([self.master], [], [], 0)[0]:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.out += data


def main():
    tmp = tempfile.mkdtemp()
    env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "TERM": "xterm"}
    vault = os.path.join(tmp, "vault")
    common = ["--vault", vault]
    phrase, password = "tty passphrase 61", "tty-db-password-77"
    try:
        t = Tty(["vault", "init", "--kdf", "interactive"] + common, env)
        check(t.expect("Vault passphrase: "), "init prompts for the passphrase")
        check(not t.echo_on(), "echo is off while it waits")
        t.send(phrase + "\n")
        check(t.expect("Repeat Vault passphrase: "), "and asks again")
        t.send(phrase + "\n")
        status = t.wait()
        check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "init on a terminal exits 0")
        check(phrase.encode() not in t.out, "the passphrase was never echoed")
        check(t.echo_on(), "echo is back on afterwards")
        t.close()

        t = Tty(["vault", "init", "--kdf", "interactive", "--vault", vault + "2"], env)
        t.expect("Vault passphrase: ")
        t.send("one\n")
        t.expect("Repeat Vault passphrase: ")
        t.send("two\n")
        status = t.wait()
        check(os.WEXITSTATUS(status) == 4 and b"do not match" in t.out,
              "two different entries: exit 4, 'do not match'")
        check(not os.path.exists(vault + "2"), "and no vault is made")
        t.close()

        t = Tty(["vault", "set", "db", "--user", "u"] + common, env)
        t.expect("Vault passphrase: ")
        t.send(phrase + "\n")
        check(t.expect("Password of db: "), "set prompts for the password after the passphrase")
        check(not t.echo_on(), "with echo off")
        t.send(password + "\n")
        t.expect("Repeat Password of db: ")
        t.send(password + "\n")
        status = t.wait()
        check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "set on a terminal exits 0")
        check(password.encode() not in t.out and phrase.encode() not in t.out,
              "neither secret was echoed")
        t.close()

        t = Tty(["vault", "get", "db", "--show-password"] + common, env)
        t.expect("Vault passphrase: ")
        t.send(phrase + "\n")
        t.wait()
        check(("password: " + password).encode() in t.out, "the password typed was stored")
        t.close()

        for how, sig in (("^C", signal.SIGINT), ("SIGTERM", signal.SIGTERM)):
            t = Tty(["vault", "list"] + common, env)
            t.expect("Vault passphrase: ")
            check(not t.echo_on(), "echo is off at the prompt (%s case)" % how)
            if sig == signal.SIGINT:
                t.send("\x03")
            else:
                os.kill(t.pid, sig)
            status = t.wait()
            check(os.WIFSIGNALED(status) and os.WTERMSIG(status) == sig,
                  "%s kills the process with that signal" % how)
            check(t.echo_on(), "and the terminal's echo is restored after %s" % how)
            t.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % count)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
