#!/bin/sh
# Install what building and testing need, from Debian 12's own packages.
# Installing dovecot-core and haproxy must not start or change the system's
# own services: policy-rc.d refuses service starts during the install.
set -eu
cd "$(dirname "$0")"
missing=
for pkg in $(cat deps.txt); do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
policy_created=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	policy_created=yes
fi
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
[ -z "$policy_created" ] || $SUDO rm -f /usr/sbin/policy-rc.d
