#!/bin/sh
# Start or stop a private Dovecot (with the plugin from the build tree) and
# a private HAProxy on loopback, everything under DIR.
# Usage: env.sh start DIR BASE_PORT PLUGIN_DIR
#        env.sh stop DIR
#        env.sh doveconf DIR [ARGS]
#        env.sh doveadm DIR [ARGS]
#        env.sh version      the Dovecot version found (2.3.19.1, 2.4.1)
# Ports: Dovecot listens on BASE..BASE+9, HAProxy on BASE+10..BASE+29.
# The system's own dovecot and haproxy are never touched: Dovecot runs with
# its own base_dir, state_dir and log file. Its config process loads the
# settings module from a private directory bind-mounted (in a private mount
# namespace) over Dovecot's settings module directory.
# The configuration is written in Dovecot 2.3's or 2.4's syntax, according
# to the Dovecot found. TEST_ENV_NO_PLUGIN=1 leaves the plugin and its
# modules out (for bringing the environment up on a Dovecot the plugin
# does not build for yet). For tests/topology/run.sh (Dovecot in a network
# namespace behind a HAProxy elsewhere): TEST_ENV_LISTEN (127.0.0.1) is
# Dovecot's listen address, TEST_ENV_TRUSTED (127.0.0.1/32) its
# haproxy_trusted_networks, TEST_ENV_NO_HAPROXY=1 starts Dovecot alone.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cmd=$1

# "2.4.1-4 (7d8c0e5759)" -> 2.4.1
dovecot_version=$(/usr/sbin/dovecot --version | sed 's/[- ].*//')
case $dovecot_version in
2.[0-3]|2.[0-3].*) v24= ;;
*) v24=yes ;;
esac
if [ "$cmd" = version ]; then
	echo "$dovecot_version"
	exit 0
fi
dir=$2

# A build with AddressSanitizer (meson -Db_sanitize=address,...; the test
# programs set TEST_SANITIZER_PRELOAD to the ASan runtime): the modules
# need that runtime loaded first in every Dovecot process that loads them,
# although Dovecot itself is not instrumented. Dovecot's leaks are not
# ours to report; the modules' errors end up in Dovecot's log.
#
# TEST_MEMCHECK_DIR (scripts/memcheck.sh): the reports go to files under
# it instead, one directory per environment (the test directory itself is
# removed when the test ends), the processes go on after a report so that
# all of them are collected (the build has -fsanitize-recover=address) and
# LeakSanitizer runs at each process's exit; scripts/memcheck-check.py
# reads them (leaks only where one of our modules allocated).
sanitizer_env=
memcheck_dir=
if [ -n "${TEST_MEMCHECK_DIR:-}" ] && [ "$cmd" != version ] && [ "$cmd" != stop ]; then
	memcheck_dir=$TEST_MEMCHECK_DIR/$(basename "$2")
fi
if [ -n "${TEST_SANITIZER_PRELOAD:-}" ] && [ -n "$memcheck_dir" ]; then
	# TEST_MEMCHECK_PRELOAD: tests/helpers/memcheck-preload.c, without
	# which LeakSanitizer cannot run in login processes
	sanitizer_env="LD_PRELOAD=$TEST_SANITIZER_PRELOAD${TEST_MEMCHECK_PRELOAD:+:$TEST_MEMCHECK_PRELOAD}"
	# verbosity=1: every process writes its file at start-up (the
	# checker counts them); exitcode=0: a process's leaks do not change
	# its exit status (Dovecot's log would show it as an error);
	# fast_unwind_on_malloc=0: Dovecot's libraries have no frame
	# pointers, and the fast unwinder would stop an allocation's stack
	# in libdovecot, before the module that called it
	sanitizer_env="$sanitizer_env ASAN_OPTIONS=log_path=$memcheck_dir/asan:log_exe_name=1:verbosity=1:halt_on_error=0:detect_leaks=1:exitcode=0:malloc_context_size=30:fast_unwind_on_malloc=0"
	sanitizer_env="$sanitizer_env UBSAN_OPTIONS=log_path=$memcheck_dir/ubsan:log_exe_name=1:print_stacktrace=1:halt_on_error=0"
elif [ -n "${TEST_SANITIZER_PRELOAD:-}" ]; then
	sanitizer_env="LD_PRELOAD=$TEST_SANITIZER_PRELOAD"
	sanitizer_env="$sanitizer_env ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
	sanitizer_env="$sanitizer_env UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1"
