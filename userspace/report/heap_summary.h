// A few lines about the Zend heap's structure for the terminal summary of record.
#pragma once

#include <ostream>

#include "model/profile.h"

namespace pmt {

void write_heap_summary(const Profile& profile, std::ostream& out);

// Fragmentation: the share of the mapped heap not in use at the real peak, 0 to 1
// (the summary, the heap chart and the JSON report's heap.fragmentation).
double heap_fragmentation(const HeapTimeline& timeline);

}  // namespace pmt
