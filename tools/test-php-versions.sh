#!/usr/bin/env bash
# test-php-versions.sh: the PHP version matrix (`make test-versions`).
#
# Debian packages PHP 7.4 (bullseye), 8.2 (bookworm, the host's), 8.4 (trixie) and
# 8.5 (experimental). For each but the host's, a Debian minbase root with that
# version's CLI is made once by debootstrap and kept in $PMT_PHP_CACHE, so later
# runs on the same machine need no network; a missing or half-made root is made
# again. Then build/tests/version_tests runs the same attribution checks on each
# version (tests/versions/test_php_versions.cpp), the PHP in its root, the tracer on
# the host. Nothing is installed on the host itself beyond debootstrap.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${PMT_BUILD_DIR:-$here/../build}
cache=${PMT_PHP_CACHE:-/var/cache/phpmemtrace-php}
mirror=${PMT_MIRROR:-http://deb.debian.org/debian}
# Bump when what goes into a root changes: every root is made again.
recipe=1

# version  suite     extra suite  package
matrix=(
    "7.4       bullseye  -            php7.4-cli"
    "8.4       trixie    -            php8.4-cli"
    "8.5       sid       experimental php8.5-cli"
)

log() { echo "[php-versions] $*" >&2; }
die() { echo "[php-versions] error: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot, and the tracer loads BPF)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (make deps installs it)"
[[ -x $build/tests/version_tests ]] || die "$build/tests/version_tests is missing: make build first"

# debootstrap mounts proc and sys inside a root while it installs: whatever
# happens, nothing made here stays mounted on the host.
cleanup() {
    findmnt -rn -o TARGET | awk -v c="$cache/tmp." 'index($0, c) == 1' | sort -r |
        while read -r m; do umount -l "$m"; done
    rm -rf "$cache"/tmp.*
}
trap cleanup EXIT

# make_root VERSION SUITE EXTRA PACKAGE: prints the root's path, made if missing.
make_root() {
    local version=$1 suite=$2 extra=$3 package=$4
    local root=$cache/php$version-$suite-r$recipe
    if [[ -f $root/etc/phpmemtrace-php-root ]]; then
        echo "$root"
        return
    fi
    log "making the PHP $version root ($suite, $package) with debootstrap: a few minutes, once"
    mkdir -p "$cache"
    local work
    work=$(mktemp -d "$cache/tmp.XXXXXX")
    local args=(--variant=minbase --include="$package")
    [[ $extra == - ]] || args+=(--extra-suites="$extra")
    debootstrap "${args[@]}" "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap of $suite failed"; }
    [[ -x $work/root/usr/bin/php$version ]] || die "the $suite root has no /usr/bin/php$version"
    rm -rf "$work"/root/usr/share/{doc,man,info,locale}/* "$work"/root/var/cache/apt/archives/*.deb
    chroot "$work/root" dpkg-query -W "$package" >"$work/root/etc/phpmemtrace-php-root"
    # Roots of an older recipe are dead weight now.
    find "$cache" -maxdepth 1 -name "php$version-*" ! -path "$root" -exec rm -rf {} +
    mv "$work/root" "$root"
    echo "$root"
}

roots="8.2=/=php8.2"
for entry in "${matrix[@]}"; do
    read -r version suite extra package <<<"$entry"
    root=$(make_root "$version" "$suite" "$extra" "$package")
    log "PHP $version: $root ($(cat "$root/etc/phpmemtrace-php-root"))"
    roots+=";$version=$root=php$version"
done

PMT_PHP_ROOTS=$roots "$build/tests/version_tests"
