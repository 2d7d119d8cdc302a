#!/usr/bin/env python3
"""keylat.py: key-to-screen latency of the console in a tmux pane.

usage: keylat.py SOCKET TRIALS KEY1 REGEX1 KEY2 REGEX2

Talks to the tmux server through one control-mode client (tmux -C), so that
neither sending a key nor reading the screen starts a process. Each trial
sends KEY1 or KEY2 (alternately) and then captures the pane every ~5 ms
until REGEX1 / REGEX2 matches; the time from just before the key is sent to
the capture that shows the new screen is one measurement. Prints one line
per trial ("ms") and exits 1 when a trial never matched (10 s).
"""
import re
import subprocess
import sys
import time


class Control:
    def __init__(self, sock):
        self.p = subprocess.Popen(
            ["tmux", "-L", sock, "-C", "attach"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.cmd("refresh-client -f no-output")

    def cmd(self, line):
        self.p.stdin.write((line + "\n").encode())
        out, inside = [], False
        while True:
            raw = self.p.stdout.readline()
            if not raw:
                raise SystemExit("tmux control client ended")
            text = raw.decode("utf-8", "replace").rstrip("\n")
            if text.startswith("%begin"):
                inside, out = True, []
            elif text.startswith("%end") or text.startswith("%error"):
                if inside:
                    return out
            elif inside:
                out.append(text)

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=5)
        except Exception:
            self.p.kill()


def main():
    sock, trials = sys.argv[1], int(sys.argv[2])
    pairs = [(sys.argv[3], re.compile(sys.argv[4])), (sys.argv[5], re.compile(sys.argv[6]))]
    c = Control(sock)
    failed = False
    for i in range(trials):
        key, rx = pairs[i % 2]
        t0 = time.monotonic()
        c.cmd("send-keys " + key)
        while True:
            screen = "\n".join(c.cmd("capture-pane -p"))
            now = time.monotonic()
            if rx.search(screen):
                print("%.1f" % ((now - t0) * 1000))
                break
            if now - t0 > 10:
                print("-1")
                failed = True
                break
            time.sleep(0.005)
        sys.stdout.flush()
    c.close()
    sys.exit(1 if failed else 0)


main()
