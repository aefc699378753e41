# Shared by the kernel-matrix scripts (sourced, not run).
#
# Everything they download or build is kept under $PMT_KERNEL_CACHE, outside the
# clone, so that CI's fresh clones on the same machine reuse it. Nothing else on
# the host is changed: apt runs with its own lists and cache in there, and no
# kernel is ever installed on the host.

PMT_KERNEL_CACHE=${PMT_KERNEL_CACHE:-/var/cache/phpmemtrace-kernels}
PMT_MIRROR=${PMT_MIRROR:-http://deb.debian.org/debian}
# Package lists older than this are refreshed (minutes); a warm run within a day
# needs no network at all.
PMT_LISTS_MAX_AGE_MIN=${PMT_LISTS_MAX_AGE_MIN:-1440}
PMT_APT_SUITES=(bullseye bookworm trixie sid experimental)
PMT_APT_DIR=$PMT_KERNEL_CACHE/apt

log() { echo "[kernels] $*" >&2; }
die() { echo "[kernels] error: $*" >&2; exit 1; }

# apt-get/apt-cache on the private lists: every Debian suite, amd64, nothing
# read from or written to the host's own apt state.
pmt_apt_options() {
    echo -o Dir::Etc::SourceList="$PMT_APT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$PMT_APT_DIR/lists" -o Dir::State::status="$PMT_APT_DIR/status" \
        -o Dir::Cache="$PMT_APT_DIR/cache" -o APT::Architecture=amd64 -o Acquire::Languages=none \
        -o APT::Sandbox::User=root \
        -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin
}
kapt_get() { apt-get $(pmt_apt_options) "$@"; }
kapt_cache() { apt-cache $(pmt_apt_options) "$@"; }

# Makes the private package lists exist and be fresh enough.
kapt_update() {
    mkdir -p "$PMT_APT_DIR"/lists/partial "$PMT_APT_DIR"/cache/archives/partial
    # Created once: touching it would make apt rebuild its binary cache every call.
    [[ -f $PMT_APT_DIR/status ]] || : >"$PMT_APT_DIR/status"
    local sources="" suite
    for suite in "${PMT_APT_SUITES[@]}"; do
        sources+="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $PMT_MIRROR $suite main"$'\n'
    done
    if [[ ! -f $PMT_APT_DIR/sources.list || $(cat "$PMT_APT_DIR/sources.list") != "${sources%$'\n'}" ]]; then
        printf '%s' "$sources" >"$PMT_APT_DIR/sources.list"
        rm -f "$PMT_APT_DIR/updated"
    fi
    if [[ -z $(find "$PMT_APT_DIR/updated" -mmin -"$PMT_LISTS_MAX_AGE_MIN" 2>/dev/null) ]]; then
        log "refreshing package lists (${PMT_APT_SUITES[*]})"
        kapt_get -qq update >&2
        touch "$PMT_APT_DIR/updated"
    fi
}

# The candidate version of PACKAGE in SUITE, e.g. kapt_version php8.2-cli bookworm.
kapt_version() { kapt_versions "$2" "$1" | sed -n 's/^[^=]*=//p'; }

# kapt_versions SUITE PACKAGE...: "package=version" lines, in one apt-cache call
# (each call reads every suite's lists).
kapt_versions() {
    local suite=$1
    shift
    kapt_cache show --no-all-versions "${@/%//$suite}" 2>/dev/null |
        awk '/^Package: /{p=$2} /^Version: /{print p "=" $2}'
}

# kapt_memo NAME COMMAND...: COMMAND's output, remembered until the package lists
# are next refreshed (every apt-cache call reads all the suites' lists: seconds).
kapt_memo() {
    local name=$1 memo=$PMT_KERNEL_CACHE/resolved/$1
    shift
    if [[ ! -s $memo || ! $memo -nt $PMT_APT_DIR/updated ]]; then
        mkdir -p "${memo%/*}"
        "$@" >"$memo.tmp"
        mv "$memo.tmp" "$memo"
    fi
    cat "$memo"
}
