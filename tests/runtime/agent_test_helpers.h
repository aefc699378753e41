// What the agent's runtime tests share: reading its profiles back with
// `go tool pprof -raw`, and single series of a Prometheus text scrape.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "heap_test_helpers.h"

namespace pmt::testing {

// Heap bytes of one block: the string's 24-byte header, its bytes and the NUL,
// rounded to 8, then to whole 4 KiB pages (a large block).
constexpr uint64_t large_block(uint64_t string_bytes) {
    const uint64_t request = (24 + string_bytes + 1 + 7) / 8 * 8;
    return (request + 4095) / 4096 * 4096;
}
static_assert(large_block(100000) == 102400);
static_assert(large_block(200000) == 200704);

// DIR/PREFIX*.pb.gz
std::vector<std::string> files_with_prefix(const std::string& dir, const std::string& prefix);

// The value of one series in a Prometheus text scrape ("" labels: none).
std::optional<double> metric(const std::string& scrape, const std::string& name, const std::string& labels);

// The value of one series scraped now from 127.0.0.1:metrics_port/metrics.
std::optional<double> scraped(int metrics_port, const std::string& name, const std::string& labels = "");

// Polls `probe` (every 200 ms, up to `seconds`) until it says yes.
bool eventually(double seconds, const std::function<bool()>& probe);

struct PoolTotals {
    std::vector<std::string> sample_types;
    int64_t alloc_objects = 0, alloc_space = 0, max_inuse_space = 0, max_inuse_objects = 0;
};

// Every profile of a pool through `function`: allocations summed over the
// intervals, the largest inuse figure of any interval. `log` gets pprof's output.
PoolTotals read_pool(const std::vector<std::string>& files, const std::string& function, std::string& log);

// `text` percent-encoded for a URL's query.
std::string url_encoded(const std::string& text);

}  // namespace pmt::testing
