#include "faults/fault_summary.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace pmt {

namespace {
std::string ns_text(uint64_t ns) {
    char buf[32];
    if (ns >= 1000000) std::snprintf(buf, sizeof(buf), "%.1f ms", ns / 1e6);
    else if (ns >= 1000) std::snprintf(buf, sizeof(buf), "%.1f us", ns / 1e3);
    else std::snprintf(buf, sizeof(buf), "%llu ns", static_cast<unsigned long long>(ns));
    return buf;
}
}  // namespace

void write_fault_summary(const FaultReport& r, std::ostream& out) {
    char line[160];
    out << "\nPage faults: " << r.count << " (kernel time " << ns_text(r.latency_ns.mean) << " mean, "
        << ns_text(r.latency_ns.p50) << " p50, " << ns_text(r.latency_ns.p99) << " p99, "
        << ns_text(r.latency_ns.max) << " max)\n";
    std::snprintf(line, sizeof(line), "  %-10s %10s %10s %12s %8s %12s %10s\n", "region", "faults", "cow",
                  "first_touch", "major", "kernel time", "per fault");
    out << line;
    for (size_t i = 0; i < kFaultRegionCount; ++i) {
        const auto& s = r.by_region[i];
        if (!s.count) continue;
        std::snprintf(line, sizeof(line), "  %-10s %10llu %10llu %12llu %8llu %12s %10s\n",
                      fault_region_name(static_cast<FaultRegion>(i)), (unsigned long long)s.count,
                      (unsigned long long)s.cow, (unsigned long long)s.first_touch, (unsigned long long)s.major,
                      ns_text(s.ns_total).c_str(), ns_text(s.ns_total / s.count).c_str());
        out << line;
    }
    const uint64_t most = *std::max_element(r.histogram.begin(), r.histogram.end());
    if (!most) return;
    out << "  latency:\n";
    for (size_t i = 0; i < kFaultLatencyBuckets; ++i) {
        if (!r.histogram[i]) continue;
        const int bar = static_cast<int>((r.histogram[i] * 40 + most - 1) / most);
        const std::string from = ns_text(fault_bucket_floor_ns(i));
        const std::string to = i + 1 < kFaultLatencyBuckets ? ns_text(fault_bucket_floor_ns(i + 1)) : "...";
        std::snprintf(line, sizeof(line), "  %9s - %-9s %10llu |%s\n", from.c_str(), to.c_str(),
                      (unsigned long long)r.histogram[i], std::string(bar, '#').c_str());
        out << line;
    }
    if (!r.restores.empty()) {
        uint64_t duration = 0, during = 0, after = 0, pages = 0, ns_after = 0;
        for (const auto& x : r.restores) {
            duration += x.duration_ns;
            during += x.faults_during;
            after += x.faults_after;
            pages += x.pages_after;
            ns_after += x.ns_after;
        }
        const uint64_t n = r.restores.size();
        out << "  snapshot restores: " << n << " (" << r.restores.front().function << "), per restore: "
            << ns_text(duration / n) << " in the call, " << during / n << " faults during, " << after / n
            << " faults on " << pages / n << " pages after (" << ns_text(ns_after / n) << ")\n";
    }
    if (r.requests.size() > 1) {
        uint64_t faults = 0, ns = 0, pages = 0;
        for (const auto& x : r.requests) {
            faults += x.faults;
            ns += x.ns;
            pages += x.pages;
        }
        const uint64_t n = r.requests.size();
        out << "  per request (" << n << "): " << faults / n << " faults on " << pages / n << " pages, "
            << ns_text(ns / n) << "\n";
    }
    const auto& c = r.counters;
    if (c.unmatched_ends || c.addr_mismatches || c.no_vma || c.malformed_records)
        out << "  not timed: " << c.unmatched_ends + c.addr_mismatches << " fault ends without their start; "
            << c.no_vma << " classified from /proc (VMA lock busy); " << c.malformed_records
            << " malformed records\n";
}

}  // namespace pmt
