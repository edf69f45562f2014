#!/bin/sh
# Where pop3-login's instructions per connection go: the same three series
# as bench/run-e2e-bench.sh (no-proxy, core, plugin; header = PROXY v2
# with an SSL TLV and a CN, then greeting and QUIT), with pop3-login run
# under valgrind's callgrind instead of timed. Instruction counts do not
# depend on the machine's load, so the ratios are repeatable where times
# are not. Each series runs twice in a fresh Dovecot, SHORT and LONG
# seconds of one client; the difference of the two profiles divided by
# the difference of their connections is the cost of one connection,
# without start-up and shutdown. Prints instructions per connection, the
# ratios, and the functions that make the difference (self cost per
# connection, from callgrind_annotate).
# Usage: bench/run-login-profile.sh [BUILD_DIR] [SHORT=2] [LONG=8] [TOP=25]
# Environment: BENCH_PORT_BASE (19300: uses BASE..BASE+120), BENCH_KEEP=1
# keeps the work directory (the callgrind profiles).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
short=${2:-2}
long=${3:-8}
show=${4:-25}
base=${BENCH_PORT_BASE:-19300}
client=$build/bench/e2e-client
env=$top/tests/integration/env.sh
plugin_dir=$build/src/login
command -v callgrind_annotate >/dev/null || {
	echo "bench: valgrind (callgrind_annotate) not found" >&2
	exit 77
}

work=$(mktemp -d /tmp/haproxy-tlv-profile.XXXXXX)
chmod 755 "$work"
current=
cleanup() {
	[ -z "$current" ] || sh "$env" stop "$current"
	[ -n "${BENCH_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# series seconds -> "instructions connections" of one fresh pop3-login
profile() {
	name=$1-$2
	dir=$work/$name
	mkdir "$dir"
	if [ "$1" = core ]; then
		export TEST_ENV_NO_PLUGIN=1
	else
		unset TEST_ENV_NO_PLUGIN
	fi
	current=$dir
	TEST_LOGIN_WRAPPER=callgrind TEST_MEMCHECK_DIR=$work/cg \
		sh "$env" start "$dir" "$base" "$plugin_dir" >/dev/null
	case $1 in
	no-proxy) port=$((base + 6)) mode=none ;;
	*) port=$((base + 1)) mode=header ;;
	esac
	# the first connection waits for pop3-login to start under callgrind
	out=$("$client" "$port" "$mode" 1 "$2")
	sh "$env" stop "$dir"
	current=
	file=$(ls "$work/cg/$name"/callgrind-pop3-login.* 2>/dev/null | head -n 1)
	[ -n "$file" ] || { echo "bench: no profile for $name" >&2; exit 1; }
	callgrind_annotate --threshold=100 "$file" > "$work/$name.annotate"
	conns=$(echo "$out" | sed -n 's/.*connections=\([0-9]*\).*/\1/p')
	failures=$(echo "$out" | sed -n 's/.*failures=\([0-9]*\).*/\1/p')
	[ "${failures:-0}" = 0 ] || { echo "bench: $name: $out" >&2; exit 1; }
	total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' \
		"$file" | head -n 1)
	echo "$1 $2 $total $conns" >> "$work/totals"
}

dovecot=$(sh "$env" version)
echo "== Dovecot $dovecot: pop3-login under callgrind, 1 client," \
	"$short s and $long s per series" >&2
: > "$work/totals"
for series in no-proxy core plugin; do
	profile "$series" "$short"
	profile "$series" "$long"
done

echo "Dovecot $dovecot; $(date -u +%Y-%m-%d); $(valgrind --version)"
awk -v short="$short" -v long="$long" '
{ ir[$1, $2] = $3; conns[$1, $2] = $4 }
END {
	n = split("no-proxy core plugin", s, " ")
	printf "%-9s %12s %12s %14s\n", "series", "connections", "instr", "instr/conn"
	for (i = 1; i <= n; i++) {
		d = conns[s[i], long] - conns[s[i], short]
		per[s[i]] = d > 0 ? (ir[s[i], long] - ir[s[i], short]) / d : 0
		printf "%-9s %12d %12d %14.0f\n", s[i], d,
			ir[s[i], long] - ir[s[i], short], per[s[i]]
	}
	printf "plugin/core %.3f  plugin/no-proxy %.3f  core/no-proxy %.3f\n",
		per["plugin"] / per["core"], per["plugin"] / per["no-proxy"],
		per["core"] / per["no-proxy"]
}' "$work/totals"

# self cost per connection of each function, LONG minus SHORT
per_function() { # series
	python3 - "$work/$1-$short.annotate" "$work/$1-$long.annotate" \
		"$(awk -v s="$1" -v l="$long" -v sh="$short" \
		'$1 == s && $2 == l { a = $4 } $1 == s && $2 == sh { b = $4 }
		END { print a - b }' "$work/totals")" "$show" <<'PY'
import re, sys
def read(path):
    cost = {}
    for line in open(path, errors="replace"):
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if m and ":" in m.group(2):
            fn = re.sub(r" \[[^]]*\]$", "", m.group(2).strip())
            cost[fn] = cost.get(fn, 0) + int(m.group(1).replace(",", ""))
    return cost
a, b = read(sys.argv[1]), read(sys.argv[2])
conns, show = int(sys.argv[3]), int(sys.argv[4])
diff = {f: (b.get(f, 0) - a.get(f, 0)) / conns for f in set(a) | set(b)}
for f, v in sorted(diff.items(), key=lambda kv: -kv[1])[:show]:
    print("%10.0f  %s" % (v, f))
PY
}
for series in no-proxy core plugin; do
	echo
	echo "== $series: self instructions per connection, by function"
	per_function "$series"
done
