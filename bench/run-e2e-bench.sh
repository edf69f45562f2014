#!/bin/sh
# End to end, one machine, one run: pop3-login (one process that serves
# every connection) of two private Dovecots (tests/integration/env.sh):
#   no-proxy: a listener without PROXY (the plugin's Dovecot),
#   core:     a haproxy = yes listener handled by Dovecot itself (a second
#             Dovecot without the plugin: TEST_ENV_NO_PLUGIN=1),
#   plugin:   a haproxy = yes listener handled by haproxy_tlv,
#   plugin-b: the same listener again, as a second series: plugin-b/plugin
#             is the A/A spread, what the ratios can tell apart at all.
# The series alternate in every round (four orders, a Latin square), with
# the client on one core and the pop3-login process on the other (taskset).
# Each round measures connections per second, the p50 and p99 from connect
# to greeting (connect + PROXY v2 header with an SSL TLV
# and a CN + greeting + QUIT) and pop3-login's CPU time per connection
# (utime + stime of /proc/PID/stat, and the scheduler's nanoseconds of
# /proc/PID/schedstat, over the round, divided by its connections); then
# full EXTERNAL logins for core and plugin. After the rounds: syscalls per
# connection in pop3-login (strace -c -f, every syscall) and pop3-login's
# memory per open connection (500 open, a fresh instance each).
# Usage: bench/run-e2e-bench.sh [BUILD_DIR] [SECONDS] [CONCURRENCY] [ROUNDS]
# Environment: BENCH_PORT_BASE (19000: uses BASE..BASE+229), BENCH_CPUS
# ("0 1": client's core, pop3-login's core), BENCH_KEEP=1 keeps the work
# directory (its results file holds every round).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
seconds=${2:-2}
concurrency=${3:-4}
rounds=${4:-12}
base=${BENCH_PORT_BASE:-19000}
set -- ${BENCH_CPUS:-0 1}
client_cpu=$1 login_cpu=$2
client=$build/bench/e2e-client
env=$top/tests/integration/env.sh
plugin_dir=$build/src/login
header=0d0a0d0a000d0a515549540a2111000cc000026f7f000001d431006e
plugin_base=$base core_base=$((base + 100)) mem_base=$((base + 200))

work=$(mktemp -d /tmp/haproxy-tlv-bench.XXXXXX)
chmod 755 "$work"
mkdir "$work/plugin" "$work/core"
cleanup() {
	sh "$env" stop "$work/plugin"
	sh "$env" stop "$work/core"
	[ -n "${BENCH_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
sh "$env" start "$work/plugin" "$plugin_base" "$plugin_dir" >/dev/null
TEST_ENV_NO_PLUGIN=1 sh "$env" start "$work/core" "$core_base" "$plugin_dir" >/dev/null

pop3_login_pid() { # base
	for _ in $(seq 50); do
		pid=$(pgrep -f "haproxy-tlv-test-$1/pop3-login" | head -n 1) || true
		[ -n "$pid" ] && { echo "$pid"; return; }
		sleep 0.1
	done
	echo "bench: no pop3-login for $1" >&2
	exit 1
}
cpu() { # pid -> "ticks nanoseconds" (utime + stime; schedstat's run time)
	t=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }') || t=
	n=$(awk '{ print $1 }' "/proc/$1/schedstat" 2>/dev/null) || n=
	echo "${t:-x} ${n:-x}"
}
run() { # round series base port mode
	pid=$(pop3_login_pid "$3")
	taskset -pc "$login_cpu" "$pid" >/dev/null
	before=$(cpu "$pid")
	out=$(taskset -c "$client_cpu" "$client" "$4" "$5" "$concurrency" "$seconds" \
		2>> "$work/failures.$2" || true)
	after=$(cpu "$pid")
	# a login process that died during the round (CPU time lost): no CPU
	cpu_fields=$(echo "$before $after" | awk '$1 == "x" || $3 == "x" { print "ticks=x ns=x"; exit }
		{ printf "ticks=%d ns=%.0f\n", $3 - $1, $4 - $2 }')
	echo "round=$1 series=$2 $out $cpu_fields" >> "$work/results"
	echo "  $1 $2: $out $cpu_fields" >&2
}
series_run() { # round series
	case $2 in
	no-proxy) run "$1" no-proxy "$plugin_base" $((plugin_base + 6)) none ;;
	core) run "$1" core "$core_base" $((core_base + 1)) header ;;
	plugin) run "$1" plugin "$plugin_base" $((plugin_base + 1)) header ;;
	plugin-b) run "$1" plugin-b "$plugin_base" $((plugin_base + 1)) header ;;
	esac
}

