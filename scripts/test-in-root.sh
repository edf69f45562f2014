#!/bin/sh
# Run every test and build, check and install the Debian package inside a
# Debian 13 (trixie: Dovecot 2.4.1, HAProxy 3.0) or testing (forky: Dovecot
# 2.4.5, HAProxy 3.2) root on this machine, as root:
#   scripts/test-in-root.sh trixie|forky [ROOT]
# The root (default /var/tmp/dovecot-haproxy-tlv-roots/SUITE) is made with
# scripts/make-root.sh if it does not exist yet, and kept for the next run.
# The tree's files (git ls-files) are copied into ROOT/src; the host's own
# Dovecot and HAProxy are never touched.
set -eu
cd "$(dirname "$0")/.."
suite=$1
root=${2:-/var/tmp/dovecot-haproxy-tlv-roots/$suite}
mkdir -p "$root"
sh scripts/make-root.sh "$suite" "$root"
rm -rf "$root/src"
mkdir "$root/src"
git ls-files -z | xargs -0 cp --parents -t "$root/src"
status=0
# the package is built without running the suite a second time: test.sh
# has just run it on the same tree, and the autopkgtest runs its
# integration part again against the installed package
sh scripts/make-root.sh run "$root" 'cd /src && ./scripts/test.sh &&
	DEB_BUILD_OPTIONS=nocheck ./scripts/package.sh' || status=$?
sh scripts/make-root.sh umount "$root"
exit $status
