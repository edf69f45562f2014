#!/bin/bash
# Reliability in a real topology (issue 14): HAProxy in front of two
# Dovecot hosts, each in its own network namespace, and a client namespace
# with many addresses; a steady stream of EXTERNAL and PLAIN logins (and of
# logins that must fail) while faults happen:
#   kill     dc1 is killed (SIGKILL, every process) and started again
#   sighup   both Dovecots are reloaded with SIGHUP, three times
#   reload   HAProxy (master-worker) is reloaded with SIGUSR2, three times
#   netcut   dc1's link is cut (ip link down) for 10 s and restored
#   limits   idle connections fill dc1's imap-login process_limit
#   clientlimit  idle connections fill the client_limit of dc1's one
#            pop3-login process (service_count = 0) under a POP3 load
# Each run prints one summary line (tests/topology/topology-client.py
# summarize) and fails on any wrong identity, any EXTERNAL login without a
# verified certificate, any attempt without an outcome within the client's
# timeouts (haproxy_timeout 3 s + Dovecot's auth penalty of up to 15 s +
# 7 s for logins that should work, 40 s for those that must fail), a
# Dovecot log naming a login's
# client address that is not one of the clients', or (kill, netcut)
# health checks that did not mark dc1 down and up again, or HAProxy not
# having dc1 UP on every frontend within the bound its health-check
# settings give (below).
# --soak MINUTES: afterwards, MINUTES of logins at a fixed rate against
# dc1 alone (POP3: one long-lived pop3-login process, service_count = 0;
# IMAP: imap-login, service_count = 1), sampling each minute the RSS and
# open fds of pop3-login; fails if its RSS grows by more than 10 % from the
# sample after warm-up (minute 2) to the last one, or if its open fds once
# idle again exceed those before the load.
#
# Usage: sudo tests/topology/run.sh [--build DIR] [--plugin-dir DIR]
#                 [--runs kill,sighup,reload,netcut,limits,clientlimit]
#                 [--soak MINUTES]
#                 [--keep]
# --build: the build tree (build); --plugin-dir: the login plugin's
# directory (BUILD/src/login; an installed plugin as for the integration
# tests); --runs '': no fault run; --keep: keep the work directory (it is
# kept anyway when a run fails).
# Needs root (ip netns). Addresses come from 198.18.0.0/15 (benchmarking)
# inside namespaces this script creates and removes (named htlv-PID-*):
# nothing reaches the host's own network. Dovecot is Debian's binary with
# a private configuration (tests/integration/env.sh), never the system
# service. Exit status: 0 all passed, 1 a failure, 77 skipped.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/topology
build=$top/build
plugin_dir=
runs=kill,sighup,reload,netcut,limits,clientlimit
soak=0
keep=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$(cd "$2" && pwd); shift 2 ;;
	--plugin-dir) plugin_dir=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--soak) soak=$2; shift 2 ;;
	--keep) keep=yes; shift ;;
	*) echo "usage: $0 [--build DIR] [--plugin-dir DIR] [--runs LIST] [--soak MINUTES] [--keep]" >&2
	   exit 2 ;;
	esac
done

skip() { echo "topology: SKIP: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (ip netns, veth); run: sudo $0"
command -v ip >/dev/null || skip "ip (iproute2) not found"
command -v haproxy >/dev/null || skip "haproxy not found"
[ -x /usr/sbin/dovecot ] || skip "dovecot not found"
ip netns add "htlv-$$-probe" 2>/dev/null || skip "ip netns add failed (no network namespaces here)"
ip netns del "htlv-$$-probe"
[ -n "$plugin_dir" ] || plugin_dir=$build/src/login
[ -n "$(ls "$plugin_dir"/*.so 2>/dev/null)" ] ||
	{ echo "topology: no plugin in $plugin_dir (build first)" >&2; exit 1; }

env_sh=$top/tests/integration/env.sh
# the interpreter itself, not a wrapper script (pyenv's shims cost a
# process tree per call)
python3=$(python3 -c 'import sys; print(sys.executable)')
client=$here/topology-client.py
v24=
case $(sh "$env_sh" version) in 2.[0-3]|2.[0-3].*) ;; *) v24=yes ;; esac

