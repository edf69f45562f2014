#!/bin/sh
# Print one variable of a dovecot-config file (a shell fragment).
# DOVECOT_ABI_VERSION is not in it; it comes from the config.h it points at.
# Usage: dovecot-config-var.sh DOVECOT_CONFIG VARIABLE
set -eu
config=$1
var=$2
[ -r "$config" ] || { echo "cannot read $config" >&2; exit 1; }
. "$config"
if [ "$var" = DOVECOT_ABI_VERSION ]; then
	sed -n 's/^#define DOVECOT_ABI_VERSION "\(.*\)"$/\1/p' \
		"$dovecot_pkgincludedir/config.h"
	exit 0
fi
eval "printf '%s\n' \"\${$var}\""
