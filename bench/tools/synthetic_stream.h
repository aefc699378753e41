// Synthetic ring buffer record streams with a realistic shape: allocations,
// frees and reallocs of small Zend-sized blocks whose number of live blocks
// hovers around a target, stacks that share framework-like prefixes, chosen
// with a Zipf distribution (a few hot stacks, a long tail), and the FUNC records
// that name every function before its first use.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "phpmemtrace.h"

namespace pmt::bench {

struct SyntheticOptions {
    uint64_t live_blocks = 20000;  // live blocks the stream hovers around
    uint32_t stacks = 1000;        // unique stacks
    uint32_t mean_depth = 16;      // frames per stack, on average
    uint32_t functions = 2000;     // distinct PHP functions
    double realloc_share = 0.08;   // of the non-free events
    double zipf_s = 1.0;           // stack popularity skew
    uint64_t seed = 42;
};

class SyntheticStream {
public:
    explicit SyntheticStream(const SyntheticOptions& options);
    // Writes the next record into `buffer` (at least sizeof(pmt_alloc_record) bytes,
    // 8-byte aligned) and returns its size.
    size_t next(void* buffer);
    uint64_t live_blocks() const { return live_.size(); }

private:
    size_t func_record(void* buffer);
    size_t alloc_record(void* buffer, uint16_t kind, uint64_t ptr, uint64_t old_ptr);
    uint64_t fresh_ptr();

    SyntheticOptions options_;
    std::mt19937_64 rng_;
    std::vector<std::vector<pmt_frame>> stacks_;  // leaf first
    std::vector<double> stack_cdf_;
    std::vector<uint64_t> live_;
    std::vector<uint64_t> free_ptrs_;
    uint64_t next_ptr_ = 0x7f3a00000000ull;
    uint32_t funcs_sent_ = 0;
    uint64_t ts_ = 1'000'000'000;
};

}  // namespace pmt::bench