ns=htlv-$$
cli=$ns-cli hap=$ns-hap
hap_ip=198.18.0.1
dc_ip() { echo "198.18.$1.2"; }   # dc1 198.18.1.2, dc2 198.18.2.2
dc_base() { echo $((20000 + 100 * $1)); }
sources=$(seq -s, -f '198.18.0.%g' 10 41)   # 32 client addresses
# the logins that must fail come from 8 others: Dovecot's auth penalty
# (anvil) delays every login from an address with failed ones, by up to
# 15 s
bad_sources=$(seq -s, -f '198.18.0.%g' 50 57)
users=32
rate=${TOPOLOGY_RATE:-8}      # attempts per second
after_secs=${TOPOLOGY_AFTER_SECS:-5}   # load after recovery
# the client's bounds: haproxy_timeout 3 s + the auth penalty's 15 s + 7 s
# for logins that should work (their addresses have no penalty); 15 s
# more for the ones that must fail
timeout=25 bad_timeout=40
# HAProxy's health checks (seconds): every $inter s, $fastinter s while a
# server is going up or down, down after $fall failed checks, up after
# $rise good ones in a row; a check connects within min(timeout connect,
# inter) and reads "* OK" (or "+OK") within timeout check more (3 s for
# that read timed out on a machine at load average 14 to 20).
inter=3 fastinter=1 fall=3 rise=2 connect_timeout=3 check_timeout=10
check_max=$((connect_timeout < inter ? connect_timeout : inter))
check_max=$((check_max + check_timeout))
# how long HAProxy takes at most to have a server that works again UP:
# the check under way when it came back may still fail (check_max), then
# $rise good checks in a row, each after at most $inter s and lasting at
# most check_max; one more failed check on the way is allowed (a check
# timing out on a loaded machine): (rise + 2) * check_max + (rise + 1) * inter
up_bound=$(((rise + 2) * check_max + (rise + 1) * inter))
# the idle connections of the limits runs are each greeted within this
# (from the hold's start, by the clock) and held until then
hold_secs=20

work=$(mktemp -d /tmp/haproxy-tlv-topology.XXXXXX)
chmod 755 "$work"
hap_pid=
bg_pids=
failed=
summaries=