dovecot=$(sh "$env" version)
echo "== Dovecot $dovecot, $rounds rounds of $seconds s per series," \
	"$concurrency concurrent clients; client on CPU $client_cpu," \
	"pop3-login on CPU $login_cpu" >&2
: > "$work/results"
# warm-up, not counted
for s in no-proxy core plugin; do
	series_run 0 "$s" 2>/dev/null
done
: > "$work/results"
for round in $(seq "$rounds"); do
	# a Latin square: over 4 rounds each series runs once in each
	# position, and plugin-b does not always follow plugin
	case $(((round - 1) % 4)) in
	0) order="no-proxy core plugin plugin-b" ;;
	1) order="plugin-b plugin core no-proxy" ;;
	2) order="core plugin-b no-proxy plugin" ;;
	3) order="plugin no-proxy plugin-b core" ;;
	esac
	for s in $order; do
		series_run "$round" "$s"
	done
	# full EXTERNAL logins. Dovecot 2.3.19's own PROXY handling loses the
	# CN (freed before the login client exists); 2.4.1's hands auth a
	# garbled one (docs/core-gaps.md): measured, whatever they do
	if [ $((round % 2)) = 1 ]; then
		run "$round" core-ext "$core_base" $((core_base + 1)) external
		run "$round" plugin-ext "$plugin_base" $((plugin_base + 1)) external
	else
		run "$round" plugin-ext "$plugin_base" $((plugin_base + 1)) external
		run "$round" core-ext "$core_base" $((core_base + 1)) external
	fi
done

syscalls() { # name base port mode
	pid=$(pop3_login_pid "$2")
	strace -c -f -o "$work/strace.$1" -p "$pid" &
	spid=$!
	sleep 1
	out=$(taskset -c "$client_cpu" "$client" "$3" "$4" 1 2 || true)
	sleep 0.5
	kill -INT "$spid"; wait "$spid" 2>/dev/null || true
	conns=$(echo "$out" | sed 's/.*connections=\([0-9]*\).*/\1/')
	# strace -c: calls in column 4, the name last; "total" at the end
	awk -v name="$1" -v conns="$conns" '$4 ~ /^[0-9]+$/ && $NF != "total" {
		print name, $NF, $4, conns }' "$work/strace.$1" >> "$work/syscalls"
}
memory() { # name config(plugin|core) port-offset headerhex
	# a fresh instance each time: a process's heap does not shrink, so
	# an earlier measurement in the same process would hide the next one
	mdir=$work/mem-$1
	mkdir "$mdir"
	if [ "$2" = core ]; then
		TEST_ENV_NO_PLUGIN=1 sh "$env" start "$mdir" "$mem_base" "$plugin_dir" >/dev/null
	else
		sh "$env" start "$mdir" "$mem_base" "$plugin_dir" >/dev/null
	fi
	pid=$(pop3_login_pid "$mem_base")
	before=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	fifo=$work/hold.$1
	mkfifo "$fifo"
	python3 "$top/bench/hold-connections.py" $((mem_base + $3)) 500 "$4" \
		< "$fifo" > "$work/ready.$1" &
	hpid=$!
	exec 3> "$fifo"
	while ! grep -q ready "$work/ready.$1" 2>/dev/null; do sleep 0.1; done
	after=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	exec 3>&-
	wait "$hpid" || true
	sh "$env" stop "$mdir"
	echo "$1 $before $after" >> "$work/memory"
}

