# The two README commands live here:
#   sudo make example   trace the bundled example PHP program, write its reports to out/
#   sudo make test      run the whole test suite
# Both install what they need (tools/install-deps.sh) and build first.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
OUT ?= out

.PHONY: all deps build example test unit-test soak test-versions test-kernels test-sanitizers fuzz-build bench bench-quick clean

all: build

deps:
	bash tools/install-deps.sh

$(BUILD_DIR)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD_DIR)/Makefile
	cmake --build $(BUILD_DIR) -j$(JOBS)

example: build
	mkdir -p $(OUT)
	$(BUILD_DIR)/phpmemtrace record -o $(OUT)/example.svg -o $(OUT)/example.json -o $(OUT)/example.db \
	  -o $(OUT)/example.pb.gz -o $(OUT)/example.folded -o $(OUT)/example.heap.svg \
	  -- php8.2 -n examples/leaky_worker.php
	$(BUILD_DIR)/phpmemtrace report $(OUT)/example.db --view live -o $(OUT)/example-live.svg
	@echo 'open $(OUT)/example.svg (bytes allocated) and $(OUT)/example-live.svg (bytes held) in a browser'

# Runtime tests need root; without it they are reported as skipped, with the reason.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600

# A php-fpm pool behind nginx under wrk, traced for SOAK_SECONDS (root): flat
# tracer RSS, no lost records, exact checkpoints (tests/soak/soak_fpm.cpp).
SOAK_SECONDS ?= 600
soak: build
	PMT_SOAK_SECONDS=$(SOAK_SECONDS) $(BUILD_DIR)/tests/soak_tests

unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -R '^(ZendSizes|Collector|unit)'

# The PHP version matrix (root): 7.4, 8.4 and 8.5 from Debian's packages, each in a
# debootstrap root cached in /var/cache/phpmemtrace-php (PMT_PHP_CACHE), and the
# host's 8.2, traced with the same checks (README.md, section PHP versions).
test-versions: build
	PMT_BUILD_DIR=$(BUILD_DIR) bash tools/test-php-versions.sh

# The kernel matrix: Debian's kernels booted under qemu, a smoke test in each
# (root; README.md, section Kernels). Kernels and the guest's root file system are
# cached in /var/cache/phpmemtrace-kernels (PMT_KERNEL_CACHE).
test-kernels: build
	bash tools/kernels/install-deps.sh
	bash tools/test-kernels.sh --tracer $(BUILD_DIR)/phpmemtrace

# The same tests on an ASan + UBSan build of the tracer (cmake/Sanitizers.cmake),
# in a build folder of its own. Every report fails its test: UBSan aborts, ASan
# and LeakSanitizer end the process with an error, including the phpmemtrace
# processes the runtime tests run.
SAN_BUILD_DIR ?= build-sanitizers
# quarantine_size_mb: ASan's default 256 MiB quarantine of freed memory counts in
# the tracer's RSS, which RecordBounds bounds (441 MiB against 400 with it).
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:quarantine_size_mb=64 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(SAN_BUILD_DIR)/Makefile: CMakeLists.txt
	cmake -S . -B $(SAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPMT_SANITIZE=ON \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO='-O1 -g' -DCMAKE_C_FLAGS_RELWITHDEBINFO='-O1 -g'

test-sanitizers: deps $(SAN_BUILD_DIR)/Makefile
	cmake --build $(SAN_BUILD_DIR) -j$(JOBS) --target unit_tests runtime_tests
	cd $(SAN_BUILD_DIR) && $(SAN_ENV) ctest --output-on-failure --timeout 900

# libFuzzer targets (tests/fuzz, clang): build them, then run each one for
# FUZZ_SECONDS over its seeds, so CI keeps them building and running. A longer
# hunt: make fuzz-build FUZZ_SECONDS=600.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30

$(FUZZ_BUILD_DIR)/Makefile: CMakeLists.txt
	cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPMT_FUZZ=ON \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++

fuzz-build: deps $(FUZZ_BUILD_DIR)/Makefile
	cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target fuzzers
	tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

# Benchmarks (root: they load BPF): tables of ratios measured side by side, no
# pass/fail on figures (BENCHMARKS.md). bench-quick takes a few minutes.
bench: build
	python3 bench/run_bench.py --build-dir $(BUILD_DIR)

bench-quick: build
	python3 bench/run_bench.py --quick --build-dir $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR) $(FUZZ_BUILD_DIR) $(OUT)
