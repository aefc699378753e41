#!/usr/bin/env bash
# Regenerates the committed seeds of fuzz_records and fuzz_session from real
# sessions (root: they load BPF). BUILD_DIR is a normal build (`make build`) with
# phpmemtrace and bench/pmt_bench_capture.
#
#   sudo tests/fuzz/capture_seeds.sh [BUILD_DIR]
#
# Record streams: every record kind the session decodes (allocator, heap
# structure, page faults), trimmed to ~48 KiB each. Session files: real `record`
# outputs with most heap samples dropped and small pages, ~40 KiB each. The ELF
# seed is not committed: the build makes it from the installed PHP binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
seeds=$root/tests/fuzz/seeds
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$seeds/records" "$seeds/session"
cd "$root"

for script in checkpoints fork_cow memory_limit heap_chunks gc_cycles; do
    # memory_limit.php ends in PHP's fatal error on purpose: its exit code is not ours.
    "$build/bench/pmt_bench_capture" --heap --faults --out "$work/$script.pmtrec" \
        -- php8.2 -n "tests/php/$script.php" >/dev/null || [[ $script == memory_limit ]]
    python3 tests/fuzz/trim_record_stream.py "$work/$script.pmtrec" "$seeds/records/$script.pmtrec"
done

for script in examples/leaky_worker.php tests/php/memory_limit.php; do
    name=$(basename "$script" .php)
    "$build/phpmemtrace" record --faults -o "$work/$name.db" -- php8.2 -n "$script" >/dev/null || true
    sqlite3 "$work/$name.db" "DELETE FROM heap_samples WHERE rowid NOT IN
        (SELECT rowid FROM heap_samples ORDER BY rowid LIMIT 40); PRAGMA page_size = 1024; VACUUM;"
    cp "$work/$name.db" "$seeds/session/$name.db"
done
ls -l "$seeds"/*
