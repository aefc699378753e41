#!/usr/bin/env bash
# build-rootfs.sh TRACER: prints the path of a gzipped cpio (newc) holding a
# Debian 12 minbase system with php8.2-cli and the libraries TRACER links
# against, ready to be a guest's initramfs. The tracer itself is not in it: it
# goes into a small overlay packed on every run (boot-guest.sh).
#
# Cached under a key made of the recipe's version and the versions of the
# packages it installs, so a new php8.2 or libbpf upload rebuilds it.
set -euo pipefail
source "$(dirname "$0")/common.sh"

tracer=${1:?usage: build-rootfs.sh TRACER}
suite=bookworm
# Bump when what goes into the image changes.
recipe=1

# The Debian packages of the shared libraries the tracer loads, in one dpkg -S
# (each call reads the whole dpkg database). Matched by */x86_64-linux-gnu/NAME:
# with merged /usr, dpkg knows some libraries under /lib, others under /usr/lib.
mapfile -t libs < <(ldd "$tracer" | awk '$3 ~ /^\// {print $3}' | xargs -r readlink -f | sed 's|.*/|*/x86_64-linux-gnu/|')
((${#libs[@]})) || die "ldd found no libraries in $tracer"
owners=$(dpkg -S "${libs[@]}") || die "dpkg does not know every library of $tracer"
mapfile -t packages < <({ echo php8.2-cli; cut -d: -f1 <<<"$owners"; } | sort -u)

kapt_update
versions=$(kapt_memo "rootfs-$suite-$(sha256sum <<<"${packages[*]}" | cut -c1-16)" \
    kapt_versions "$suite" "${packages[@]}")$'\n'
for p in "${packages[@]}"; do
    grep -q "^$p=" <<<"$versions" || die "$p is not in $suite"
done
key=$(sha256sum <<<"recipe=$recipe"$'\n'"$versions" | cut -c1-16)
out=$PMT_KERNEL_CACHE/rootfs/$suite-$key.cpio.gz
if [[ -f $out ]]; then
    echo "$out"
    exit 0
fi

log "building the $suite rootfs: debootstrap minbase + ${packages[*]}"
mkdir -p "$PMT_KERNEL_CACHE/rootfs"
work=$(mktemp -d "$PMT_KERNEL_CACHE/tmp.XXXXXX")
# debootstrap mounts proc and sys inside the tree while it installs; whatever
# happens, nothing stays mounted on the host.
cleanup() {
    findmnt -rn -o TARGET | awk -v w="$work/" 'index($0, w) == 1' | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" "$suite" "$root" "$PMT_MIRROR" \
    >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
# What a guest never reads; smaller is faster to unpack under emulation.
rm -rf "$root"/usr/share/{doc,man,info,locale}/* "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/*
printf '%s' "$versions" >"$root/etc/phpmemtrace-rootfs-packages"
(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -6 >"$work/rootfs.cpio.gz"
mv "$work/rootfs.cpio.gz" "$out"
# Older rootfs images of this suite are dead weight now.
find "$PMT_KERNEL_CACHE/rootfs" -name "$suite-*.cpio.gz" ! -path "$out" -delete
log "rootfs: $out ($(du -h "$out" | cut -f1))"
echo "$out"
