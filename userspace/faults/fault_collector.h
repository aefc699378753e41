// Turns PMT_REC_FAULT records into the session's FaultReport, and tells the
// allocation collector which stack each fault belongs to.
//
// Call on_record() with the fault, restore, request, fork and exit records, in
// order: fault records are classified and counted; restore and request records
// delimit the per-restore and per-request figures. Whether a fault hit a huge
// block (which content cannot tell) comes from the process's model
// (set_huge_block_lookup; without one, no fault is in a huge block).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include <optional>
#include <span>

#include "collect/record_view.h"
#include "faults/fault_stats.h"
#include "faults/fault_windows.h"
#include "faults/region_classifier.h"
#include "model/faults.h"
#include "phpmemtrace.h"

namespace pmt {

// A fault to add to a stack's fault_count / fault_ns.
struct FaultAttribution {
    uint32_t tgid = 0;
    std::span<const pmt_frame> leaf_first;  // points into the record: use before the next one
    uint64_t ns = 0;
    FaultRegion region = FaultRegion::Anon;
    FaultKind kind = FaultKind::FirstTouch;
};

class FaultCollector {
public:
    std::optional<FaultAttribution> on_record(const RecordView& record);
    void set_huge_block_lookup(std::function<bool(uint32_t tgid, uint64_t addr)> lookup) {
        in_huge_block_ = std::move(lookup);
    }
    // Kernel-side counters (FaultTracer::counters()) to report with the figures.
    void set_kernel_counters(const FaultCounters& c) { kernel_counters_ = c; }
    // to_seconds: record timestamp -> seconds since session start (restore/request t_s).
    FaultReport report(const std::function<double(uint64_t)>& to_seconds = {}) const;
    // Names of the attached snapshot-restore functions, by attach cookie.
    void set_restore_functions(std::vector<std::string> names) { windows_.set_function_names(std::move(names)); }
    RegionClassifier& classifier() { return classifier_; }

private:
    std::optional<FaultAttribution> on_fault(const RecordView& record);

    RegionClassifier classifier_;
    FaultStats stats_;
    FaultWindows windows_;
    uint64_t cow_count_ = 0, cow_ns_ = 0;
    FaultCounters kernel_counters_;
    uint64_t malformed_ = 0;
    std::function<bool(uint32_t, uint64_t)> in_huge_block_;
};

}  // namespace pmt
