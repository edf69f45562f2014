#!/bin/sh
# Build the libFuzzer target of the forwarded client certificate
# (fuzz/fuzz-cert.c) with ASan and UBSan against Debian's libdovecot and
# OpenSSL, and run it for SECONDS (default 60) on a corpus seeded with
# make-certs.sh's certificates as DER, hex, base64 and DER cut at its first
# NUL byte. A crash leaves crash-* in the work directory and a non-zero
# exit code.
# Usage: fuzz/run-fuzz-cert.sh [SECONDS] [WORKDIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
work=${2:-$top/build/fuzz-cert}
dovecot_inc=${DOVECOT_INCLUDE:-/usr/include/dovecot}
dovecot_lib=${DOVECOT_LIBDIR:-/usr/lib/dovecot}
mkdir -p "$work/corpus"
sh "$top/tests/helpers/make-certs.sh" "$work/certs"
for name in client server proxy selfsigned ca; do
	der=$work/corpus/$name.der
	openssl x509 -in "$work/certs/$name.pem" -outform DER -out "$der"
	od -An -v -tx1 "$der" | tr -d ' \n' | tr a-f A-F \
		> "$work/corpus/$name.hex"
	openssl base64 -A -in "$der" > "$work/corpus/$name.b64"
	# what HAProxy's raw %[ssl_c_der] sends
	nul=$(od -An -v -tu1 -w1 "$der" | grep -n '^ *0$' | head -n 1 |
		cut -d: -f1)
	head -c "$((nul - 1))" "$der" > "$work/corpus/$name.cut"
done
clang -g -O1 -std=gnu99 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -DHAVE_CONFIG_H -I"$dovecot_inc" \
	-I"$top/src/lib-haproxy-tlv" \
	"$top/fuzz/fuzz-cert.c" "$top/src/lib-haproxy-tlv/haproxy-tlv-cert.c" \
	"$dovecot_lib/libdovecot.so" -Wl,-rpath,"$dovecot_lib" -lcrypto \
	-o "$work/fuzz-cert"
cd "$work"
./fuzz-cert -max_total_time="$seconds" -max_len=4096 \
	-print_final_stats=1 corpus
