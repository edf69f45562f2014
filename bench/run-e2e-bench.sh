#!/bin/sh
# End to end, one machine, one run: pop3-login (service_count = 0, one
# process) behind
#   no-proxy: a listener without PROXY,
#   core:     a haproxy = yes listener handled by Dovecot itself (a second
#             Dovecot without the plugin),
#   plugin:   a haproxy = yes listener handled by haproxy_tlv.
# Measures connections per second and latency to the greeting (connect +
# header + greeting + QUIT, and full EXTERNAL logins), read syscalls per
# header (strace -c on pop3-login), and login process memory per open
# connection. Usage: bench/run-e2e-bench.sh [BUILD_DIR] [SECONDS] [CONCURRENCY]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
seconds=${2:-5}
concurrency=${3:-4}
client=$build/bench/e2e-client
env=$top/tests/integration/env.sh
plugin_dir=$build/src/login
header=0d0a0d0a000d0a515549540a2111000cc000026f7f000001d431006e

work=$(mktemp -d /tmp/haproxy-tlv-bench.XXXXXX)
chmod 755 "$work"
mkdir "$work/plugin" "$work/core"
echo "login_plugins =" > "$work/core/extra.conf"
cleanup() {
	sh "$env" stop "$work/plugin"
	sh "$env" stop "$work/core"
	[ -n "${BENCH_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
sh "$env" start "$work/plugin" 19000 "$plugin_dir" >/dev/null
sh "$env" start "$work/core" 19100 "$plugin_dir" >/dev/null

pop3_login_pid() {
	pgrep -f "haproxy-tlv-test-$1/pop3-login"
}
run() { # name port mode
	result=$("$client" "$2" "$3" "$concurrency" "$seconds" || true)
	echo "$1 $3 $result" >> "$work/results"
	echo "  $1 $3: $result" >&2
}

echo "== $seconds s per run, $concurrency concurrent clients" >&2
: > "$work/results"
for round in 1 2 3; do
	run no-proxy 19006 none
	run core 19101 header
	run plugin 19001 header
	# Dovecot 2.3.19's own PROXY handling cannot do EXTERNAL (the CN is
	# freed before the login client exists): measured, it fails
	run core 19101 external
	run plugin 19001 external
done

syscalls() { # name base port mode
	pid=$(pop3_login_pid "$2")
	strace -c -f -e trace=read,recvfrom,recvmsg -o "$work/strace.$1" -p "$pid" &
	spid=$!
	sleep 1
	out=$("$client" "$3" "$4" 1 2 || true)
	sleep 0.5
	kill -INT "$spid"; wait "$spid" 2>/dev/null || true
	conns=$(echo "$out" | sed 's/.*connections=\([0-9]*\).*/\1/')
	calls=$(awk '$NF ~ /^(read|recvfrom|recvmsg)$/ { n += $4 } END { print n + 0 }' "$work/strace.$1")
	echo "$1 $calls $conns"
}
memory() { # name config(plugin|core) port-offset headerhex
	# a fresh instance each time: a process's heap does not shrink, so
	# an earlier measurement in the same process would hide the next one
	mdir=$work/mem-$1
	mkdir "$mdir"
	[ "$2" = core ] && echo "login_plugins =" > "$mdir/extra.conf"
	sh "$env" start "$mdir" 19200 "$plugin_dir" >/dev/null
	pid=$(pop3_login_pid 19200)
	before=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	fifo=$work/hold.$1
	mkfifo "$fifo"
	python3 "$top/bench/hold-connections.py" $((19200 + $3)) 500 "$4" \
		< "$fifo" > "$work/ready.$1" &
	hpid=$!
	exec 3> "$fifo"
	while ! grep -q ready "$work/ready.$1" 2>/dev/null; do sleep 0.1; done
	after=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	exec 3>&-
	wait "$hpid" || true
	sh "$env" stop "$mdir"
	echo "$1 $before $after"
}

echo "== read syscalls in pop3-login (strace -c), header arriving in one segment" >&2
sys_none=$(syscalls no-proxy 19000 19006 none)
sys_core=$(syscalls core 19100 19101 header)
sys_plugin=$(syscalls plugin 19000 19001 header)
echo "== pop3-login RSS with 500 open connections" >&2
mem_none=$(memory no-proxy plugin 6 "")
mem_core=$(memory core core 1 "$header")
mem_plugin=$(memory plugin plugin 1 "$header")

awk -v sn="$sys_none" -v sc="$sys_core" -v sp="$sys_plugin" \
    -v mn="$mem_none" -v mc="$mem_core" -v mp="$mem_plugin" '
function avg(name, mode, field,   i, s, n) {
	s = 0; n = 0
	for (i = 1; i <= count; i++)
		if (names[i] == name && modes[i] == mode) { s += vals[i, field]; n++ }
	return n == 0 ? 0 : s / n
}
{
	count++; names[count] = $1; modes[count] = $2
	for (f = 3; f <= NF; f++) { split($f, kv, "="); vals[count, kv[1]] = kv[2] }
}
END {
	printf "\n%-9s %-9s %10s %9s %9s\n", "path", "mode", "conn/s", "p50 us", "p99 us"
	split("no-proxy none|core header|plugin header|core external|plugin external", rows, "|")
	for (r = 1; r <= 5; r++) {
		split(rows[r], nm, " ")
		printf "%-9s %-9s %10.1f %9.1f %9.1f\n", nm[1], nm[2],
			avg(nm[1], nm[2], "per_sec"), avg(nm[1], nm[2], "p50_us"),
			avg(nm[1], nm[2], "p99_us")
	}
	printf "\nratios (conn/s): plugin/core header %.3f, plugin/no-proxy %.3f\n",
		avg("plugin", "header", "per_sec") / avg("core", "header", "per_sec"),
		avg("plugin", "header", "per_sec") / avg("no-proxy", "none", "per_sec")
	printf "EXTERNAL logins: core %.1f/s with %d failures (2.3.19 loses the CN), plugin %.1f/s with %d failures\n",
		avg("core", "external", "per_sec"), avg("core", "external", "failures"),
		avg("plugin", "external", "per_sec"), avg("plugin", "external", "failures")
	printf "p50 to greeting: plugin - core = %.1f us\n",
		avg("plugin", "header", "p50_us") - avg("core", "header", "p50_us")
	split(sn, a, " "); split(sc, b, " "); split(sp, c, " ")
	printf "\nread syscalls per connection: no-proxy %.2f, core %.2f, plugin %.2f\n",
		a[2] / a[3], b[2] / b[3], c[2] / c[3]
	split(mn, a, " "); split(mc, b, " "); split(mp, c, " ")
	printf "pop3-login RSS per open connection (500 open): no-proxy %.2f KiB, core %.2f KiB, plugin %.2f KiB\n",
		(a[3] - a[2]) / 500, (b[3] - b[2]) / 500, (c[3] - c[2]) / 500
}' "$work/results"
