#!/bin/sh
# Decoder benchmark: nanoseconds (median of repeated runs) and instruction
# counts (valgrind callgrind, repeatable on a noisy machine) per header,
# for the decoder and for a baseline that reads each byte once.
# Usage: bench/run-decoder-bench.sh [BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
bin=$build/bench/decoder-bench
fixtures=$top/tests/fixtures
count=1000
[ -x "$bin" ] || meson compile -C "$build" bench/decoder-bench >/dev/null

echo "== time (ns per header, median of 21 rounds of 20000 calls)"
"$bin" "$fixtures" time
echo
echo "== instructions per header (callgrind, $count calls each)"
printf '%-22s %12s %12s %7s\n' header decode baseline ratio
instr() {
	out=$(mktemp)
	valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect="$3" "$bin" "$fixtures" run "$1" "$2" $count \
		>/dev/null 2>&1
	total=$(sed -n 's/^totals: //p; s/^summary: //p' "$out" | head -n1)
	rm -f "$out"
	echo $((total / count))
}
for name in v1-tcp4 v1-tcp6 v2-tcp4 v2-tcp6 v2-ssl-cn-verified \
	    v2-ssl-cn-no-cert v2-ssl-cn-unverified v2-crc32c-unique-id \
	    v2-all-options worst-case-tlvs; do
	d=$(instr "$name" decode decode_header)
	b=$(instr "$name" baseline baseline_touch_bytes)
	awk -v n="$name" -v d="$d" -v b="$b" \
		'BEGIN { printf "%-22s %12d %12d %7.2f\n", n, d, b, d / b }'
done
