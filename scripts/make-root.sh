#!/bin/sh
# Make a Debian root with another Dovecot for building and testing the
# plugin against it, on any Debian machine, as root:
#   scripts/make-root.sh trixie DIR     Debian 13: Dovecot 2.4.1, HAProxy 3.0
#   scripts/make-root.sh forky DIR      Debian testing: Dovecot 2.4.5, HAProxy 3.2
#   scripts/make-root.sh run DIR CMD    run CMD (sh -c) inside DIR with /proc,
#                                       /dev and a fresh /tmp mounted
#   scripts/make-root.sh umount DIR     undo the mounts
# The root gets the packages of scripts/deps.txt and deps-package.txt from
# its own suite. The host's own dovecot and haproxy are never touched:
# everything is inside
# DIR, and policy-rc.d there refuses to start services. The root shares the
# host's network namespace, so tests inside it use 127.0.0.0/8 as on the
# host.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

mounted() { grep -q " $1 " /proc/mounts; }

mount_root() {
	root=$1
	# the root a mount point of its own, private: tests inside run
	# Dovecot in a mount namespace (unshare -m), which needs / to be one
	if ! mounted "$root"; then
		mount --bind "$root" "$root"
		mount --make-private "$root"
	fi
	mounted "$root/proc" || mount --bind /proc "$root/proc"
	mounted "$root/dev" || mount --bind /dev "$root/dev"
	mounted "$root/dev/pts" || mount --bind /dev/pts "$root/dev/pts"
	mounted "$root/tmp" || mount -t tmpfs tmpfs "$root/tmp"
}

umount_root() {
	root=$1
	mounted "$root" || return 0
	# a test's Dovecot children may still be exiting after their master
	# (the root's /tmp is then busy for a moment): wait for them, then
	# detach what is still held, which goes once they have exited
	for _ in $(seq 20); do
		umount -R "$root" 2>/dev/null && return 0
		sleep 0.5
	done
	umount -R -l "$root"
}

make_root() {
	suite=$1 root=$2
	script=$suite
	# debootstrap of Debian 12 has no script for testing: sid's works
	[ -e "/usr/share/debootstrap/scripts/$suite" ] || script=sid
	if [ ! -x "$root/usr/bin/apt-get" ]; then
		debootstrap --variant=minbase "$suite" "$root" "$mirror" \
			"/usr/share/debootstrap/scripts/$script"
	fi
	printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	mount_root "$root"
	# testing's Release file may be past Valid-Until on a mirror
	chroot "$root" apt-get -q -o Acquire::Check-Valid-Until=false update
	chroot "$root" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q $(cat "$here/deps.txt" "$here/deps-package.txt")
}

case "${1:-}" in
run)
	root=$2; shift 2
	mount_root "$root"
	exec chroot "$root" sh -c "$*"
	;;
umount)
	umount_root "$2"
	;;
trixie|forky)
	[ -x /usr/sbin/debootstrap ] || apt-get install -y -q debootstrap
	make_root "$1" "$2"
	;;
*)
	echo "usage: $0 trixie|forky DIR | run DIR CMD | umount DIR" >&2
	exit 64
	;;
esac
