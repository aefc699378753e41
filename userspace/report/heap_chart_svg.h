// The Zend heap over time as one self-contained SVG chart (no script, no network):
// real size split into 2 MiB chunks and huge blocks (stacked areas), used size
// (line), memory_limit, GC runs (markers), request boundaries (bands), and the
// fragmentation figure (real vs used at the real peak) in the header.
#pragma once

#include <ostream>

#include "model/profile.h"

namespace pmt {

struct HeapChartOptions {
    double width = 1200;
    double height = 640;
};

// Writes the chart; a profile without a heap timeline gives a chart that says so.
void write_heap_chart_svg(const Profile& profile, std::ostream& out, const HeapChartOptions& options = {});

}  // namespace pmt
