#!/usr/bin/env bash
# What `make test-kernels` needs on the host, from Debian's packages: qemu (TCG
# software emulation: nested KVM hangs on these VMs), debootstrap for the guest's
# root file system, cpio to pack it as an initramfs. Idempotent; needs root.
set -euo pipefail
packages=(qemu-system-x86 debootstrap cpio gzip debian-archive-keyring)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    [[ $(id -u) -eq 0 ]] || { echo "kernels/install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
    echo "kernels/install-deps: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
