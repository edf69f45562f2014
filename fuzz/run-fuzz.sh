#!/bin/sh
# Build the libFuzzer target of the decoder and the encoder with ASan and
# UBSan (Debian 12's clang) and run it for SECONDS (default 60) on a corpus
# seeded with the captured HAProxy headers. A crash leaves crash-* in the
# work directory and a non-zero exit code.
# Usage: fuzz/run-fuzz.sh [SECONDS] [WORKDIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
work=${2:-$top/build/fuzz}
mkdir -p "$work/corpus"
cp "$top"/tests/fixtures/*.bin "$work/corpus/"
clang -g -O1 -std=c99 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -I"$top/src/lib-proxy-header" -I"$top/tests/lib" \
	"$top/fuzz/fuzz-proxy-header.c" "$top/tests/lib/round-trip.c" \
	"$top"/src/lib-proxy-header/proxy-header*.c -o "$work/fuzz-proxy-header"
cd "$work"
./fuzz-proxy-header -max_total_time="$seconds" -max_len=4096 \
	-dict="$top/fuzz/proxy-header.dict" -print_final_stats=1 corpus
