#!/usr/bin/env bash
# compute_offsets.sh [--own-config] INCLUDE_DIR
#
# Prints, as "name value" lines, the PHP struct offsets that phpmemtrace's table
# (userspace/target/php_offsets.cpp) holds, computed with offsetof() by compiling
# compute_offsets.c against the PHP headers in INCLUDE_DIR with the host compiler
# (x86_64). php_offsets.cpp's values come from this script; docs/php-versions.md
# says which headers each row was computed from.
#
# INCLUDE_DIR is a directory with main/, Zend/ and TSRM/ below it:
#   - an installed -dev package's:  $(php-config8.2 --include-dir)
#                                   (/usr/include/php/20220829 for Debian's php8.2-dev)
#   - another version's Debian -dev package unpacked with `dpkg -x`, e.g.
#     DIR/usr/include/php/20190902 for php7.4-dev (bullseye), .../20240924 for
#     php8.4-dev (trixie), .../20250925 for php8.5-dev
#   - the top of a php-src tree of a release tag (source tarball or git checkout).
#     Such a tree has no generated main/php_config.h; then (and with --own-config)
#     the hand-made src-config/ beside this script stands in for it: a 64-bit Linux
#     NTS release build (ZEND_DEBUG 0, no ZTS). Running --own-config on a -dev
#     package's headers and comparing with the plain run checks that stand-in.
#
# Output: php_version, zend_debug, sizeof_pointer, then one line per offset
# (eg_current_execute_data 488, op_last 80, ...; the names are php_offsets.cpp's),
# and last "config generated" or "config src-config" (which php_config.h was used).
# The program refuses ZTS headers and prints zend_debug so that a debug build's
# headers can be told apart (the table is for NTS release builds).
# Environment: CC (default cc). Exits non-zero when the program does not compile.
set -euo pipefail

own_config=0
if [[ ${1:-} == --own-config ]]; then own_config=1; shift; fi
if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: $0 [--own-config] INCLUDE_DIR   (e.g. \$(php-config8.2 --include-dir))" >&2
  exit 2
fi
inc=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
[[ -f "$inc/main/php_config.h" ]] || own_config=1

flags=()
if ((own_config)); then
  # Searched first, so that <zend_config.h>, <php_config.h>, "main/php_config.h"
  # and <../main/php_config.h> all find the stand-ins.
  flags+=(-I"$here/src-config" -I"$here/src-config/main" -I"$here/src-config/Zend")
fi
flags+=(-I"$inc" -I"$inc/main" -I"$inc/Zend" -I"$inc/TSRM")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${CC:-cc}" -std=gnu11 -w "${flags[@]}" -o "$tmp/offsets" "$here/compute_offsets.c"
"$tmp/offsets"
((own_config)) && echo "config src-config" || echo "config generated"
