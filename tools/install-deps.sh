#!/usr/bin/env bash
# Installs everything phpmemtrace needs to build, run its example and its tests,
# from Debian's packages (bookworm). Idempotent; needs root.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
  libcapstone-dev libcli11-dev nlohmann-json3-dev libfmt-dev robin-map-dev libutfcpp-dev libxxhash-dev
  libsqlite3-dev sqlite3 libprotobuf-dev protobuf-compiler
  # top's full-screen view
  libncurses-dev
  # the agent's metrics endpoint (Prometheus text exposition over HTTP)
  prometheus-cpp-dev
  # the agent's --push client (Pyroscope's /ingest), and the tests' receiver
  libcpp-httplib-dev
  # tests and benchmarks
  libgtest-dev libbenchmark-dev golang-go python3
  # top's runtime test drives it in a terminal and reads the screen
  tmux
  # promtool, to check the agent's metrics in the tests
  prometheus
  # real PHP programs from Debian's packages, for the tests and the benchmarks
  composer phpunit php-codesniffer git
  # clang's libFuzzer and sanitizer runtimes (make fuzz-build); gcc's ASan/UBSan
  # runtimes (make test-sanitizers) come with g++
  libclang-rt-14-dev
  # reading outputs back: XML parser for flame graph SVGs, a browser to render them,
  # node to check the flame graph's script
  libtinyxml2-dev chromium nodejs
  # targets: real PHP processes, and a web stack for FPM
  php8.2-cli php8.2-curl php8.2-fpm php8.2-dev nginx wrk
  # PHP embedded in Apache (mod_php), started by its test with a configuration of its own
  apache2 libapache2-mod-php8.2
  # other PHP versions, each in a Debian root of its own (make test-versions)
  debootstrap
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
