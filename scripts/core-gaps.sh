#!/bin/sh
# Measure what stock Dovecot core (its own `haproxy = yes` support, WITHOUT
# the haproxy_tlv plugin) does behind HAProxy. Starts a private Dovecot and
# HAProxy on 127.0.0.1 (own base_dir, state_dir, log file, instance name, in
# a temporary directory), runs scripts/core-gaps.py against them and prints
# one markdown table row per scenario, with the protocol reply and Dovecot
# log line actually seen. The system's dovecot and haproxy are not touched.
# Usage (as root): scripts/core-gaps.sh [BASE_PORT]     (default 25300)
# Ports: Dovecot BASE..BASE+4, HAProxy BASE+10..BASE+17, BASE+20 (checks);
# no other listeners (the default imaps, pop3s, submissions are overridden).
# Inside a Debian root: scripts/make-root.sh run /work/roots/trixie \
#     'cd /work/wt-gaps && scripts/core-gaps.sh 25100'
set -eu
here=$(cd "$(dirname "$0")" && pwd)
base=${1:-25300}
d() { echo $((base + $1)); }
h() { echo $((base + 10 + $1)); }

for port in $(seq "$base" $((base + 20))); do
	if ss -Hltn "sport = :$port" | grep -q .; then
		echo "core-gaps.sh: port $port is already in use" >&2
		exit 1
	fi
done

version=$(dovecot --version | cut -d' ' -f1)
case $version in
2.3.*) syntax=2.3 ;;
2.4.*) syntax=2.4 ;;
*) echo "core-gaps.sh: Dovecot $version is neither 2.3 nor 2.4" >&2; exit 1 ;;
esac

