# The two README commands live here:
#   sudo make example   trace the bundled example PHP program, write its reports to out/
#   sudo make test      run the whole test suite
# Both install what they need (tools/install-deps.sh) and build first.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
OUT ?= out

.PHONY: all deps build example test unit-test soak test-kernels bench bench-quick clean

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

# The kernel matrix: Debian's kernels booted under qemu, a smoke test in each
# (root; README.md, section Kernels). Kernels and the guest's root file system are
# cached in /var/cache/phpmemtrace-kernels (PMT_KERNEL_CACHE).
test-kernels: build
	bash tools/kernels/install-deps.sh
	bash tools/test-kernels.sh --tracer $(BUILD_DIR)/phpmemtrace

# Benchmarks (root: they load BPF): tables of ratios measured side by side, no
# pass/fail on figures (BENCHMARKS.md). bench-quick takes a few minutes.
bench: build
	python3 bench/run_bench.py --build-dir $(BUILD_DIR)

bench-quick: build
	python3 bench/run_bench.py --quick --build-dir $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(OUT)
