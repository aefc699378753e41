#!/usr/bin/env bash
# kernel-guest.sh [--tracer PATH] SUITE EXPECT UPROBE_MULTI
#
# Boots Debian SUITE's kernel (linux-image-amd64) under qemu's software
# emulation with a Debian 12 initramfs holding php8.2 and the tracer, and runs
# the smoke test in it (tools/kernels/guest/smoke.sh). EXPECT is `run` (a
# supported kernel: trace and check) or `refusal` (below the minimum: the tracer
# must refuse with one line). UPROBE_MULTI (yes|no) is whether the tracer must
# find multi-uprobe links on this kernel. Exit 0 when the guest printed PASS.
#
# The kernel and the root file system are cached (tools/kernels/common.sh);
# only the overlay with the tracer and the test scripts is packed each run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/kernels/common.sh"

tracer=$here/../build/phpmemtrace
if [[ ${1:-} == --tracer ]]; then
    tracer=$2
    shift 2
fi
suite=${1:?usage: kernel-guest.sh [--tracer PATH] SUITE run|refusal yes|no}
expect=${2:?}
multi=${3:-no}
logs=${PMT_KERNEL_LOGS:-$here/../build/kernels}
timeout_s=${PMT_GUEST_TIMEOUT:-900}
[[ -x $tracer ]] || die "no tracer binary at $tracer (make build)"

kernel=$("$here/kernels/fetch-kernel.sh" "$suite")
rootfs=$("$here/kernels/build-rootfs.sh" "$tracer")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The overlay: /init and /pmt. Appended to the cached rootfs archive; the kernel
# unpacks concatenated cpio archives in order, later files winning.
mkdir -p "$work/overlay/pmt"
# Without its debug info (47 MB -> 3 MB): unpacking the initramfs is a good part
# of an emulated boot.
objcopy --strip-debug "$tracer" "$work/overlay/pmt/phpmemtrace"
install -m 0755 "$here/kernels/guest/init" "$work/overlay/init"
install -m 0755 "$here/kernels/guest/smoke.sh" "$work/overlay/pmt/smoke.sh"
install -m 0644 "$here"/kernels/guest/*.php "$work/overlay/pmt/"
(cd "$work/overlay" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$work/overlay.cpio.gz"
cat "$rootfs" "$work/overlay.cpio.gz" >"$work/initrd"

mkdir -p "$logs"
log_file=$logs/$suite.log
# For test-kernels.sh's table: which kernel this suite turned out to be.
read -r _ version _ <"$kernel/package"
echo "$(cat "$kernel/release") $version" >"$logs/$suite.kernel"
log "booting $(cat "$kernel/release") ($suite) under qemu TCG; serial console in $log_file"
status=0
# The PMT- lines are the test's own; the rest of the console goes to the log.
# thread=single: one host thread runs both vCPUs in turn. With a thread per vCPU,
# a CPU could run kernel text another CPU was patching (text_poke's int3) after
# the patch was done: Debian's 7.3 oopsed at boot in 1 of 4 runs ("Oops: int3"
# in sched_clock_cpu while a static key flipped), and never in 6 runs like this.
timeout "$timeout_s" qemu-system-x86_64 -accel tcg,thread=single -m 3G -smp 2 -nographic -no-reboot \
    -kernel "$kernel/vmlinuz" -initrd "$work/initrd" \
    -append "console=ttyS0 panic=-1 loglevel=4 pmt.expect=$expect pmt.uprobe_multi=$multi" \
    </dev/null >"$log_file" 2>&1 || status=$?
grep -a '^PMT-' "$log_file" | tr -d '\r' >&2
if ((status == 124)); then
    die "$suite: the guest did not power off within $timeout_s s"
elif ((status != 0)); then
    tail -n 20 "$log_file" >&2
    die "$suite: qemu exited with $status"
fi
grep -aq '^PMT-GUEST-RESULT: PASS' "$log_file" || die "$suite: the guest did not report PASS"