echo "== syscalls in pop3-login (strace -c -f), 1 client for 2 s" >&2
: > "$work/syscalls"
syscalls no-proxy "$plugin_base" $((plugin_base + 6)) none
syscalls core "$core_base" $((core_base + 1)) header
syscalls plugin "$plugin_base" $((plugin_base + 1)) header
echo "== pop3-login RSS with 500 open connections" >&2
: > "$work/memory"
memory no-proxy plugin 6 ""
memory core core 1 "$header"
memory plugin plugin 1 "$header"

echo
echo "Dovecot $dovecot; $(date -u +%Y-%m-%d); $(nproc) CPUs" \
	"($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo));" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v hz="$(getconf CLK_TCK)" -v seconds="$seconds" '
function median(list, n,   a, i, j, t, k) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) {
		t = a[i] + 0
		for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (n == 0) return 0
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function ratio(a, b) { return b == 0 ? 0 : a / b }
{
	delete v
	for (f = 1; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
	s = v["series"]; r = v["round"]
	n[s]++
	conns[s] += v["connections"]; fails[s] += v["failures"]
	secs[s] += v["seconds"]
	rate[s] += v["per_sec"]
	if (v["connections"] > 0) {
		p50[s] = p50[s] " " v["p50_us"]; p99[s] = p99[s] " " v["p99_us"]
	}
	# per round, for the spread of the ratios
	rrate[s, r] = v["per_sec"]
	if (v["ticks"] != "x") {
		ticks[s] += v["ticks"]; ns[s] += v["ns"]; cconns[s] += v["connections"]
		rcpu[s, r] = v["connections"] ? v["ns"] / v["connections"] : 0
		attempts[s] += v["connections"] + v["failures"]
	} else
		lost[s]++
	if (r > rounds) rounds = r
}
END {
	split("no-proxy core plugin plugin-b", S, " ")
	for (i = 1; i <= 4; i++) {
		s = S[i]
		m["conn/s", s] = ratio(rate[s], n[s])
		m["CPU us/conn (stat)", s] = ratio(ticks[s] * 1e6 / hz, cconns[s])
		m["CPU us/conn (schedstat)", s] = ratio(ns[s] / 1e3, cconns[s])
		m["p50 us to greeting", s] = median(p50[s])
		m["p99 us to greeting", s] = median(p99[s])
	}
	printf "\n%-24s %9s %9s %9s %9s | %11s %15s %9s\n", "pop3-login, header", \
		"no-proxy", "core", "plugin", "plugin-b", "plugin/core", \
		"plugin/no-proxy", "A/A"
	split("conn/s|CPU us/conn (stat)|CPU us/conn (schedstat)|p50 us to greeting|p99 us to greeting", M, "|")
	for (k = 1; k <= 5; k++) {
		printf "%-24s", M[k]
		for (i = 1; i <= 4; i++) printf " %9.1f", m[M[k], S[i]]
		printf " | %11.3f %15.3f %9.3f\n", ratio(m[M[k], "plugin"], m[M[k], "core"]), \
			ratio(m[M[k], "plugin"], m[M[k], "no-proxy"]), \
			ratio(m[M[k], "plugin-b"], m[M[k], "plugin"])
	}
	printf "(A/A = plugin-b/plugin: the same listener measured twice; conn/s is the mean of the rounds, CPU the sum over them, p50/p99 the median of the rounds; failures:"
	for (i = 1; i <= 4; i++) printf " %s %d", S[i], fails[S[i]]
	printf ")\n"
	# per-round ratios: how far single rounds scatter
	split("plugin core|plugin no-proxy|plugin-b plugin", P, "|")
	for (k = 1; k <= 3; k++) {
		split(P[k], ab, " ")
		cl = ""; rl = ""; cmin = 1e9; cmax = 0; rmin = 1e9; rmax = 0
		for (r = 1; r <= rounds; r++) {
			if ((ab[1], r) in rcpu && (ab[2], r) in rcpu && rcpu[ab[2], r] > 0) {
				x = rcpu[ab[1], r] / rcpu[ab[2], r]; cl = cl " " x
				if (x < cmin) cmin = x; if (x > cmax) cmax = x
			}
			if (rrate[ab[2], r] > 0) {
				x = rrate[ab[1], r] / rrate[ab[2], r]; rl = rl " " x
				if (x < rmin) rmin = x; if (x > rmax) rmax = x
			}
		}
		printf "per round %s/%s: conn/s median %.3f (%.3f-%.3f), CPU/conn (schedstat) median %.3f (%.3f-%.3f)\n", \
			ab[1], ab[2], median(rl), rmin, rmax, median(cl), cmin, cmax
	}
	printf "\nEXTERNAL logins (AUTH EXTERNAL after the header, then QUIT):\n"
	split("core-ext plugin-ext", E, " ")
	for (i = 1; i <= 2; i++) {
		s = E[i]
		printf "  %-6s %d logins (%.1f/s), %d failures (%.1f/s) in %.1f s; p50 %s, p99 %s to greeting; pop3-login CPU %.1f us per attempt (schedstat)%s\n", \
			substr(s, 1, index(s, "-") - 1), conns[s], ratio(conns[s], secs[s]), \
			fails[s], ratio(fails[s], secs[s]), secs[s], \
			conns[s] ? sprintf("%.1f us", median(p50[s])) : "-", \
			conns[s] ? sprintf("%.1f us", median(p99[s])) : "-", \
			ratio(ns[s] / 1e3, attempts[s]), \
			lost[s] ? sprintf(", pop3-login gone in %d rounds", lost[s]) : ""
	}
}' "$work/results"
for s in core-ext plugin-ext; do
	[ -s "$work/failures.$s" ] || continue
	echo "  ${s%-ext}, first failure: $(sed -n 's/^first failure: //p' "$work/failures.$s" | head -n 1)"
done

awk '
{ key[$2] = 1; calls[$1, $2] = $3; conns[$1] = $4; total[$1] += $3 }
END {
	printf "\nsyscalls per connection in pop3-login (strace -c -f, 1 client):\n"
	printf "  %-16s %9s %9s %9s\n", "syscall", "no-proxy", "core", "plugin"
	n = 0
	for (k in key) names[++n] = k
	for (i = 2; i <= n; i++) {
		t = names[i]
		for (j = i - 1; j >= 1 && names[j] > t; j--) names[j + 1] = names[j]
		names[j + 1] = t
	}
	for (i = 1; i <= n; i++)
		printf "  %-16s %9.2f %9.2f %9.2f\n", names[i], \
			conns["no-proxy"] ? calls["no-proxy", names[i]] / conns["no-proxy"] : 0, \
			conns["core"] ? calls["core", names[i]] / conns["core"] : 0, \
			conns["plugin"] ? calls["plugin", names[i]] / conns["plugin"] : 0
	printf "  %-16s %9.2f %9.2f %9.2f   (connections: %d, %d, %d)\n", "total", \
		conns["no-proxy"] ? total["no-proxy"] / conns["no-proxy"] : 0, \
		conns["core"] ? total["core"] / conns["core"] : 0, \
		conns["plugin"] ? total["plugin"] / conns["plugin"] : 0, \
		conns["no-proxy"], conns["core"], conns["plugin"]
}' "$work/syscalls"

awk '{ printf "%s%s %.2f KiB", NR == 1 ? "\npop3-login RSS per open connection (500 open): " : ", ", $1, ($3 - $2) / 500 }
END { print "" }' "$work/memory"
