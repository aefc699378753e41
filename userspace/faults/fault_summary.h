// The page-fault part of the terminal summary: per-region table and a latency
// histogram.
#pragma once

#include <ostream>

#include "model/faults.h"

namespace pmt {

void write_fault_summary(const FaultReport& report, std::ostream& out);

}  // namespace pmt
