#!/bin/sh
# Build the Debian package from a copy of the tree, check it with lintian,
# install it, and run the integration suite against the installed package
# (the autopkgtest in debian/tests). Prints the path of the .deb.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
work=$(mktemp -d /tmp/dovecot-haproxy-tlv-package.XXXXXX)
mkdir "$work/src"
git ls-files -z | xargs -0 cp --parents -t "$work/src"
(cd "$work/src" && dpkg-buildpackage -b -us -uc)
deb=$(ls "$work"/dovecot-haproxy-tlv_*.deb)
lintian --fail-on error "$deb"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb"
(cd "$top" && $SUDO sh debian/tests/integration)
echo "package: $deb"
