#!/bin/sh
# Run the integration suite (or the tests given) with memory checking
# inside the real Dovecot login processes, and summarise the reports.
# Usage: scripts/memcheck.sh valgrind|asan [meson test args]
#   valgrind  the plugin of ./build; imap-, pop3-, submission- and
#             managesieve-login run under valgrind memcheck (imap-login
#             with service_count = 1, pop3-login with service_count = 0)
#   asan      the plugin and modules of ./build-memcheck-asan (ASan +
#             UBSan, recoverable), the ASan runtime preloaded into every
#             Dovecot process, LeakSanitizer at each process's exit
# Environment: MEMCHECK_BUILD_DIR (the build directory), MEMCHECK_OUT (the
# reports; default BUILD_DIR/memcheck-MODE, emptied first).
# Exit status: non-zero if a test failed or the checker found an error,
# a definite leak from our modules, or a process without its summary.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-}
[ $# -gt 0 ] && shift
case $mode in
valgrind)
	builddir=${MEMCHECK_BUILD_DIR:-build}
	[ -d "$builddir" ] || meson setup "$builddir"
	# valgrind makes a login process start in seconds, not milliseconds
	multiplier=4
	export TEST_LOGIN_WRAPPER=valgrind
	# the tests' guards against hanging (not assertions) five times longer
	export TEST_GUARD_FACTOR=5
	;;
asan)
	builddir=${MEMCHECK_BUILD_DIR:-build-memcheck-asan}
	# -fsanitize-recover=address: a report does not end the process
	# (halt_on_error=0), so that one run collects all of them
	[ -d "$builddir" ] || meson setup "$builddir" \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize-recover=address
	multiplier=2
	export TEST_GUARD_FACTOR=2
	# LeakSanitizer in login processes, and our modules named in its
	# reports: tests/helpers/memcheck-preload.c
	mkdir -p "$builddir"
	cc -Wall -Wextra -shared -fPIC -o "$builddir/memcheck-preload.so" \
		tests/helpers/memcheck-preload.c -ldl
	TEST_MEMCHECK_PRELOAD=$(cd "$builddir" && pwd)/memcheck-preload.so
	export TEST_MEMCHECK_PRELOAD
	;;
*)
	echo "usage: $0 valgrind|asan [meson test args]" >&2
	exit 2
	;;
esac
meson compile -C "$builddir"
out=${MEMCHECK_OUT:-$builddir/memcheck-$mode}
rm -rf "$out"
mkdir -p "$out"
TEST_MEMCHECK_DIR=$(cd "$out" && pwd)
export TEST_MEMCHECK_DIR

start=$(date +%s)
status=0
if [ $# -eq 0 ]; then
	set -- --suite integration
fi
meson test -C "$builddir" --print-errorlogs \
	--timeout-multiplier "$multiplier" "$@" || status=$?
# login processes still exiting (valgrind's leak check takes seconds)
for _ in $(seq 120); do
	pgrep -f "$TEST_MEMCHECK_DIR/" >/dev/null || break
	sleep 1
done
end=$(date +%s)
echo "meson test: exit status $status, $((end - start)) s"
python3 scripts/memcheck-check.py "$mode" "$TEST_MEMCHECK_DIR" || status=1
echo "reports: $TEST_MEMCHECK_DIR"
exit "$status"