fi
if [ -n "$memcheck_dir" ]; then
	# written by processes running as the login and internal users
	mkdir -p "$memcheck_dir"
	chmod 1777 "$memcheck_dir"
	# the test program (env.sh's parent), for the report
	if [ "$cmd" = start ]; then
		tr '\0' ' ' < /proc/$PPID/cmdline > "$memcheck_dir/program" || true
	fi
fi

stop() {
	for name in haproxy dovecot; do
		[ -f "$dir/$name.pid" ] || continue
		pid=$(cat "$dir/$name.pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$dir/$name.pid"
	done
}

if [ "$cmd" = stop ]; then
	stop
	# Dovecot's log for the checker (the directory is removed next): a
	# login process's sanitizer reports end up there, on its stderr,
	# rather than in the log_path files
	if [ -n "${TEST_MEMCHECK_DIR:-}" ] &&
	   [ -d "$TEST_MEMCHECK_DIR/$(basename "$dir")" ]; then
		cp "$dir/dovecot.log" "$dir/dovecot.stdout" \
			"$TEST_MEMCHECK_DIR/$(basename "$dir")/" 2>/dev/null || true
	fi
	exit 0
fi
# A private mount namespace (in a root made by scripts/make-root.sh too:
# it makes the root a mount point of its own)
unshare_m=
if unshare -m true 2>/dev/null; then
	unshare_m="unshare -m"
fi
settings_dir=$(sh "$here/../../build-aux/dovecot-config-var.sh" \
	"${DOVECOT_CONFIG:-/usr/lib/dovecot/dovecot-config}" dovecot_moduledir)/settings
doveadm_dir=${settings_dir%/settings}/doveadm
if [ "$cmd" = doveconf ] || [ "$cmd" = doveadm ]; then
	# doveconf/doveadm with the settings and doveadm modules of the test
	# Dovecot (and its configuration)
	shift 2
	exec $unshare_m sh -c "mount --bind '$dir/settings' '$settings_dir' &&
		mount --bind '$dir/doveadm' '$doveadm_dir' &&
		exec env $sanitizer_env $cmd -c '$dir/dovecot.conf' \"\$@\"" -- "$@"
fi

base=$3
plugin_dir=$4
d() { echo $((base + $1)); }
h() { echo $((base + 10 + $1)); }

for port in $(seq "$base" $((base + 29))); do
	if ss -Hltn "sport = :$port" | grep -q .; then
		echo "env.sh: port $port is already in use" >&2
		exit 1
	fi
done
mkdir -p "$dir/run" "$dir/state" "$dir/home" "$dir/settings" "$dir/doveadm"
chmod 755 "$dir"
chmod 1777 "$dir/home"
sh "$here/../helpers/make-certs.sh" "$dir/certs" certuser
chmod 644 "$dir/certs"/*.key

# the system's settings modules plus ours
for f in "$settings_dir"/*.so; do
	# copies: a symlink would point into the directory it hides
	[ -e "$f" ] && cp "$f" "$dir/settings/"
done
# doveadm modules: the system's plus ours (build tree and installation
# alike keep it in ../doveadm from the login plugin)
for f in "$doveadm_dir"/*.so; do
	[ -e "$f" ] && cp "$f" "$dir/doveadm/"
done
if [ -z "${TEST_ENV_NO_PLUGIN:-}" ]; then
	cp "$plugin_dir/../doveadm/lib10_doveadm_haproxy_plugin.so" "$dir/doveadm/"
	# the settings module is in the settings directory next to the login
	# directory, in a build tree (src/settings, src/login) as in an
	# installation
	cp "$plugin_dir/../settings/libhaproxy_tlv_settings.so" "$dir/settings/"
fi

if [ -n "$sanitizer_env" ] && [ -z "$v24" ]; then
	# to every process the master starts; ASan reserves terabytes of
	# address space, beyond any vsz_limit
	cat > "$dir/sanitizer.conf" <<CONF
import_environment = \$import_environment LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
default_vsz_limit = 0
CONF
elif [ -n "$sanitizer_env" ]; then
	cat > "$dir/sanitizer.conf" <<CONF
import_environment {
  LD_PRELOAD = %{env:LD_PRELOAD}
  ASAN_OPTIONS = %{env:ASAN_OPTIONS}
  UBSAN_OPTIONS = %{env:UBSAN_OPTIONS}
}
default_vsz_limit = unlimited
CONF
fi
# TEST_LOGIN_WRAPPER=valgrind (scripts/memcheck.sh valgrind): the four
# login services run under valgrind memcheck through a wrapper script,
# imap-login still with service_count = 1 (a valgrind per connection),
# pop3-login with service_count = 0 (one for all); one text and one XML
# log per process under TEST_MEMCHECK_DIR. Without a chroot: valgrind and
# its suppressions are outside it. With a sanitizer build, the login
# processes log their reports there too (also without a chroot).
: > "$dir/memcheck.conf"
# TEST_LOGIN_WRAPPER=callgrind (bench/run-login-profile.sh): pop3-login
# runs under callgrind, its profile written to TEST_MEMCHECK_DIR at exit.
if [ "${TEST_LOGIN_WRAPPER:-}" = callgrind ]; then
	unlimited=0
	[ -z "$v24" ] || unlimited=unlimited
	[ -n "$memcheck_dir" ] || {
		echo "env.sh: TEST_LOGIN_WRAPPER=callgrind needs TEST_MEMCHECK_DIR" >&2
		exit 1
	}
	libexecdir=$(sh "$here/../../build-aux/dovecot-config-var.sh" \
		"${DOVECOT_CONFIG:-/usr/lib/dovecot/dovecot-config}" dovecot_pkglibexecdir)
	# callgrind writes its profile at exit, after the process has
	# dropped root: the file, named after the PID that exec keeps, exists
	# already and is writable for the login user
	cat > "$dir/login-wrapper.sh" <<WRAPPER
#!/bin/sh
out=$memcheck_dir/callgrind-\$(basename "\$1").\$\$
: > "\$out"
chmod 666 "\$out"
exec $(command -v valgrind) --tool=callgrind --vgdb=no \\
	--callgrind-out-file="\$out" "\$@"
WRAPPER
	chmod 755 "$dir/login-wrapper.sh"
	cat > "$dir/memcheck.conf" <<CONF
service pop3-login {
  executable = $dir/login-wrapper.sh $libexecdir/pop3-login
  chroot =
  vsz_limit = $unlimited
}
CONF
elif [ "${TEST_LOGIN_WRAPPER:-}" = valgrind ]; then
	[ -n "$memcheck_dir" ] || {
		echo "env.sh: TEST_LOGIN_WRAPPER=valgrind needs TEST_MEMCHECK_DIR" >&2
		exit 1
	}
	libexecdir=$(sh "$here/../../build-aux/dovecot-config-var.sh" \
		"${DOVECOT_CONFIG:-/usr/lib/dovecot/dovecot-config}" dovecot_pkglibexecdir)
	cat > "$dir/login-wrapper.sh" <<WRAPPER
#!/bin/sh
# started by Dovecot's master as: login-wrapper.sh LOGIN-BINARY; the logs
# are named after the service (tests find the process by them). SIGTERM
# ignored until Dovecot sets its handler: the master's SIGTERM at
# shutdown would otherwise end a process still starting under valgrind
# (processes started ahead, process_min_avail) without its report.
name=\$(basename "\$1")
trap '' TERM
exec valgrind --tool=memcheck --error-exitcode=99 \\
	--leak-check=full --show-leak-kinds=definite \\
	--errors-for-leak-kinds=definite --num-callers=40 \\
	--keep-debuginfo=yes \\
	--suppressions=$here/../valgrind/dovecot.supp \\
	--log-file=$memcheck_dir/valgrind-\$name-%p.log \\
	--xml=yes --xml-file=$memcheck_dir/valgrind-\$name-%p.xml "\$@"
WRAPPER
	chmod 755 "$dir/login-wrapper.sh"
	# One imap-login started ahead (it still serves one connection, with
	# service_count = 1): an IMAP client gets its greeting without
	# waiting for a valgrind to start, within the 10 s doveadm haproxy
	# test waits (pop3-login has its process_min_avail = 1 already). No
	# more: the master kills a login process that has not reported its
	# status 30 s after it started (not configurable), and valgrinds
	# starting at once on a busy machine take that long.
	for name in imap pop3 submission managesieve; do
		min_avail=
		[ "$name" != imap ] || min_avail="
  process_min_avail = 1"
		cat >> "$dir/memcheck.conf" <<CONF
service $name-login {
  executable = $dir/login-wrapper.sh $libexecdir/$name-login
  chroot =$min_avail
}
CONF
	done
elif [ -n "$memcheck_dir" ]; then
	# anvil and ipc too: LeakSanitizer reads /proc, which their chroot
	# (empty) does not have
	for name in imap-login pop3-login submission-login \
		managesieve-login anvil ipc; do
		printf 'service %s {\n  chroot =\n}\n' "$name" \
			>> "$dir/memcheck.conf"
	done
fi
if [ -f "$dir/extra.conf" ]; then
	sed "s|%DIR%|$dir|g" "$dir/extra.conf" > "$dir/extra-expanded.conf"
fi
# refused over TLSv1.3 (TEST_DENY_TLS_VERSION_PASSDB_* in test-env.h)
if [ -z "$v24" ]; then
	echo denieduser > "$dir/deny-TLSv1.3"
	: > "$dir/deny-"
else
	echo denieduser/TLSv1.3 > "$dir/deny-tls-version"
fi
# haproxy-backend, the CN of HAProxy's own certificate, can log in without
# a password: a test sees it if the proxy's identity ever reaches auth
cat > "$dir/passwd" <<PASSWD
plainuser:{PLAIN}secret::::::
denieduser:{PLAIN}secret::::::
certuser:::::::nopassword
haproxy-backend:::::::nopassword
PASSWD

# what Dovecot 2.3 and 2.4 spell differently
if [ -z "$v24" ]; then
	conf_head=
	conf_plugins="login_plugin_dir = $plugin_dir
login_plugins = \$login_plugins haproxy_tlv"
	conf_ssl="ssl = yes
ssl_cert = <$dir/certs/server.pem
ssl_key = <$dir/certs/server.key
# the CA with its CRL: ssl_require_crl stays at its default (yes)
ssl_ca = <$dir/certs/ca-crl.pem
ssl_verify_client_cert = yes
auth_ssl_username_from_cert = yes
ssl_cert_username_field = commonName
disable_plaintext_auth = yes"
	conf_dbs="passdb {
  driver = passwd-file
  args = $dir/passwd
}
userdb {
  driver = static
  args = uid=dovenull gid=dovenull home=$dir/home/%u
}
mail_location = maildir:~/Maildir"
	restart_once="service_count = 1"
	restart_never="service_count = 0"
	submissions_off=
else
	conf_head="dovecot_config_version = $dovecot_version
dovecot_storage_version = $dovecot_version
"
	conf_plugins="login_plugin_dir = $plugin_dir
login_plugins {
  haproxy_tlv = yes
}"
	conf_ssl="ssl = yes
ssl_server_cert_file = $dir/certs/server.pem
ssl_server_key_file = $dir/certs/server.key
# the CA with its CRL: ssl_server_require_crl stays at its default (yes)
ssl_server_ca_file = $dir/certs/ca-crl.pem
ssl_server_request_client_cert = yes
auth_ssl_username_from_cert = yes
ssl_server_cert_username_field = commonName
auth_allow_cleartext = no"
	conf_dbs="passdb passwd-file {
  passwd_file_path = $dir/passwd
}
userdb static {
  fields {
    uid = dovenull
    gid = dovenull
    home = $dir/home/%{user}
  }
}
mail_driver = maildir
mail_path = ~/Maildir"
	restart_once="restart_request_count = 1"
	restart_never="restart_request_count = unlimited"
	# 2.4 has a submissions listener (465) by default
	submissions_off="
  inet_listener submissions {
    port = 0
  }"
fi
[ -z "${TEST_ENV_NO_PLUGIN:-}" ] || conf_plugins="login_plugin_dir = $plugin_dir"

cat > "$dir/dovecot.conf" <<CONF
${conf_head}# private test instance: nothing here touches the system's dovecot
protocols = imap pop3 submission sieve
base_dir = $dir/run
state_dir = $dir/state
instance_name = haproxy-tlv-test-$base
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
debug_log_path = $dir/dovecot.log
listen = ${TEST_ENV_LISTEN:-127.0.0.1}
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
hostname = mail.example.test
submission_relay_host = 127.0.0.1
submission_relay_port = 9

$conf_plugins
haproxy_trusted_networks = ${TEST_ENV_TRUSTED:-127.0.0.1/32}
haproxy_timeout = 3 s
login_trusted_networks =

$conf_ssl
auth_mechanisms = plain external
auth_verbose = yes
# failed logins answered at once: the tests do many
auth_failure_delay = 0

!include_try $dir/sanitizer.conf
# per-test settings (test_env_start_with()): before the passdb below, so
# that a deny passdb there is checked first
!include_try $dir/extra-expanded.conf
$conf_dbs

service imap-login {
  inet_listener imap {
    port = $(d 0)
    haproxy = yes
  }
  inet_listener imaps {
    port = $(d 4)
    ssl = yes
    haproxy = yes
  }
  inet_listener imap-direct {
    port = $(d 5)
  }
  $restart_once
}
service pop3-login {
  inet_listener pop3 {
    port = $(d 1)
    haproxy = yes
  }
  inet_listener pop3s {
    port = 0
  }
  # without PROXY: the benchmarks' baseline
  inet_listener pop3-direct {
    port = $(d 6)
  }
  $restart_never
  process_min_avail = 1
  process_limit = 1
  # the load test keeps 1000 clients waiting for their headers at once
  client_limit = 1100
}
service submission-login {
  inet_listener submission {
    port = $(d 2)
    haproxy = yes
  }$submissions_off
}
service managesieve-login {
  inet_listener sieve {
    port = $(d 3)
    haproxy = yes
  }
}
service imap {
  executable = imap
}
!include_try $dir/memcheck.conf
# per-test settings that override the ones above (tests/topology:
# pop3-login's client_limit)
!include_try $dir/extra-after.conf
CONF

# Under valgrind a login process takes seconds to greet or to finish a
# TLS handshake, and a sanitized one on a busy machine may take more than
# the 300 ms of a health check: under scripts/memcheck.sh HAProxy waits
# for it (the backend handshake counts in timeout connect; timeout check)
# instead of failing after 5 s or 300 ms, and checks imap-login less
# often, every 10 s under valgrind: each new imap-login process
# (service_count = 1) accepts one connection, from its first listener
# that has one, and checks queued on the imap listener faster than
# login processes start would starve the other listeners.
connect_timeout=5s
check_timeout=
imap_check_inter=300ms
if [ -n "$memcheck_dir" ]; then
	connect_timeout=60s
	check_timeout="
    timeout check 60s"
	imap_check_inter=2s
	[ "${TEST_LOGIN_WRAPPER:-}" != valgrind ] || imap_check_inter=10s
fi
c="$dir/certs"
tls_bind="ssl crt $c/server-combined.pem ca-file $c/ca.pem verify optional"
cat > "$dir/haproxy.cfg" <<CFG
global
    log stderr format raw local0 warning
    # without SO_REUSEPORT: a port another test run holds makes this start
    # fail (and be retried elsewhere) instead of sharing its connections
    noreuseport
    stats socket $dir/haproxy.sock mode 600 level admin
defaults
    mode tcp
    log global
    timeout connect $connect_timeout
    timeout client 60s
    timeout server 60s$check_timeout

# TLS terminated by HAProxy, client certificate forwarded (imap)
listen imap-tls
    bind 127.0.0.1:$(h 0) $tls_bind
    bind [::1]:$(h 0) $tls_bind
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2-ssl-cn
# a frontend that lets certificates it could not verify through
listen imap-tls-ignore-errors
    bind 127.0.0.1:$(h 1) $tls_bind crt-ignore-err all ca-ignore-err all
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2-ssl-cn
listen pop3-tls
    bind 127.0.0.1:$(h 2) $tls_bind
    server dovecot 127.0.0.1:$(d 1) send-proxy-v2-ssl-cn
listen submission-tls
    bind 127.0.0.1:$(h 3) $tls_bind
    server dovecot 127.0.0.1:$(d 2) send-proxy-v2-ssl-cn
listen sieve-tls
    bind 127.0.0.1:$(h 4) $tls_bind
    server dovecot 127.0.0.1:$(d 3) send-proxy-v2-ssl-cn
# TCP passthrough to an ssl = yes listener
listen imaps-passthrough
    bind 127.0.0.1:$(h 5)
    server dovecot 127.0.0.1:$(d 4) send-proxy-v2
# the documentation's recommended deployment: TLS on both sides
listen imaps-reencrypt
    bind 127.0.0.1:$(h 6) $tls_bind
    server dovecot 127.0.0.1:$(d 4) send-proxy-v2-ssl-cn ssl verify required ca-file $c/ca.pem sni str(localhost)
# ... with backend mTLS: HAProxy presents its own client certificate
listen imaps-reencrypt-mtls
    bind 127.0.0.1:$(h 7) $tls_bind
    server dovecot 127.0.0.1:$(d 4) send-proxy-v2-ssl-cn ssl verify required ca-file $c/ca.pem sni str(localhost) crt $c/proxy-combined.pem
# PROXY v1
listen imap-v1
    bind 127.0.0.1:$(h 8)
    server dovecot 127.0.0.1:$(d 0) send-proxy
# every TLV HAProxy 2.6 can send
listen imap-all-tlvs
    bind 127.0.0.1:$(h 10) $tls_bind alpn imap
    unique-id-format %{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2-ssl-cn proxy-v2-options authority,crc32c,unique-id,ssl-cipher,cert-sig,cert-key
# Clients of a unix socket frontend: HAProxy sends a v2 LOCAL header (with
# the SSL TLV) or v1 UNKNOWN for them. The client reaches the unix socket
# frontend through a TCP passthrough hop.
listen imap-unix-hop
    bind 127.0.0.1:$(h 11)
    server unix unix@$dir/hap-imap-tls.sock
listen imap-unix-tls
    bind unix@$dir/hap-imap-tls.sock $tls_bind
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2-ssl-cn
# ... re-encrypted to the ssl = yes listener with backend mTLS
listen imaps-unix-hop
    bind 127.0.0.1:$(h 12)
    server unix unix@$dir/hap-imaps-mtls.sock
listen imaps-unix-mtls
    bind unix@$dir/hap-imaps-mtls.sock $tls_bind
    server dovecot 127.0.0.1:$(d 4) send-proxy-v2-ssl-cn ssl verify required ca-file $c/ca.pem sni str(localhost) crt $c/proxy-combined.pem
# ... with PROXY v1 (UNKNOWN), no TLS
listen imap-unix-v1-hop
    bind 127.0.0.1:$(h 13)
    server unix unix@$dir/hap-imap-v1.sock
listen imap-unix-v1
    bind unix@$dir/hap-imap-v1.sock
    server dovecot 127.0.0.1:$(d 0) send-proxy
# re-encrypting with AUTHORITY: HAProxy's own SNI towards Dovecot differs
listen imaps-reencrypt-authority
    bind 127.0.0.1:$(h 14) $tls_bind
    server dovecot 127.0.0.1:$(d 4) send-proxy-v2-ssl-cn proxy-v2-options authority ssl verify required ca-file $c/ca.pem sni str(localhost)
# a plaintext client re-encrypted to the ssl = yes listener: the SSL TLV
# says the client used no TLS
listen imaps-reencrypt-plaintext-client
    bind 127.0.0.1:$(h 15)
    server dovecot 127.0.0.1:$(d 4) send-proxy-v2-ssl-cn ssl verify required ca-file $c/ca.pem sni str(localhost)
# health check as the documentation describes it (quoted "* OK")
listen imap-checked
    bind 127.0.0.1:$(h 9)
    option tcp-check
    tcp-check expect string "* OK"
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2 check inter $imap_check_inter
CFG

# a test program's own HAProxy sections (test_env_start_full()), with
# %DIR%, %D<n>% (Dovecot's port n) and %H<n>% (HAProxy's port n) filled in
if [ -f "$dir/extra-haproxy.cfg" ]; then
	script="s|%DIR%|$dir|g"
	for i in $(seq 0 29); do
		script="$script;s|%D$i%|$(d "$i")|g;s|%H$i%|$(h "$i")|g"
	done
	sed "$script" "$dir/extra-haproxy.cfg" >> "$dir/haproxy.cfg"
fi

if [ -n "$unshare_m" ]; then
	$unshare_m sh -c "mount --bind '$dir/settings' '$settings_dir' &&
		exec env $sanitizer_env /usr/sbin/dovecot -F -c '$dir/dovecot.conf'" \
		>"$dir/dovecot.stdout" 2>&1 &
else
	echo "env.sh: unshare -m is not available: cannot load the settings module privately" >&2
	exit 1
fi
echo $! > "$dir/dovecot.pid"
wait_ports="$(d 0) $(d 1) $(d 2) $(d 3) $(d 4)"
if [ -z "${TEST_ENV_NO_HAPROXY:-}" ]; then
	haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
	echo $! > "$dir/haproxy.pid"
	wait_ports="$wait_ports $(h 0) $(h 9)"
fi

# wait until both listen
for port in $wait_ports; do
	for _ in $(seq 100); do
		ss -Hltn "sport = :$port" | grep -q . && break
		for name in dovecot haproxy; do
			[ -f "$dir/$name.pid" ] || continue
			if ! kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
				echo "env.sh: $name failed to start:" >&2
				# some of these may not exist: under set -e a
				# failing cat would exit before stop
				cat "$dir/$name.stdout" "$dir/$name.log" \
					"$dir/dovecot.log" >&2 2>/dev/null || true
				stop
				exit 1
			fi
		done
		sleep 0.1
	done
done
