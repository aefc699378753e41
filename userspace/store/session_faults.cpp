#include "store/session_faults.h"

#include <string>
#include <utility>
#include <vector>

namespace pmt {
namespace {

// Every scalar of a FaultReport by the name it has in the `faults` table.
std::vector<std::pair<std::string, uint64_t*>> fault_fields(FaultReport& r) {
    std::vector<std::pair<std::string, uint64_t*>> fields = {
        {"count", &r.count},
        {"latency_p50", &r.latency_ns.p50},
        {"latency_p90", &r.latency_ns.p90},
        {"latency_p99", &r.latency_ns.p99},
        {"latency_max", &r.latency_ns.max},
        {"latency_mean", &r.latency_ns.mean},
        {"counter.starts", &r.counters.starts},
        {"counter.ends", &r.counters.ends},
        {"counter.unmatched_ends", &r.counters.unmatched_ends},
        {"counter.addr_mismatches", &r.counters.addr_mismatches},
        {"counter.no_vma", &r.counters.no_vma},
        {"counter.no_bias", &r.counters.no_bias},
        {"counter.malformed_records", &r.counters.malformed_records},
    };
    for (size_t i = 0; i < r.histogram.size(); ++i) fields.emplace_back("histogram." + std::to_string(i), &r.histogram[i]);
    return fields;
}

}  // namespace

Status save_session_faults(sqlite::Database& db, const Profile& profile) {
    if (!profile.faults) return Status::success();
    FaultReport report = *profile.faults;
    auto stmt = db.prepare("INSERT INTO faults(name, value) VALUES (?, ?)");
    if (!stmt) return stmt.error();
    for (const auto& [name, field] : fault_fields(report)) PMT_TRY(stmt->bind(1, name).bind(2, *field).run());

    auto region = db.prepare(
        "INSERT INTO fault_regions(region, count, cow, first_touch, major, ns_total) VALUES (?,?,?,?,?,?)");
    if (!region) return region.error();
    for (size_t i = 0; i < kFaultRegionCount; ++i) {
        const RegionFaultStats& r = report.by_region[i];
        PMT_TRY(region->bind(1, std::string(fault_region_name(static_cast<FaultRegion>(i))))
                    .bind(2, r.count).bind(3, r.cow).bind(4, r.first_touch).bind(5, r.major).bind(6, r.ns_total)
                    .run());
    }
    return Status::success();
}

Status load_session_faults(sqlite::Database& db, Profile& profile) {
    if (!db.table_exists("faults")) return Status::success();
    FaultReport report;
    auto fields = fault_fields(report);
    auto stmt = db.prepare("SELECT name, value FROM faults");
    if (!stmt) return stmt.error();
    bool any = false;
    while (stmt->next()) {
        any = true;
        const std::string name = stmt->text(0);
        for (auto& [field_name, field] : fields) {
            if (name == field_name) *field = stmt->u64(1);
        }
    }
    if (stmt->error()) return *stmt->error();
    if (!any) return Status::success();

    auto region = db.prepare("SELECT region, count, cow, first_touch, major, ns_total FROM fault_regions");
    if (!region) return region.error();
    while (region->next()) {
        auto which = parse_fault_region(region->text(0));
        if (!which) continue;  // a region added by a newer build
        RegionFaultStats& r = report.by_region[static_cast<size_t>(*which)];
        r = RegionFaultStats{region->u64(1), region->u64(2), region->u64(3), region->u64(4), region->u64(5)};
    }
    if (region->error()) return *region->error();
    profile.faults = report;
    return Status::success();
}

}  // namespace pmt