descendants() { # PID: the pid and every process below it
	local p=$1 c
	echo "$p"
	for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do
		descendants "$c"
	done
}
kill_tree() { # PID SIGNAL
	local pids
	pids=$(descendants "$1")
	# shellcheck disable=SC2086
	kill "-$2" $pids 2>/dev/null || true
}
cleanup() {
	set +e
	for p in $bg_pids; do kill_tree "$p" KILL; done
	if [ -n "$hap_pid" ]; then
		kill_tree "$hap_pid" TERM
		sleep 0.5
		kill_tree "$hap_pid" KILL
	fi
	for i in 1 2; do
		[ -f "$work/dc$i/dovecot.pid" ] || continue
		pid=$(cat "$work/dc$i/dovecot.pid")
		sh "$env_sh" stop "$work/dc$i" >/dev/null 2>&1
		kill_tree "$pid" KILL
	done
	for n in "$cli" "$hap" "$ns-dc1" "$ns-dc2"; do
		ip netns del "$n" 2>/dev/null
	done
	if [ -n "$keep" ] || [ -n "$failed" ]; then
		echo "topology: kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- certificates: the test CA (make-certs.sh), one client certificate per
# EXTERNAL user, self-signed ones and one from another CA with real users'
# CNs (unverified: EXTERNAL must fail with them)
certs=$work/certs
sh "$top/tests/helpers/make-certs.sh" "$certs" certuser
(
	cd "$certs"
	subj() { printf '/O=dovecot-haproxy-tlv test/CN=%s' "$1"; }
	echo "extendedKeyUsage=clientAuth" > topo.ext
	for i in $(seq -w 1 $users); do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout "client-ext$i.key" -out "client-ext$i.csr" \
			-subj "$(subj "ext$i")" 2>/dev/null
		openssl x509 -req -in "client-ext$i.csr" -CA ca.pem -CAkey ca.key \
			-CAcreateserial -days 3650 -sha256 -extfile topo.ext \
			-out "client-ext$i.pem" 2>/dev/null
	done
	for i in 01 02; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -days 3650 -keyout "selfsigned-ext$i.key" \
			-out "selfsigned-ext$i.pem" -subj "$(subj "ext$i")" 2>/dev/null
	done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 3650 -keyout rogue-ca.key -out rogue-ca.pem \
		-subj "$(subj 'Test CA')" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout rogue-ext03.key -out rogue-ext03.csr \
		-subj "$(subj ext03)" 2>/dev/null
	openssl x509 -req -in rogue-ext03.csr -CA rogue-ca.pem \
		-CAkey rogue-ca.key -CAcreateserial -days 3650 -sha256 \
		-extfile topo.ext -out rogue-ext03.pem 2>/dev/null
	chmod 644 ./*.key
)

# --- namespaces: client -- HAProxy -- dc1, dc2 (veth pairs)
for n in "$cli" "$hap" "$ns-dc1" "$ns-dc2"; do
	ip netns add "$n"
	ip -n "$n" link set lo up
done
ip -n "$cli" link add c0 type veth peer name hc netns "$hap"
ip -n "$cli" addr add 198.18.0.2/24 dev c0
for a in ${sources//,/ } ${bad_sources//,/ }; do
	ip -n "$cli" addr add "$a/24" dev c0
done
ip -n "$cli" link set c0 up
ip -n "$hap" addr add $hap_ip/24 dev hc
ip -n "$hap" link set hc up
for i in 1 2; do
	ip -n "$hap" link add "hd$i" type veth peer name d0 netns "$ns-dc$i"
	ip -n "$hap" addr add "198.18.$i.1/24" dev "hd$i"
	ip -n "$hap" link set "hd$i" up
	ip -n "$ns-dc$i" addr add "$(dc_ip $i)/24" dev d0
	ip -n "$ns-dc$i" link set d0 up
done

# --- the two Dovecots: env.sh's configuration, listening on the host's
# address, trusting HAProxy's; per backend a greeting naming it, the
# topology's users and a process_limit the limits run can reach
for i in 1 2; do
	d=$work/dc$i
	mkdir -p "$d/home"
	cp -r "$certs" "$d/certs"
	: > "$d/topo-passwd"
	for u in $(seq -w 1 $users); do
		echo "ext$u:::::::nopassword" >> "$d/topo-passwd"
		echo "pl$u:{PLAIN}pw-pl$u::::::" >> "$d/topo-passwd"
	done
	# each user's mail names its owner: a mailbox whoami-USER (IMAP LIST)
	# and a message "Subject: whoami USER" in INBOX (POP3 TOP)
	for u in $(seq -w 1 $users); do
		for user in "ext$u" "pl$u"; do
			m=$d/home/$user/Maildir
			mkdir -p "$m"/{cur,new,tmp} "$m/.whoami-$user"/{cur,new,tmp}
			printf 'From: topology@example.test\r\nSubject: whoami %s\r\n\r\nmail of %s\r\n' \
				"$user" "$user" > "$m/cur/1000000000.M1P1.topology:2,S"
		done
	done
	chown -R dovenull:dovenull "$d/home"
	if [ -z "$v24" ]; then
		passdb="passdb {
  driver = passwd-file
  args = %DIR%/topo-passwd
}"
	else
		passdb="passdb topology {
  driver = passwd-file
  passwd_file_path = %DIR%/topo-passwd
}"
	fi
	cat > "$d/extra.conf" <<CONF
login_greeting = dc$i ready.
$passdb
service imap-login {
  process_limit = 20
}
CONF
	# dc1's one pop3-login process (process_limit = 1, service_count =
	# 0 in env.sh) takes 20 clients at most: the clientlimit run fills
	# it (the soak has at most 16 in flight)
	[ "$i" != 1 ] || cat > "$d/extra-after.conf" <<CONF
service pop3-login {
  client_limit = 20
}
CONF
done
start_dovecot() { # N
	local i=$1
	TEST_ENV_LISTEN=$(dc_ip "$i") TEST_ENV_TRUSTED=198.18.$i.1/32 \
	TEST_ENV_NO_HAPROXY=1 \
		ip netns exec "$ns-dc$i" sh "$env_sh" start "$work/dc$i" \
		"$(dc_base "$i")" "$plugin_dir" >/dev/null
}
start_dovecot 1
start_dovecot 2
d0() { echo "$(dc_ip "$1"):$(dc_base "$1")"; }             # imap, haproxy = yes
d1() { echo "$(dc_ip "$1"):$(($(dc_base "$1") + 1))"; }    # pop3, haproxy = yes
d4() { echo "$(dc_ip "$1"):$(($(dc_base "$1") + 4))"; }    # imaps, ssl = yes
checked=5   # frontends with health-checked servers dc1 and dc2

# --- HAProxy: TLS with client certificate verification, the certificate's
# CN to Dovecot (send-proxy-v2-ssl-cn), plain and re-encrypted backends,
# tcp-check "* OK" health checks with PROXY v2 (and over TLS to ssl = yes)
c=$certs
tls_bind="ssl crt $c/server-combined.pem ca-file $c/ca.pem verify optional"
reencrypt="ssl verify required ca-file $c/ca.pem sni str(localhost) check-sni localhost"
cat > "$work/haproxy.cfg" <<CFG
global
    log stderr format iso local0 notice
    stats socket $work/haproxy.sock mode 600 level admin
    hard-stop-after 30s
defaults
    mode tcp
    log global
    option dontlognull
    timeout connect ${connect_timeout}s
    timeout client 20s
    timeout server 20s
    retries 2
    option redispatch
    timeout check ${check_timeout}s
    default-server inter ${inter}s fastinter ${fastinter}s fall $fall rise $rise

# TLS terminated here, client certificate verified, its CN forwarded
listen imap-tls
    bind $hap_ip:993 $tls_bind
    option tcp-check
    tcp-check expect string "* OK"
    server dc1 $(d0 1) send-proxy-v2-ssl-cn check check-send-proxy
    server dc2 $(d0 2) send-proxy-v2-ssl-cn check check-send-proxy
# re-encrypted to Dovecot's ssl = yes listener; health checks over TLS
listen imaps-reencrypt
    bind $hap_ip:994 $tls_bind
    option tcp-check
    tcp-check expect string "* OK"
    server dc1 $(d4 1) send-proxy-v2-ssl-cn $reencrypt check check-send-proxy check-ssl
    server dc2 $(d4 2) send-proxy-v2-ssl-cn $reencrypt check check-send-proxy check-ssl
# lets certificates it could not verify through: Dovecot must refuse
# EXTERNAL with them (the SSL TLV says so)
listen imap-tls-ignore-errors
    bind $hap_ip:995 $tls_bind crt-ignore-err all ca-ignore-err all
    option tcp-check
    tcp-check expect string "* OK"
    server dc1 $(d0 1) send-proxy-v2-ssl-cn check check-send-proxy
    server dc2 $(d0 2) send-proxy-v2-ssl-cn check check-send-proxy
# POP3, the same (the clientlimit run)
listen pop3-tls
    bind $hap_ip:996 $tls_bind
    option tcp-check
    tcp-check expect string "+OK"
    server dc1 $(d1 1) send-proxy-v2-ssl-cn check check-send-proxy
    server dc2 $(d1 2) send-proxy-v2-ssl-cn check check-send-proxy
listen pop3-tls-ignore-errors
    bind $hap_ip:997 $tls_bind crt-ignore-err all ca-ignore-err all
    option tcp-check
    tcp-check expect string "+OK"
    server dc1 $(d1 1) send-proxy-v2-ssl-cn check check-send-proxy
    server dc2 $(d1 2) send-proxy-v2-ssl-cn check check-send-proxy
# dc1 alone: the soak, and the limits runs' idle connections
listen pop3-soak
    bind $hap_ip:1995 $tls_bind
    server dc1 $(d1 1) send-proxy-v2-ssl-cn
listen imap-soak
    bind $hap_ip:1993 $tls_bind
    server dc1 $(d0 1) send-proxy-v2-ssl-cn
CFG
ip netns exec "$hap" haproxy -W -db -f "$work/haproxy.cfg" \
	>"$work/haproxy.log" 2>&1 &
hap_pid=$!

hap_cmd() { # a command on HAProxy's stats socket
	"$python3" - "$work/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode())
PY
}
servers_up() { # [dc1|dc2]: how many checked servers (of that name) are UP
	hap_cmd "show stat" 2>/dev/null |
		awk -F, -v s="${1:-dc[12]}" '$2 ~ "^" s "$" && $18 ~ /^UP/ {n++} END {print n+0}'
}
wait_all_up() { # SECONDS [dc1]: until every checked server (of dc1) is UP
	local want=$((2 * checked)) end=$((SECONDS + $1))
	[ -z "${2:-}" ] || want=$checked
	# by the clock: on a loaded machine each look at the stats takes long
	while [ "$SECONDS" -lt "$end" ]; do
		[ "$(servers_up "${2:-}")" -ge $want ] && return 0
		sleep 0.25
	done
	echo "topology: not every server came UP:" >&2
	hap_cmd "show stat" | cut -d, -f1,2,18,37 >&2 || true
	return 1
}
now() { date +%s.%N; }

fail() { echo "topology: FAIL: $*" >&2; failed="$failed $run"; }

check_logs() { # the backends' login lines name the clients' addresses
	local i bad n lines
	for i in 1 2; do
		# 2.3 "Login: user=<u>, method=M, rip=A"; 2.4 "Logged in: ..."
		lines=$(grep -oE '(Login|Logged in): user=<[^>]*>, method=[A-Z0-9-]*, rip=[0-9.]*' \
			"$work/dc$i/dovecot.log" || true)
		bad=$(printf '%s\n' "$lines" | sed -n 's/.*rip=//p' |
			grep -vxE '198\.18\.0\.(1[0-9]|[23][0-9]|4[01]|5[0-7])' | sort -u || true)
		[ -z "$bad" ] || fail "dc$i logged logins from addresses that are no client's: $bad"
		n=$(printf '%s\n' "$lines" | sed -n 's/.*rip=//p' | sort -u | grep -c . || true)
		echo "  dc$i: logins logged from $n distinct client addresses" \
			"($(printf '%s\n' "$lines" | grep -c . || true) login lines)"
		[ "$n" -ge 2 ] || fail "dc$i logged logins from $n client addresses"
	done
}

check_health() { # OFFSET: dc1 DOWN then UP in HAProxy's log since OFFSET
	local log
	log=$(tail -c +"$(($1 + 1))" "$work/haproxy.log")
	for px in imap-tls imaps-reencrypt pop3-tls; do
		down=$(printf '%s\n' "$log" | grep "^20.* Server $px/dc1 is DOWN" | head -n 1 | cut -d' ' -f1 || true)
		up=$(printf '%s\n' "$log" | grep "^20.* Server $px/dc1 is UP" | tail -n 1 | cut -d' ' -f1 || true)
		if [ -z "$down" ] || [ -z "$up" ]; then
			fail "health checks of $px did not mark dc1 down and up again (down: ${down:-none}, up: ${up:-none})"
		else
			echo "  health checks: $px/dc1 DOWN at $down, UP at $up"
		fi
	done
}

# --- faults
fault_kill() {
	sleep 5
	kill_tree "$(cat "$work/dc1/dovecot.pid")" KILL
	sleep 8
	# the ports of the killed processes are free again
	for _ in $(seq 100); do
		ip netns exec "$ns-dc1" ss -Hltn | grep -q . || break
		sleep 0.1
	done
	start_dovecot 1
	fault_end=$(now)
}
fault_sighup() {
	for _ in 1 2 3; do
		sleep 3
		kill -HUP "$(cat "$work/dc1/dovecot.pid")" "$(cat "$work/dc2/dovecot.pid")"
	done
	fault_end=$(now)
}
fault_reload() {
	for _ in 1 2 3; do
		sleep 3
		kill -USR2 "$hap_pid"
	done
	fault_end=$(now)
}
fault_netcut() {
	sleep 5
	ip -n "$hap" link set hd1 down
	sleep 10
	ip -n "$hap" link set hd1 up
	fault_end=$(now)
}
fault_hold() { # TARGET LIMIT-MESSAGE: 40 idle connections to dc1
	local before n
	sleep 5
	before=$(grep -cF "$2 reached" "$work/dc1/dovecot.log" || true)
	ip netns exec "$cli" "$python3" "$client" hold --count 40 \
		--greet-timeout $hold_secs --duration $hold_secs \
		--targets "$1" --sources "$sources" --certs "$certs" \
		> "$work/$run-hold.json"
	fault_end=$(now)
	echo "  held: $(cat "$work/$run-hold.json")"
	n=$(($(grep -cF "$2 reached" "$work/dc1/dovecot.log" || true) - before))
	echo "  dc1 logged \"$2 reached\" $n times"
	[ "$n" -gt 0 ] || fail "the $run run never reached dc1's $2"
	# the idle connections filled the limit: at least 20 greeted within
	# the bound (a connection beyond it waits until Dovecot closes an
	# older one, "Connection queue full")
	n=$("$python3" -c 'import json, sys; print(json.load(open(sys.argv[1]))["greeted"])' \
		"$work/$run-hold.json")
	[ "$n" -ge 20 ] || fail "only $n of 40 idle connections were greeted within $hold_secs s"
}
fault_limits() {
	# through the frontend to dc1 alone, against its imap-login
	# process_limit of 20 (service_count = 1: one client a process)
	fault_hold $hap_ip:1993 'process_limit (20)'
}
fault_clientlimit() {
	# against the client_limit of 20 of dc1's one pop3-login process
	# (process_limit = 1: the master names client_limit)
	fault_hold $hap_ip:1995 'client_limit (20)'
}

backend_of() { case $1 in kill|netcut|limits|clientlimit) echo dc1 ;; *) echo any ;; esac; }

wait_all_up $up_bound
echo "topology: $(sh "$env_sh" version) Dovecot, $(haproxy -v | head -n 1 | cut -d' ' -f3) HAProxy, work dir $work"
echo "topology: health checks inter ${inter}s fastinter ${fastinter}s rise $rise fall $fall, a check at most ${check_max}s: a server UP again within ${up_bound}s"
for run in ${runs//,/ }; do
	echo "== $run ($(uptime | sed 's/.*load/load/'))"
	wait_all_up $up_bound || { fail "servers not up before the run"; continue; }
	offset=$(stat -c %s "$work/haproxy.log")
	proto=imap targets=$hap_ip:993,$hap_ip:994 unverified=$hap_ip:995,$hap_ip:993
	[ "$run" != clientlimit ] ||
		proto=pop3 targets=$hap_ip:996 unverified=$hap_ip:997,$hap_ip:996
	ip netns exec "$cli" "$python3" "$client" load --proto $proto \
		--targets "$targets" --unverified-target "$unverified" \
		--sources "$sources" --bad-sources "$bad_sources" \
		--certs "$certs" --users $users --rate "$rate" --duration 180 --stop-file "$work/$run.stop" \
		--timeout $timeout --bad-timeout $bad_timeout --seed "$RANDOM" --out "$work/$run.jsonl" &
	load_pid=$!
	bg_pids="$bg_pids $load_pid"
	fault_end=
	"fault_$run"
	# the load goes on until HAProxy has dc1 UP again, and for
	# $after_secs s more
	if wait_all_up $up_bound dc1; then
		echo "  dc1 UP on every frontend $(awk -v a="$(now)" -v b="$fault_end" \
			'BEGIN {printf "%.1f", a - b}') s after the fault's end (bound ${up_bound} s)"
	else
		fail "dc1 not UP on every frontend within $up_bound s of the fault's end"
	fi
	sleep "$after_secs"
	touch "$work/$run.stop"
	wait "$load_pid" || fail "the load driver failed"
	bg_pids=${bg_pids% "$load_pid"}
	if line=$("$python3" "$client" summarize "$work/$run.jsonl" --name "$run" \
		--fault-end "$fault_end" --backend "$(backend_of "$run")"); then
		:
	else
		fail "wrong identity, unverified login, hang or no recovery"
	fi
	echo "$line"
	summaries="$summaries$line"$'\n'
	case $run in kill|netcut) check_health "$offset" ;; esac
done
[ -z "$runs" ] || check_logs

# --- the soak
if [ "$soak" -gt 0 ]; then
	run=soak
	echo "== soak: $soak minutes against dc1"
	wait_all_up $up_bound || fail "servers not up before the soak"
	login_pid() { # the pop3-login process of dc1
		for p in $(descendants "$(cat "$work/dc1/dovecot.pid")"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = pop3-login ] && { echo "$p"; return; }
		done
	}
	sample() { # LABEL
		local p rss fds
		p=$(login_pid || true)
		rss=$(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
		fds=$(ls "/proc/$p/fd" 2>/dev/null | wc -l || echo 0)
		printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$(date -u +%H:%M:%S)" "$p" "$rss" "$fds" | tee -a "$work/soak.tsv"
	}
	printf 'minute\ttime\tpid\trss_kb\tfds\n' | tee "$work/soak.tsv"
	sample idle-before
	secs=$((soak * 60))
	ip netns exec "$cli" "$python3" "$client" load --proto pop3 \
		--targets $hap_ip:1995 --sources "$sources" \
		--bad-sources "$bad_sources" --certs "$certs" \
		--users $users --rate 6 --duration $secs --timeout $timeout --bad-timeout $bad_timeout \
		--mix ext=50,plain=40,nocert=5,badpw=5 --concurrency 16 \
		--out "$work/soak-pop3.jsonl" &
	p1=$!
	ip netns exec "$cli" "$python3" "$client" load --proto imap \
		--targets $hap_ip:1993 --sources "$sources" \
		--bad-sources "$bad_sources" --certs "$certs" \
		--users $users --rate 2 --duration $secs --timeout $timeout --bad-timeout $bad_timeout \
		--mix ext=50,plain=40,nocert=5,badpw=5 --concurrency 16 \
		--out "$work/soak-imap.jsonl" &
	p2=$!
	bg_pids="$bg_pids $p1 $p2"
	for m in $(seq 1 "$soak"); do
		sleep 60
		sample "$m"
	done
	wait "$p1" "$p2" || fail "the soak's load driver failed"
	bg_pids=
	sleep 5
	sample idle-after
	for proto in pop3 imap; do
		line=$("$python3" "$client" summarize "$work/soak-$proto.jsonl" \
			--name "soak-$proto-${soak}min") || fail "soak $proto: wrong identity, unverified login or hang"
		echo "$line"
		summaries="$summaries$line"$'\n'
	done
	line=$(awk -F'\t' -v soak="$soak" '
		$1 == "idle-before" {fd0 = $5; pid0 = $3}
		$1 == (soak >= 3 ? 2 : 1) {rss_w = $4}
		$1 == soak {rss_end = $4}
		$1 == "idle-after" {fd1 = $5; pid1 = $3}
		END {
			growth = rss_w ? 100 * (rss_end - rss_w) / rss_w : 0
			ok = (pid0 == pid1 && growth <= 10 && fd1 <= fd0)
			printf "soak pop3-login: pid %s->%s, RSS %d kB after warm-up -> %d kB at the end (%+.1f%%, bound +10%%), fds idle %d -> %d (bound: no more) %s\n",
				pid0, pid1, rss_w, rss_end, growth, fd0, fd1, ok ? "OK" : "FAIL"
		}' "$work/soak.tsv")
	echo "$line"
	summaries="$summaries$line"$'\n'
	case $line in *FAIL) fail "pop3-login grew beyond the bound" ;; esac
fi

echo "== summary"
printf '%s' "$summaries"
if [ -n "$failed" ]; then
	echo "topology: FAILED:$failed" >&2
	exit 1
fi
echo "topology: all runs passed"
