#!/bin/sh
# Build the Debian package from a copy of the tree, check it with lintian,
# install it, and run the integration suite against the installed package
# (the autopkgtest in debian/tests). Prints the path of the .deb.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
work=$(mktemp -d /tmp/dovecot-haproxy-tlv-package.XXXXXX)
mkdir "$work/src"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z | xargs -0 cp --parents -t "$work/src"
else
	# a tree without git (scripts/test-in-root.sh): its files without the
	# build directories
	for f in $(ls -A); do
		case $f in
		build-aux) ;;
		build|build-*) continue ;;
		esac
		cp -a "$f" "$work/src/"
	done
fi
(cd "$work/src" && dpkg-buildpackage -b -us -uc)
deb=$(ls "$work"/dovecot-haproxy-tlv_*.deb)
lintian --fail-on error "$deb"
for f in usr/lib/dovecot/modules/login/lib20_haproxy_tlv_plugin.so \
	 usr/lib/dovecot/modules/settings/libhaproxy_tlv_settings.so \
	 usr/lib/dovecot/modules/doveadm/lib10_doveadm_haproxy_plugin.so \
	 usr/share/man/man1/doveadm-haproxy.1.gz \
	 etc/dovecot/conf.d/20-haproxy-tlv.conf; do
	dpkg -c "$deb" | grep -q " \./$f\$" || {
		echo "package.sh: $f missing from $deb" >&2
		exit 1
	}
done
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb"
(cd "$top" && $SUDO sh debian/tests/integration)
echo "package: $deb"
