// Checks on option values, run by CLI11 while parsing: a bad value is refused
// with one line before anything is loaded, attached or launched. CLI11's own
// validators (Range, IsMember) where they say what is meant; by hand where
// they do not: sizes (512K) and seconds (CLI::Range lets NaN through, and
// prints its double bounds as 0.000000).
#include <cmath>
#include <iostream>
#include <limits>

#include "cli/commands.h"

namespace pmt::cli {

std::optional<uint64_t> parse_bytes(const std::string& text) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 19) return std::nullopt;  // no sign, no space; 19 digits fit in 64 bits
    const uint64_t value = std::stoull(text.substr(0, digits));
    const std::string unit = text.substr(digits);
    unsigned shift = 0;
    if (unit == "K" || unit == "k") shift = 10;
    else if (unit == "M" || unit == "m") shift = 20;
    else if (unit == "G" || unit == "g") shift = 30;
    else if (!unit.empty()) return std::nullopt;
    if (value > (std::numeric_limits<uint64_t>::max() >> shift)) return std::nullopt;
    return value << shift;
}

CLI::Validator byte_size() {
    return CLI::Validator(
        [](std::string& text) {
            return parse_bytes(text) ? std::string() : "not a size: '" + text + "' (bytes, or with K, M, G: 512K, 8M)";
        },
        "SIZE");
}

CLI::Validator positive_seconds() {
    // An upper bound keeps the deadline within the clock's range.
    constexpr double kMaxSeconds = 1e9;
    return CLI::Validator(
        [](std::string& text) {
            double value = 0;
            if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value) || value <= 0 || value > kMaxSeconds)
                return "must be a number of seconds > 0 (at most 1e9), not '" + text + "'";
            return std::string();
        },
        "SECONDS");
}

CLI::Validator percentage() {
    return CLI::Validator(
        [](std::string& text) {
            double value = 0;
            if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value) || value <= 0 || value > 100)
                return "must be a percentage > 0 and at most 100 (1, 0.5), not '" + text + "'";
            return std::string();
        },
        "PERCENT");
}

CLI::Range whole_number_between(int64_t low, int64_t high) {
    CLI::Range range(low, high);
    range.description(std::to_string(low) + " to " + std::to_string(high));  // in --help
    return range;
}

CLI::IsMember power_of_two_between(uint64_t low, uint64_t high) {
    std::vector<std::string> values;
    for (uint64_t v = 1; v <= high && v != 0; v <<= 1)
        if (v >= low) values.push_back(std::to_string(v));
    return CLI::IsMember(values);
}

CLI::IsMember view_choice() {
    std::vector<std::string> names;
    for (View view : kAllViews) names.push_back(view_name(view));
    return CLI::IsMember(names);
}

bool paths_pass(const std::vector<std::string>& paths, Status (*check)(const std::string&)) {
    for (const auto& path : paths)
        if (auto s = check(path); !s) {
            std::cerr << "phpmemtrace: " << s.error().message << "\n";
            return false;
        }
    return true;
}

}  // namespace pmt::cli
