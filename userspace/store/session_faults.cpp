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
        {"counter.program_misses", &r.counters.program_misses},
        {"counter.malformed_records", &r.counters.malformed_records},
    };
    for (size_t i = 0; i < r.histogram.size(); ++i) fields.emplace_back("histogram." + std::to_string(i), &r.histogram[i]);
    return fields;
}

Status save_restores_and_requests(sqlite::Database& db, const FaultReport& report) {
    auto restore = db.prepare(
        "INSERT INTO fault_restores(id, pid, function, t_s, duration_ns, faults_during, ns_during, faults_after,"
        " cow_after, pages_after, ns_after, break_even_pages) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!restore) return restore.error();
    for (size_t i = 0; i < report.restores.size(); ++i) {
        const RestoreFaults& r = report.restores[i];
        PMT_TRY(restore->bind(1, int64_t(i)).bind(2, r.pid).bind(3, r.function).bind(4, r.t_s).bind(5, r.duration_ns)
                    .bind(6, r.faults_during).bind(7, r.ns_during).bind(8, r.faults_after).bind(9, r.cow_after)
                    .bind(10, r.pages_after).bind(11, r.ns_after).bind(12, r.break_even_pages).run());
    }
    auto request = db.prepare(
        "INSERT INTO fault_requests(id, pid, t_s, faults, cow, first_touch, pages, ns) VALUES (?,?,?,?,?,?,?,?)");
    if (!request) return request.error();
    for (size_t i = 0; i < report.requests.size(); ++i) {
        const RequestFaults& r = report.requests[i];
        PMT_TRY(request->bind(1, int64_t(i)).bind(2, r.pid).bind(3, r.t_s).bind(4, r.faults).bind(5, r.cow)
                    .bind(6, r.first_touch).bind(7, r.pages).bind(8, r.ns).run());
    }
    return Status::success();
}

// Tables added after `faults` itself: absent from older files.
Status load_restores_and_requests(sqlite::Database& db, FaultReport& report) {
    if (db.table_exists("fault_restores")) {
        auto stmt = db.prepare(
            "SELECT pid, function, t_s, duration_ns, faults_during, ns_during, faults_after, cow_after, pages_after,"
            " ns_after, break_even_pages FROM fault_restores ORDER BY id");
        if (!stmt) return stmt.error();
        while (stmt->next()) {
            RestoreFaults r;
            r.pid = stmt->i64(0);
            r.function = stmt->text(1);
            r.t_s = stmt->real(2);
            r.duration_ns = stmt->u64(3);
            r.faults_during = stmt->u64(4);
            r.ns_during = stmt->u64(5);
            r.faults_after = stmt->u64(6);
            r.cow_after = stmt->u64(7);
            r.pages_after = stmt->u64(8);
            r.ns_after = stmt->u64(9);
            r.break_even_pages = stmt->u64(10);
            report.restores.push_back(std::move(r));
        }
        if (stmt->error()) return *stmt->error();
    }
    if (db.table_exists("fault_requests")) {
        auto stmt = db.prepare("SELECT pid, t_s, faults, cow, first_touch, pages, ns FROM fault_requests ORDER BY id");
        if (!stmt) return stmt.error();
        while (stmt->next()) {
            report.requests.push_back(RequestFaults{stmt->i64(0), stmt->real(1), stmt->u64(2), stmt->u64(3),
                                                    stmt->u64(4), stmt->u64(5), stmt->u64(6)});
        }
        if (stmt->error()) return *stmt->error();
    }
    return Status::success();
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
    return save_restores_and_requests(db, report);
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
    PMT_TRY(load_restores_and_requests(db, report));
    profile.faults = std::move(report);
    return Status::success();
}

}  // namespace pmt
