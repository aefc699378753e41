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
    nlohmann::json restores = nlohmann::json::array();
    for (const auto& r : report.restores)
        restores.push_back({{"pid", r.pid}, {"function", r.function}, {"t_s", r.t_s},
                            {"duration_ns", r.duration_ns}, {"faults_during", r.faults_during},
                            {"ns_during", r.ns_during}, {"faults_after", r.faults_after},
                            {"cow_after", r.cow_after}, {"pages_after", r.pages_after}, {"ns_after", r.ns_after},
                            {"ns_per_fault_after", r.faults_after ? r.ns_after / r.faults_after : 0},
                            {"break_even_pages", r.break_even_pages}});
    nlohmann::json requests = nlohmann::json::array();
    for (const auto& r : report.requests)
        requests.push_back({{"pid", r.pid}, {"t_s", r.t_s}, {"faults", r.faults}, {"cow", r.cow},
                            {"first_touch", r.first_touch}, {"pages", r.pages}, {"ns", r.ns},
                            {"ns_per_fault", r.faults ? r.ns / r.faults : 0}});
    return {
        {"count", report.count},
        {"restores", restores},
        {"requests", requests},
        {"by_region", by_region},
        {"latency_ns", {{"p50", l.p50}, {"p90", l.p90}, {"p99", l.p99}, {"max", l.max}, {"mean", l.mean}}},
        {"histogram_ns", histogram},
        {"counters",
         {{"starts", c.starts}, {"ends", c.ends}, {"unmatched_ends", c.unmatched_ends},
          {"addr_mismatches", c.addr_mismatches}, {"no_vma", c.no_vma}, {"no_bias", c.no_bias},
          {"program_misses", c.program_misses},
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
    auto number = [](const nlohmann::json& o, const char* key) -> double {
        return o.contains(key) && o[key].is_number() ? o[key].get<double>() : 0;
    };
    if (j.contains("restores"))
        for (const auto& r : j["restores"]) {
            RestoreFaults f;
            f.pid = static_cast<int64_t>(get(r, "pid"));
            f.function = r.value("function", "");
            f.t_s = number(r, "t_s");
            f.duration_ns = get(r, "duration_ns");
            f.faults_during = get(r, "faults_during");
            f.ns_during = get(r, "ns_during");
            f.faults_after = get(r, "faults_after");
            f.cow_after = get(r, "cow_after");
            f.pages_after = get(r, "pages_after");
            f.ns_after = get(r, "ns_after");
            f.break_even_pages = get(r, "break_even_pages");
            out.restores.push_back(std::move(f));
        }
    if (j.contains("requests"))
        for (const auto& r : j["requests"]) {
            RequestFaults f;
            f.pid = static_cast<int64_t>(get(r, "pid"));
            f.t_s = number(r, "t_s");
            f.faults = get(r, "faults");
            f.cow = get(r, "cow");
            f.first_touch = get(r, "first_touch");
            f.pages = get(r, "pages");
            f.ns = get(r, "ns");
            out.requests.push_back(f);
        }
    if (j.contains("counters")) {
        const auto& c = j["counters"];
        out.counters = {get(c, "starts"), get(c, "ends"), get(c, "unmatched_ends"),
                        get(c, "addr_mismatches"), get(c, "no_vma"), get(c, "no_bias"),
                        get(c, "program_misses"), get(c, "malformed_records")};
    }
    return out;
}

}  // namespace pmt
