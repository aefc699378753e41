#!/bin/bash
# The smoke test inside a guest. smoke.sh run YES|NO: launch mode and attach by
# PID with exact checkpoints, then page faults; YES|NO is whether this kernel
# must use multi-uprobe links (NO: the per-function perf-uprobe fallback).
# smoke.sh refusal: the kernel is below the minimum; the tracer must refuse it
# with one clear line.
set -euo pipefail
expect=$1
want_multi=${2:-}
tracer=/pmt/phpmemtrace
php=(php8.2 -n)
cd /tmp

step() { echo "PMT-STEP: $*"; }
fail() { echo "PMT-FAIL: $*"; exit 1; }
# Runs the tracer; on failure shows its output, which is the diagnosis.
record() {
    local name=$1
    shift
    local t0=$SECONDS
    if ! "$tracer" record -q "$@" >"$name.out" 2>"$name.err"; then
        grep -m1 'kernel features:' "$name.err" || echo '(no feature line: it comes with -v)'
        tail -n 40 "$name.out" "$name.err"
        fail "$name: phpmemtrace record exited non-zero"
    fi
    step "$name: recorded in $((SECONDS - t0)) s"
}

if [[ $expect == refusal ]]; then
    step "below the minimum: the tracer must refuse with one line"
    if "$tracer" record -o refused.json -- "${php[@]}" /pmt/launch.php >refused.out 2>refused.err; then
        fail "the tracer ran on a kernel below the minimum"
    fi
    step "refused: $(cat refused.err)"
    [[ $(wc -l <refused.err) -eq 1 ]] || fail "expected one line on stderr, got $(wc -l <refused.err)"
    grep -q '^phpmemtrace: this kernel (.*) lacks .*bpf_loop (Linux 5.17)' refused.err ||
        fail "the line does not name bpf_loop"
    [[ ! -e refused.json ]] || fail "a report was written"
    exit 0
fi
[[ $expect == run ]] || fail "unknown expectation '$expect'"

# Which attach path this kernel takes, as the tracer itself sees it.
step "launch mode"
record launch -v -o launch.json -- "${php[@]}" /pmt/launch.php
features=$(grep -m1 'kernel features:' launch.err) || fail "no feature line in --verbose output"
step "$features"
grep -q "multi-uprobe links=$want_multi" <<<"$features" ||
    fail "expected multi-uprobe links=$want_multi on this kernel"
grep -q '^launch workload done' launch.out || fail "the PHP script's output is missing"
"${php[@]}" /pmt/check_report.php launch launch.json

step "attach by PID"
rm -f stop attach-started
"${php[@]}" /pmt/attach.php &
worker=$!
# Attach to PHP, not to the shell that is about to exec it.
waited=0
until [[ -e attach-started ]] || ((++waited > 600)); do sleep 0.1; done
[[ -e attach-started ]] || fail "the PHP worker did not start within 60 s"
record attach -p "$worker" --duration 4 -o attach.json
: >stop
wait "$worker" || fail "the attached PHP process failed"
"${php[@]}" /pmt/check_report.php attach attach.json

step "page faults"
record faults --faults -o faults.json -- "${php[@]}" /pmt/launch.php
"${php[@]}" /pmt/check_report.php faults faults.json
