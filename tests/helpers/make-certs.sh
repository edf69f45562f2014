#!/bin/sh
# Create a test CA, a server certificate, a CA-signed client certificate,
# HAProxy's own client certificate (proxy, CN haproxy-backend) and a
# self-signed client certificate in directory $1. ca-crl.pem is the CA
# followed by its (empty) CRL: Dovecot reads CRLs from ssl_ca, and with
# its default ssl_require_crl = yes no client certificate is valid to it
# without one.
# Usage: make-certs.sh DIR [CLIENT_CN]
set -eu
dir=$1
cn=${2:-certuser}
mkdir -p "$dir"
cd "$dir"
# ca-crl.pem is written last: a directory without it is (re)done
[ -f ca-crl.pem ] && exit 0
subj() { printf '/O=dovecot-haproxy-tlv test/CN=%s' "$1"; }
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
	-keyout ca.key -out ca.pem -subj "$(subj 'Test CA')" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
issue() {
	name=$1; subject=$2; ext=$3
	openssl req -newkey rsa:2048 -nodes -keyout "$name.key" \
		-out "$name.csr" -subj "$(subj "$subject")" 2>/dev/null
	printf '%s\n' "$ext" > "$name.ext"
	openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key \
		-CAcreateserial -days 3650 -sha256 -extfile "$name.ext" \
		-out "$name.pem" 2>/dev/null
	cat "$name.pem" "$name.key" > "$name-combined.pem"
}
issue server localhost \
	"subjectAltName=DNS:localhost,DNS:mail.example.test,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth"
issue client "$cn" "extendedKeyUsage=clientAuth"
issue proxy haproxy-backend "extendedKeyUsage=clientAuth"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
	-keyout selfsigned.key -out selfsigned.pem \
	-subj "$(subj "$cn")" 2>/dev/null
cat selfsigned.pem selfsigned.key > selfsigned-combined.pem
# openssl ca needs a configuration and a database (empty: nothing revoked)
cat > ca.cnf <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = index.txt
default_md = sha256
default_crl_days = 3650
CNF
: > index.txt
openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem \
	-out ca.crl 2>/dev/null
# For the forwarded-certificate tests (tests/integration/test-cert.c), added
# after the files above so that those stay as they were. The subjects are
# written in full (subj_full): email (CN=$cn, emailAddress=certmail@...,
# a local part unlike the CN, so a login shows where its name came from),
# twocn and twomail (the field twice), ctrl (a control character in the
# e-mail address), otherca (the email subject, issued by a second CA, other-ca.pem).
issue_full() {
	name=$1; subject=$2; ca=$3
	openssl req -newkey rsa:2048 -nodes -keyout "$name.key" \
		-out "$name.csr" -subj "$subject" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' > "$name.ext"
	openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" \
		-CAcreateserial -days 3650 -sha256 -extfile "$name.ext" \
		-out "$name.pem" 2>/dev/null
	cat "$name.pem" "$name.key" > "$name-combined.pem"
}
o='/O=dovecot-haproxy-tlv test'
issue_full email "$o/CN=$cn/emailAddress=certmail@example.test" ca
issue_full twocn "$o/CN=$cn/CN=other/emailAddress=certmail@example.test" ca
issue_full twomail "$o/CN=$cn/emailAddress=certmail@example.test/emailAddress=other@example.test" ca
issue_full ctrl "$(printf '%s/CN=%s/emailAddress=cert\001mail@example.test' "$o" "$cn")" ca
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
	-keyout other-ca.key -out other-ca.pem -subj "$o/CN=Other CA" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
issue_full otherca "$o/CN=$cn/emailAddress=certmail@example.test" other-ca
cat ca.pem ca.crl > ca-crl.pem
