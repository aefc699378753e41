// Per-region fault figures and the latency distribution of a session.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "model/faults.h"

namespace pmt {

class FaultStats {
public:
    void add(FaultRegion region, FaultKind kind, bool major, uint64_t ns);
    // Percentiles are exact (nearest rank over every fault's time).
    FaultReport report() const;
    uint64_t count() const { return latencies_.size(); }

private:
    std::array<RegionFaultStats, kFaultRegionCount> by_region_{};
    std::array<uint64_t, kFaultLatencyBuckets> histogram_{};
    std::vector<uint32_t> latencies_;  // ns, saturated at 4 s: 4 bytes per fault
    uint64_t ns_total_ = 0;
};

// Nearest-rank percentile (p in 0..100) of sorted values; 0 when empty.
uint64_t percentile_of_sorted(const std::vector<uint32_t>& sorted, double p);

}  // namespace pmt
