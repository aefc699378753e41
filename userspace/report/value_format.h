// Human-readable figures for the flame graph, diff table and tooltips.
#pragma once

#include <cstdint>
#include <string>

#include "model/profile.h"

namespace pmt {

// The one byte formatter of every report: 1536 -> "1.5 KiB", 7000 -> "6.84 KiB",
// 12 MiB -> "12 MiB" (three significant digits, no trailing zeros, binary
// units up to TiB); below 1 KiB the exact number of bytes ("812 B").
std::string format_bytes(uint64_t bytes);
// A value in a view's unit: bytes as format_bytes, counts as "1,234 allocations".
std::string format_view_value(uint64_t value, View view);
// A signed change: "+1.5 KiB", "-12 allocations", "0 B".
std::string format_view_delta(int64_t delta, View view);
// "12.3%" of total (total 0 -> "0%").
std::string format_percent(uint64_t part, uint64_t total);
// 1234567 -> "1,234,567"
std::string group_thousands(uint64_t n);

}  // namespace pmt
