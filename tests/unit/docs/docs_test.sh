#!/usr/bin/env bash
# docs_test.sh DBDECK SOURCE_ROOT: the documented interfaces cannot drift
# from what is built. (1) The exit codes of tui/cli/cli.h are exactly those of
# `dbdeck --help`, README.md's table and the man page's EXIT STATUS. (2) The
# environment a hook gets (core/failover/fo_hook.c) is exactly the table of
# docs/switchover.md §8. (3) Every environment variable the code reads
# (getenv in core/ and tui/) is in the man page's ENVIRONMENT and README.md,
# and they name none it does not read (TERM is read by curses too). (4)
# docs/example.ini passes check-config with a vault holding its credentials;
# every ```ini block of README.md and docs/*.md (without a vault) that is a
# whole configuration passes check-config, and every fragment (a block with
# `...`, or a node it names without its section) passes once its keys are set
# in the matching section of docs/example.ini (a cluster name the example
# lacks is set in its first cluster, and the test line says so). Theme files
# are left to the theme tests. When a check fails, its line says what differs.
set -u
dd=$1 root=$2
tmp=$(mktemp -d /tmp/dbdeck-docs-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
unset DBDECK_CONFIG DBDECK_PASSPHRASE_FILE DBDECK_VAULT
export HOME=$tmp/home
mkdir -p "$HOME"
: >"$tmp/trust-store.pem"
export SSL_CERT_FILE=$tmp/trust-store.pem
n=0 failed=0

check() { # check NAME DIFF-TEXT: ok when DIFF-TEXT is empty
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=1
		sed 's/^/#   /' <<<"$2"
	fi
}

# diff_sets WHAT-A A WHAT-B B: the words in one list only, one line each.
diff_sets() {
	comm -3 <(tr ' ' '\n' <<<"$2" | grep . | sort -u) <(tr ' ' '\n' <<<"$4" | grep . | sort -u) |
		sed -e "s/^\t\(.*\)/\1: in $3 only/" -e "/: in $3 only\$/!s/\$/: in $1 only/"
}

# 1. exit codes
code=$(sed -n '/^enum dd_exit {/,/^};/p' "$root/tui/cli/cli.h" | grep -oE '= [0-9]+' | tr -dc '0-9\n' | tr '\n' ' ')
help=$("$dd" --help | sed -n '/^Exit codes:/,$p' | grep -oE '(^|[ ,:])[0-9]+ [a-z]' | grep -oE '[0-9]+' | tr '\n' ' ')
readme=$(sed -n '/^| code | meaning |/,/^$/p' "$root/README.md" | grep -oE '^\| [0-9]+ ' | tr -dc '0-9\n' | tr '\n' ' ')
man=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$root/docs/dbdeck.1" | sed -n 's/^\.B \([0-9][0-9]*\)$/\1/p' | tr '\n' ' ')
check "exit codes: cli.h ($code) = dbdeck --help" "$(diff_sets cli.h "$code" --help "$help")"
check "exit codes: cli.h = README.md's table ($readme)" "$(diff_sets cli.h "$code" README.md "$readme")"
check "exit codes: cli.h = dbdeck.1 EXIT STATUS ($man)" "$(diff_sets cli.h "$code" dbdeck.1 "$man")"

# 2. the hook environment
hook=$(grep -hoE 'xasprintf\("[A-Z_]+=' "$root"/core/failover/*.c | sed -E 's/.*"([A-Z_]+)=/\1/' | tr '\n' ' ')
# docs/switchover.md: the table after "nothing else and no secret", its first column
doc=$(awk '/nothing else and no secret/ { on = 1; next } on && /^\| `/ { print; t = 1; next } t { exit }' \
	"$root/docs/switchover.md" | cut -d'|' -f2 | grep -oE '`[A-Z_]+`' | tr -d '`' | tr '\n' ' ')
check "hook environment: fo_hook.c = docs/switchover.md §8 ($(wc -w <<<"$hook") variables)" \
	"$([ -n "$hook" ] || echo 'no variable found in core/failover'; diff_sets fo_hook.c "$hook" switchover.md "$doc")"

# 3. environment variables read by the code
envs=$(grep -rhoE '(secure_)?getenv\("[A-Z_]+"\)' "$root/core" "$root/tui" | grep -oE '"[A-Z_]+"' | tr -d '"' | sort -u | tr '\n' ' ')
manenv=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$root/docs/dbdeck.1" | grep -E '^\.BR? ' | grep -oE '\b[A-Z][A-Z_]+[A-Z]\b' |
	grep -vxE 'BR?' | sort -u | tr '\n' ' ')
readmeenv=$(sed -n '/^Environment: /,/^$/p' "$root/README.md" | grep -oE '`[A-Z_]+`' | tr -d '`' | sort -u | tr '\n' ' ')
check "environment: getenv in core/ and tui/ = dbdeck.1 ENVIRONMENT" "$(diff_sets code "$envs" dbdeck.1 "$manenv")"
check "environment: getenv in core/ and tui/ = README.md's Environment" "$(diff_sets code "$envs" README.md "$readmeenv")"

# 4. the configuration examples
printf 'docs-test passphrase\n' >"$tmp/pass"
chmod 600 "$tmp/pass"
vault=$tmp/vault
vlt() { "$dd" --vault "$vault" --passphrase-file "$tmp/pass" vault "$@"; }
vlt init --kdf interactive >/dev/null 2>&1
for e in orders-ops catalog-ops catalog-backup; do
	printf 'pw-%s\n' "$e" | vlt set "$e" --user "u-$e" --password-stdin >/dev/null 2>&1
done
out=$("$dd" -c "$root/docs/example.ini" --vault "$vault" --passphrase-file "$tmp/pass" check-config 2>&1)
rc=$?
check "docs/example.ini with a vault of its credentials: exit 0, credentials found" \
	"$([ $rc = 0 ] || echo "exit $rc"; grep -q 'credentials' <<<"$out" && ! grep -qiE 'missing|error|warning' <<<"$out" ||
		echo "$out")"

python3 - "$root" "$tmp" <<'EOF' >"$tmp/blocks"
# Writes one NAME<TAB>FILE<TAB>NOTES line per ```ini block that is a config
# (theme files, with a [theme] or [colors] section, are left to the theme tests).
import os, re, sys, glob
root, tmp = sys.argv[1], sys.argv[2]
docs = [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))

def sections(lines):
    out, cur = [], None
    for l in lines:
        m = re.match(r"\s*\[([^\]]+)\]", l)
        if m:
            cur = [m.group(1).strip(), []]
            out.append(cur)
        elif cur is not None:
            cur[1].append(l)
    return out

example = open(os.path.join(root, "docs", "example.ini")).read().splitlines()
# values that name things on a real site: replaced, and said so (none)
fixups = []  # (pattern, replacement): check-config reads no path of a cluster or node yet
k = 0
for doc in docs:
    text = open(doc).read().splitlines()
    i = 0
    while i < len(text):
        if text[i].strip() == "```ini":
            start, j = i + 1, i + 1
            while not text[j].startswith("```"):
                j += 1
            block = text[start:j]
            i = j
            names = [s for s, _ in sections(block)]
            if any(s in ("theme", "colors", "colours") for s in names):
                continue
            k += 1
            name = "%s:%d" % (os.path.relpath(doc, root), start)
            notes = []
            named = [n.strip() for s2, ls in sections(block) if s2.startswith("cluster ")
                     for l in ls if l.split("=")[0].strip() == "nodes"
                     for n in l.split("=", 1)[1].split(" ;")[0].split(",")]
            whole = bool(named) and not any(l.strip() == "..." for l in block) and \
                all("node " + n in names for n in named)
            if whole:
                cfg = block
            else:
                cfg = list(example)
                clusters = [s[8:] for s, _ in sections(example) if s.startswith("cluster ")]
                for s, ls in sections(block):
                    target = s
                    if s.startswith("cluster ") and s[8:] not in clusters:
                        target = "cluster " + clusters[0]
                        notes.append("[%s] set in [%s] of example.ini" % (s, target))
                    at = next((n for n, l in enumerate(cfg) if re.match(r"\s*\[%s\]" % re.escape(target), l)), None)
                    if at is None:
                        cfg += ["[%s]" % target]
                        at = len(cfg) - 1
                    for l in ls:
                        key = l.split(";")[0].split("=")[0].strip()
                        if not key or l.strip() == "..." or l.lstrip().startswith((";", "#")):
                            continue
                        # drop the example's own line of this key in this section
                        e = at + 1
                        while e < len(cfg) and not re.match(r"\s*\[", cfg[e]):
                            if cfg[e].split(";")[0].split("=")[0].strip() == key:
                                del cfg[e]
                                continue
                            e += 1
                        cfg.insert(at + 1, l)
            fixed = []
            for l in cfg:
                for pat, rep in fixups:
                    m = re.match(pat, l.strip())
                    if m and m.group(2) != rep:
                        notes.append("not resolvable here: %s -> %s" % (m.group(2), rep))
                        l = m.group(1) + rep
                fixed.append(l)
            path = os.path.join(tmp, "block%d.ini" % k)
            open(path, "w").write("\n".join(fixed) + "\n")
            print("%s\t%s\t%s" % (name, path, "; ".join(notes) or ("a whole config" if whole else "")))
        i += 1
EOF
while IFS=$'\t' read -r name file notes; do
	out=$("$dd" -c "$file" check-config 2>&1)
	rc=$?
	check "$name (${notes:-a fragment}) passes check-config" \
		"$([ $rc = 0 ] || { echo "exit $rc"; echo "$out"; })"
done <"$tmp/blocks"
[ "$(wc -l <"$tmp/blocks")" -ge 4 ]
check "the docs have at least 4 config examples ($(wc -l <"$tmp/blocks"))" "$([ $? = 0 ] || echo 'fewer')"

echo "1..$n"
exit $failed