dir=$(mktemp -d /tmp/core-gaps.XXXXXX)
chmod 755 "$dir"
mkdir -p "$dir/run" "$dir/state" "$dir/home"
chmod 1777 "$dir/home"
sh "$here/../tests/helpers/make-certs.sh" "$dir/certs" certuser >/dev/null 2>&1
chmod 644 "$dir/certs"/*.key
c=$dir/certs

stop() {
	[ -f "$dir/haproxy.pid" ] && kill "$(cat "$dir/haproxy.pid")" 2>/dev/null || true
	rm -f "$dir/haproxy.pid"
	[ -e "$dir/run/master.pid" ] || return 0
	dovecot -c "$dir/dovecot.conf" stop 2>/dev/null || true
	for _ in $(seq 50); do
		[ -e "$dir/run/master.pid" ] || break
		sleep 0.1
	done
}
cleanup() {
	stop
	if [ -n "${CORE_GAPS_KEEP:-}" ]; then
		echo "(kept $dir)" >&2
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# haproxy-backend is the CN of HAProxy's own client certificate (backend
# mTLS): a login as haproxy-backend shows the proxy's identity leaking
cat > "$dir/passwd" <<PASSWD
plainuser:{PLAIN}secret::::::
certuser:::::::nopassword
haproxy-backend:::::::nopassword
PASSWD

if [ $syntax = 2.3 ]; then
	cat > "$dir/dovecot.conf" <<CONF
ssl_cert = <$c/server.pem
ssl_key = <$c/server.key
# the CA with its (empty) CRL: ssl_require_crl stays at its default
ssl_ca = <$c/ca-crl.pem
ssl_verify_client_cert = yes
ssl_cert_username_field = commonName
disable_plaintext_auth = yes
passdb {
  driver = passwd-file
  args = $dir/passwd
}
userdb {
  driver = static
  args = uid=dovenull gid=dovenull home=$dir/home/%u
}
mail_location = maildir:~/Maildir
CONF
else
	cat > "$dir/dovecot.conf" <<CONF
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
ssl_server_cert_file = $c/server.pem
ssl_server_key_file = $c/server.key
# the CA with its (empty) CRL: ssl_server_require_crl stays at its default
ssl_server_ca_file = $c/ca-crl.pem
ssl_server_request_client_cert = yes
ssl_server_cert_username_field = commonName
auth_allow_cleartext = no
passdb passwd-file {
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
mail_path = ~/Maildir
CONF
fi
cat >> "$dir/dovecot.conf" <<CONF
# private instance of stock Dovecot: no login plugins
protocols = imap pop3 submission sieve
base_dir = $dir/run
state_dir = $dir/state
instance_name = core-gaps-$base
log_path = $dir/dovecot.log
listen = 127.0.0.1
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
hostname = mail.example.test
submission_relay_host = 127.0.0.1
submission_relay_port = 9
# 127.0.0.2: HAProxy's source address towards Dovecot in scenario 5c only
haproxy_trusted_networks = 127.0.0.1/32 127.0.0.2/32
haproxy_timeout = 3 s
ssl = yes
auth_ssl_username_from_cert = yes
auth_mechanisms = plain external
auth_verbose = yes
# only for the evidence: the login process's request to auth (with the
# cert_username it passes) is logged
auth_debug = yes
auth_failure_delay = 0
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
}
service pop3-login {
  inet_listener pop3 {
    port = $(d 1)
    haproxy = yes
  }
  # no default listeners outside our port range
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = $(d 2)
    haproxy = yes
  }
  inet_listener submissions {
    port = 0
  }
}
service managesieve-login {
  inet_listener sieve {
    port = $(d 3)
    haproxy = yes
  }
}
CONF

tls_bind="ssl crt $c/server-combined.pem ca-file $c/ca.pem verify optional"
cat > "$dir/haproxy.cfg" <<CFG
global
    log stderr format raw local0 warning
    noreuseport
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen imap-tls
    bind 127.0.0.1:$(h 0) $tls_bind
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2-ssl-cn
listen pop3-tls
    bind 127.0.0.1:$(h 1) $tls_bind
    server dovecot 127.0.0.1:$(d 1) send-proxy-v2-ssl-cn
listen submission-tls
    bind 127.0.0.1:$(h 2) $tls_bind
    server dovecot 127.0.0.1:$(d 2) send-proxy-v2-ssl-cn
listen sieve-tls
    bind 127.0.0.1:$(h 3) $tls_bind
    server dovecot 127.0.0.1:$(d 3) send-proxy-v2-ssl-cn
listen imap-tls-ignore-errors
    bind 127.0.0.1:$(h 4) $tls_bind crt-ignore-err all ca-ignore-err all
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2-ssl-cn
listen imaps-reencrypt-mtls
    bind 127.0.0.1:$(h 5) $tls_bind
    server dovecot 127.0.0.1:$(d 4) send-proxy-v2-ssl-cn ssl verify required ca-file $c/ca.pem crt $c/proxy-combined.pem sni str(localhost)
listen imap-plain-v2
    bind 127.0.0.1:$(h 6)
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2
listen imap-plain-v2-other-source
    bind 127.0.0.1:$(h 7)
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2 source 127.0.0.2
CFG

# the health check scenario runs alone in a second HAProxy (started and
# stopped by core-gaps.py), so that every Dovecot log line in its window
# comes from a check
cat > "$dir/haproxy-checks.cfg" <<CFG
global
    log stderr format raw local0 warning
    noreuseport
    stats socket $dir/haproxy-checks.sock mode 600 level admin
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout check 2s
listen imap-checked
    bind 127.0.0.1:$(h 10)
    option tcp-check
    tcp-check expect string "* OK"
    server dovecot 127.0.0.1:$(d 0) send-proxy-v2 check inter 300ms
CFG

dovecot -c "$dir/dovecot.conf" >"$dir/dovecot.stdout" 2>&1 || {
	cat "$dir/dovecot.stdout" >&2
	exit 1
}
haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
echo $! > "$dir/haproxy.pid"

packages=$(dpkg-query -W -f '${Package} ${Version}, ' dovecot-core haproxy)
echo "### Dovecot $(dovecot --version) (${packages%, }), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
python3 "$here/core-gaps.py" --dir "$dir" --base "$base"
