#!/usr/bin/env python3
"""testlog.py: reads meson's JSON test log (one JSON object per test) for
tools/test.sh.

    testlog.py LOG.json EXPECTED

Prints, on its first line, `PASSED FAILED SKIPPED RESULTS`, counted from each
test's "result" (OK and EXPECTEDFAIL pass; SKIP is skipped; FAIL, TIMEOUT,
ERROR, INTERRUPT and UNEXPECTEDPASS fail). Then one line per test that did not
pass, tab-separated: `fail` or `skip`, the test's name, its result, and for a
failure its `not ok` / `Bail out!` lines (each with up to three `#` lines of
diagnostics) or, when it printed none (a crash, a sanitizer report), the last
lines of its stderr. EXPECTED is the number of tests meson listed for the run;
tests that never reported a result count as failed.
"""
import json
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}


def short_name(name):
    # "dbdeck:unit+tsan / pool_logic" -> "pool_logic"
    return name.split(" / ", 1)[-1]


def tap_failures(stdout, limit=3):
    out, diag, shown, more = [], 0, 0, 0
    for line in stdout.splitlines():
        if line.startswith("not ok") or line.startswith("Bail out!"):
            if shown >= limit:
                more += 1
                diag = 0
                continue
            shown += 1
            out.append(line)
            diag = 3
        elif diag > 0 and line.startswith("#"):
            out.append("  " + line)
            diag -= 1
        else:
            diag = 0
    if more:
        out.append("(and %d more not ok lines)" % more)
    return out


def tail(text, n=3):
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-n:]


def main():
    path, expected = sys.argv[1], int(sys.argv[2])
    passed = failed = skipped = results = 0
    notes = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for raw in f:
                raw = raw.strip()
                if not raw:
                    continue
                t = json.loads(raw)
                results += 1
                res = t.get("result", "ERROR")
                name = short_name(t.get("name", "?"))
                if res in PASS:
                    passed += 1
                elif res in SKIP:
                    skipped += 1
                    notes.append(["skip", name, res])
                else:
                    failed += 1
                    why = tap_failures(t.get("stdout") or "")
                    if not why:
                        why = tail(t.get("stderr") or "") or tail(t.get("stdout") or "")
                    notes.append(["fail", name, res] + why)
    except FileNotFoundError:
        pass
    if results < expected:
        failed += expected - results
        notes.append(["fail", "(%d of %d tests reported no result)" % (expected - results, expected),
                      "MISSING"])
    print(passed, failed, skipped, results)
    for n in notes:
        print("\t".join(x.replace("\t", " ") for x in n))


if __name__ == "__main__":
    main()
