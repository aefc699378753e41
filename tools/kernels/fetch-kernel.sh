#!/usr/bin/env bash
# fetch-kernel.sh SUITE: prints the path of a directory holding `vmlinuz` (and
# `release`, `package`, and `config` when the package has it) of the kernel that Debian's SUITE ships as
# linux-image-amd64. Downloaded as a .deb with apt-get download and unpacked
# with dpkg-deb -x; never installed. Cached by package name and version.
set -euo pipefail
source "$(dirname "$0")/common.sh"

suite=${1:?usage: fetch-kernel.sh SUITE}
kapt_update

# "PACKAGE VERSION" of the kernel binary: the versioned image package the
# metapackage depends on (e.g. linux-image-6.1.0-50-amd64; a version-exact
# dependency, so the first "linux-image-*" of its Depends), or since 7.x, when
# that is split, its linux-binary-* package.
resolve() {
    local image binary package version
    image=$(depends_of "linux-image-amd64/$suite" | sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' | head -n1)
    [[ -n $image ]] || die "no linux-image-amd64 in $suite"
    binary=$(depends_of "$image/$suite" | sed -n 's/^ *\(linux-binary-[^ ]*\).*/\1/p' | head -n1)
    package=${binary:-$image}
    version=$(kapt_version "$package" "$suite")
    [[ -n $version ]] || die "no version of $package in $suite"
    echo "$package $version"
}
depends_of() { kapt_cache show --no-all-versions "$1" | sed -n 's/^Depends: //p' | head -n1 | tr ',' '\n'; }
read -r package version < <(kapt_memo "kernel-$suite" resolve)
[[ -n $version ]] || die "could not resolve the kernel of $suite"

dir=$PMT_KERNEL_CACHE/kernels/${package}_${version}
if [[ ! -f $dir/vmlinuz ]]; then
    log "downloading $package $version ($suite)"
    work=$(mktemp -d "$PMT_KERNEL_CACHE/tmp.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && kapt_get -qq download "$package/$suite" >&2)
    dpkg-deb -x "$work"/*.deb "$work/root"
    # /boot/vmlinuz-RELEASE until 6.x; /usr/lib/modules/RELEASE/vmlinuz since.
    kernel=$(find "$work/root" -path '*/boot/vmlinuz-*' -o -path '*/usr/lib/modules/*/vmlinuz' | head -n1)
    [[ -n $kernel ]] || die "$package has no vmlinuz"
    if [[ $kernel == */boot/* ]]; then release=${kernel##*/vmlinuz-}; else release=$(basename "$(dirname "$kernel")"); fi
    mkdir -p "$work/out"
    cp "$kernel" "$work/out/vmlinuz"
    config=("$work"/root/boot/config-*)
    if [[ -f ${config[0]} ]]; then cp "${config[0]}" "$work/out/config"; fi
    echo "$release" >"$work/out/release"
    echo "$package $version $suite" >"$work/out/package"
    rm -rf "$dir" && mkdir -p "${dir%/*}" && mv "$work/out" "$dir"
    # The kernel this suite shipped before is dead weight now (sid and
    # experimental move often).
    for old in "$PMT_KERNEL_CACHE"/kernels/*/package; do
        if [[ $old != "$dir/package" && $(cut -d' ' -f3 "$old") == "$suite" ]]; then rm -rf "${old%/package}"; fi
    done
fi
echo "$dir"
