#!/usr/bin/env bash
# test-kernels.sh [--tracer PATH] [SUITE...]: the kernel matrix (`make test-kernels`).
#
# Boots each kernel below in turn (one qemu at a time: the machine has two
# cores) and prints a table: kernel, result, time. Exit non-zero if any failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/kernels/common.sh"

tracer_args=()
if [[ ${1:-} == --tracer ]]; then
    tracer_args=(--tracer "$2")
    shift 2
fi

# suite  expectation  multi-uprobe links  why this kernel
matrix=(
    "bookworm     run      no   Debian 12 (6.1): the per-function perf-uprobe fallback"
    "trixie       run      yes  Debian 13 (6.12)"
    "experimental run      yes  the newest kernel Debian has"
    "bullseye     refusal  no   Debian 11 (5.10): below the minimum, no bpf_loop"
)
only=("$@")

logs=${PMT_KERNEL_LOGS:-$here/../build/kernels}
rm -f "$logs"/*.kernel
rows=()
failed=0
total_start=$SECONDS
for entry in "${matrix[@]}"; do
    read -r suite expect multi why <<<"$entry"
    if ((${#only[@]})) && [[ " ${only[*]} " != *" $suite "* ]]; then continue; fi
    log "=== $suite: $why"
    start=$SECONDS
    if "$here/kernel-guest.sh" "${tracer_args[@]}" "$suite" "$expect" "$multi"; then
        result=PASS
        [[ $expect == refusal ]] && result="PASS (refused)"
    else
        result=FAIL
        failed=$((failed + 1))
    fi
    kernel="?"
    if [[ -f $logs/$suite.kernel ]]; then kernel=$(cut -d' ' -f1 "$logs/$suite.kernel"); fi
    rows+=("$(printf '%-13s %-24s %-15s %5d s' "$suite" "$kernel" "$result" $((SECONDS - start)))")
done

((${#rows[@]})) || die "no suite of the matrix matches: ${only[*]}"
echo
printf '%-13s %-24s %-15s %7s\n' suite kernel result time
for row in "${rows[@]}"; do echo "$row"; done
echo "total: $((SECONDS - total_start)) s"
echo "test-kernels: $((${#rows[@]} - failed)) passed, $failed failed"
((failed == 0))
