#include "faults/fault_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pmt {

void FaultStats::add(FaultRegion region, FaultKind kind, bool major, uint64_t ns) {
    auto& r = by_region_[static_cast<size_t>(region)];
    ++r.count;
    r.cow += kind == FaultKind::Cow;
    r.first_touch += kind == FaultKind::FirstTouch;
    r.major += major;
    r.ns_total += ns;
    ns_total_ += ns;
    latencies_.push_back(static_cast<uint32_t>(std::min<uint64_t>(ns, std::numeric_limits<uint32_t>::max())));
    size_t bucket = kFaultLatencyBuckets - 1;
    while (bucket > 0 && ns < fault_bucket_floor_ns(bucket)) --bucket;
    ++histogram_[bucket];
}

uint64_t percentile_of_sorted(const std::vector<uint32_t>& sorted, double p) {
    if (sorted.empty()) return 0;
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    rank = std::clamp<size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

FaultReport FaultStats::report() const {
    FaultReport out;
    out.count = latencies_.size();
    out.by_region = by_region_;
    out.histogram = histogram_;
    if (!latencies_.empty()) {
        std::vector<uint32_t> sorted = latencies_;
        std::sort(sorted.begin(), sorted.end());
        out.latency_ns.p50 = percentile_of_sorted(sorted, 50);
        out.latency_ns.p90 = percentile_of_sorted(sorted, 90);
        out.latency_ns.p99 = percentile_of_sorted(sorted, 99);
        out.latency_ns.max = sorted.back();
        out.latency_ns.mean = ns_total_ / sorted.size();
    }
    return out;
}

}  // namespace pmt
