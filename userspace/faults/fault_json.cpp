#include "faults/fault_json.h"

namespace pmt {

nlohmann::json faults_to_json(const FaultReport& report) {
    nlohmann::json by_region = nlohmann::json::object();
    for (size_t i = 0; i < kFaultRegionCount; ++i) {
        const auto& r = report.by_region[i];
        by_region[fault_region_name(static_cast<FaultRegion>(i))] = {
            {"count", r.count}, {"cow", r.cow}, {"first_touch", r.first_touch},
            {"major", r.major}, {"ns_total", r.ns_total}};
    }
    nlohmann::json histogram = nlohmann::json::array();
    for (size_t i = 0; i < kFaultLatencyBuckets; ++i)
        histogram.push_back({{"from_ns", fault_bucket_floor_ns(i)}, {"count", report.histogram[i]}});
    const auto& l = report.latency_ns;
    const auto& c = report.counters;
    return {
        {"count", report.count},
        {"by_region", by_region},
        {"latency_ns", {{"p50", l.p50}, {"p90", l.p90}, {"p99", l.p99}, {"max", l.max}, {"mean", l.mean}}},
        {"histogram_ns", histogram},
        {"counters",
         {{"starts", c.starts}, {"ends", c.ends}, {"unmatched_ends", c.unmatched_ends},
          {"addr_mismatches", c.addr_mismatches}, {"no_vma", c.no_vma}, {"no_bias", c.no_bias},
          {"malformed_records", c.malformed_records}}},
    };
}

FaultReport faults_from_json(const nlohmann::json& j) {
    FaultReport out;
    auto get = [](const nlohmann::json& o, const char* key) -> uint64_t {
        return o.contains(key) && o[key].is_number() ? o[key].get<uint64_t>() : 0;
    };
    out.count = get(j, "count");
    if (j.contains("by_region")) {
        for (const auto& [name, r] : j["by_region"].items()) {
            auto region = parse_fault_region(name);
            if (!region) continue;
            auto& s = out.by_region[static_cast<size_t>(*region)];
            s.count = get(r, "count");
            s.cow = get(r, "cow");
            s.first_touch = get(r, "first_touch");
            s.major = get(r, "major");
            s.ns_total = get(r, "ns_total");
        }
    }
    if (j.contains("latency_ns")) {
        const auto& l = j["latency_ns"];
        out.latency_ns = {get(l, "p50"), get(l, "p90"), get(l, "p99"), get(l, "max"), get(l, "mean")};
    }
    if (j.contains("histogram_ns") && j["histogram_ns"].is_array())
        for (size_t i = 0; i < kFaultLatencyBuckets && i < j["histogram_ns"].size(); ++i)
            out.histogram[i] = get(j["histogram_ns"][i], "count");
    if (j.contains("counters")) {
        const auto& c = j["counters"];
        out.counters = {get(c, "starts"), get(c, "ends"), get(c, "unmatched_ends"),
                        get(c, "addr_mismatches"), get(c, "no_vma"), get(c, "no_bias"),
                        get(c, "malformed_records")};
    }
    return out;
}

}  // namespace pmt
