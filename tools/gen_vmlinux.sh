#!/usr/bin/env bash
# Regenerates the vendored vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# The BPF programs are CO-RE: they are compiled once against this header and
# relocated by libbpf to the kernel they load into, so it only needs refreshing
# to use types or fields newer than the vendored ones.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-x86}
btf=/sys/kernel/btf/vmlinux
[[ -r $btf ]] || { echo "gen_vmlinux: $btf not readable (kernel without BTF?)" >&2; exit 1; }
mkdir -p "vmlinux/$arch"
bpftool btf dump file "$btf" format c > "vmlinux/$arch/vmlinux.h.tmp"
mv "vmlinux/$arch/vmlinux.h.tmp" "vmlinux/$arch/vmlinux.h"
echo "wrote vmlinux/$arch/vmlinux.h ($(wc -l < "vmlinux/$arch/vmlinux.h") lines) from $(uname -r)"
