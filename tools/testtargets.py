#!/usr/bin/env python3
"""testtargets.py: the ninja targets the tests of some meson suites need, for
tools/test.sh, which builds only those in its sanitizer trees.

    testtargets.py BUILDDIR SUITE...

Reads meson's introspection files (meson-info/intro-tests.json and
intro-targets.json) and prints, one per line, relative to BUILDDIR, the
output files of every target a selected test depends on (its program and
its `depends:`), which is what `meson test` itself rebuilds before a run.
Prints nothing (and exits 1) when no test is in those suites.
"""
import json
import os
import sys


def main():
    wd, wanted = sys.argv[1], set(sys.argv[2:])
    info = os.path.join(wd, "meson-info")
    with open(os.path.join(info, "intro-tests.json")) as f:
        tests = json.load(f)
    with open(os.path.join(info, "intro-targets.json")) as f:
        files = {t["id"]: t["filename"] for t in json.load(f)}
    out = set()
    found = False
    for t in tests:
        if not any(s.split(":")[-1] in wanted for s in t["suite"]):
            continue
        found = True
        for d in t["depends"]:
            out.update(os.path.relpath(p, wd) for p in files.get(d, []))
    for p in sorted(out):
        print(p)
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
