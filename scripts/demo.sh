#!/bin/sh
# The product's main job on loopback: build the plugin, install it into a
# sandbox, start a private Dovecot and HAProxy, log in with a client
# certificate through HAProxy (SASL EXTERNAL), and show Dovecot's log line
# with the real client address. Then the same with a self-signed
# certificate HAProxy let through unverified, which must fail.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh scripts/install-deps.sh
[ -d build ] || meson setup build
meson compile -C build
sandbox=$top/build/demo-sandbox
rm -rf "$sandbox"
meson install -C build --destdir "$sandbox" >/dev/null
plugin_dir=$(find "$sandbox" -name lib20_haproxy_tlv_plugin.so -printf '%h\n')
echo "Installed into the sandbox:"
find "$sandbox" -type f -name '*.so' | sed "s|^$sandbox|  |"

dir=$(mktemp -d /tmp/haproxy-tlv-demo.XXXXXX)
trap 'sh tests/integration/env.sh stop "$dir"; rm -rf "$dir"' EXIT
sh tests/integration/env.sh start "$dir" 24000 "$plugin_dir"
echo
echo "Dovecot (imap-login with haproxy_tlv) listens on 127.0.0.1:24000 with"
echo "haproxy = yes; HAProxy terminates TLS on 127.0.0.1:24010 (verify optional)"
echo "and forwards with send-proxy-v2-ssl-cn. The client connects from 127.0.0.2."
echo
echo "1. CA-signed client certificate (CN=certuser):"
python3 scripts/demo-client.py 127.0.0.2 24010 "$dir/certs/client.pem" \
	"$dir/certs/client.key"
echo
echo "2. Self-signed certificate with the same CN, let through by a HAProxy"
echo "   frontend with crt-ignore-err all (127.0.0.1:24011): must fail"
if python3 scripts/demo-client.py 127.0.0.5 24011 "$dir/certs/selfsigned.pem" \
	"$dir/certs/selfsigned.key"; then
	echo "UNEXPECTED: the unverified certificate was accepted" >&2
	exit 1
fi
sleep 0.5
echo
echo "Dovecot's log:"
# Dovecot 2.3 writes "Login:" and "Disconnected", 2.4 "Logged in:" and
# "Login aborted"
grep -E "imap-login: Info: (Login|Logged in|Disconnected)" "$dir/dovecot.log" |
	sed 's/^/  /'
grep -Eq "(Login|Logged in): user=<certuser>, method=EXTERNAL, rip=127.0.0.2," \
	"$dir/dovecot.log"
