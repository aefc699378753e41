#!/usr/bin/env bash
# Runs each fuzz target for SECONDS over its seeds; fails on the first finding.
#
#   tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS [fuzz_elf|fuzz_records|fuzz_session ...]
#
# New inputs go to BUILD_DIR/tests/fuzz/corpus/NAME (kept between runs, never in
# the source tree); a crash, leak or timeout is written to
# BUILD_DIR/tests/fuzz/findings/NAME-* and reproduces with `BUILD_DIR/tests/fuzz/NAME FILE`.
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=$2
shift 2
names=("$@")
((${#names[@]})) || names=(fuzz_elf fuzz_records fuzz_session)
here=$(cd "$(dirname "$0")" && pwd)
out=$build/tests/fuzz
for name in "${names[@]}"; do
    kind=${name#fuzz_}
    seeds=$here/seeds/$kind
    [[ $kind == elf ]] && seeds=$out/seeds/elf  # made at build time from the installed PHP
    mkdir -p "$out/corpus/$kind" "$out/findings"
    echo "== $name: ${seconds}s over $seeds"
    # -timeout: an input that takes a second is a finding (the tracer would stall on it).
    "$out/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/findings/$name-" "$out/corpus/$kind" "$seeds"
done
