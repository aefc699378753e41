// The "faults" section of the JSON report (names fixed by the page-fault issue).
#pragma once

#include <nlohmann/json.hpp>

#include "model/faults.h"

namespace pmt {

// {"count", "by_region": {"zend_heap": {"count","cow","first_touch","major","ns_total"},
//  "zend_huge", "opcache", "anon", "file", "vm_stack", "code"}, "latency_ns":
//  {"p50","p90","p99","max","mean"}, "histogram_ns": [...], "counters": {...}}
nlohmann::json faults_to_json(const FaultReport& report);
// Reads it back (stored sessions, tests). Missing fields stay 0.
FaultReport faults_from_json(const nlohmann::json& j);

}  // namespace pmt
