#include "report/value_format.h"

#include <cstdio>

namespace pmt {

std::string group_thousands(uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string format_bytes(uint64_t bytes) {
    static const char* const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double v = static_cast<double>(bytes) / 1024;
    size_t u = 0;
    // 1023.9 KiB would print as "1024 KiB": the next unit then.
    while (v >= 1023.5 && u + 1 < std::size(units)) v /= 1024, ++u;
    // Three significant digits; the zeros that add nothing go ("1.5 KiB", "12 MiB").
    char buf[32];
    std::snprintf(buf, sizeof buf, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
    std::string digits = buf;
    if (digits.find('.') != std::string::npos) {
        digits.erase(digits.find_last_not_of('0') + 1);
        if (digits.back() == '.') digits.pop_back();
    }
    return digits + " " + units[u];
}

std::string format_view_value(uint64_t value, View view) {
    if (view == View::Count) return group_thousands(value) + (value == 1 ? " allocation" : " allocations");
    if (view == View::Faults) return group_thousands(value) + (value == 1 ? " page fault" : " page faults");
    if (view == View::FaultNs) return group_thousands(value) + " ns";
    return format_bytes(value);
}

std::string format_view_delta(int64_t delta, View view) {
    uint64_t magnitude = delta < 0 ? uint64_t(0) - uint64_t(delta) : uint64_t(delta);
    const char* sign = delta > 0 ? "+" : delta < 0 ? "-" : "";
    return sign + format_view_value(magnitude, view);
}

std::string format_percent(uint64_t part, uint64_t total) {
    if (total == 0) return "0%";
    char buf[32];
    double pct = 100.0 * static_cast<double>(part) / static_cast<double>(total);
    std::snprintf(buf, sizeof buf, pct >= 10 || pct == 0 ? "%.1f%%" : "%.2f%%", pct);
    return buf;
}

}  // namespace pmt
