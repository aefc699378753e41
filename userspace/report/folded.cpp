#include "report/folded.h"

#include <algorithm>
#include <map>

namespace pmt {

std::string folded_frame_name(const Profile& profile, const Frame& frame) {
    std::string name = profile.symbols.at(frame.symbol).qualified_name();
    std::replace(name.begin(), name.end(), ';', ':');
    std::replace(name.begin(), name.end(), '\n', ' ');
    return name;
}

void write_folded(const Profile& profile, View view, std::ostream& out) {
    // Stacks that differ only by line numbers fold into one line.
    std::map<std::string, uint64_t> folded;
    for (const auto& stack : profile.stacks) {
        uint64_t value = stack_value(stack.stats, view);
        if (!value) continue;
        std::string key;
        for (const auto& frame : stack.frames) {
            if (!key.empty()) key += ';';
            key += folded_frame_name(profile, frame);
        }
        folded[key] += value;
    }
    for (const auto& [key, value] : folded) out << key << ' ' << value << '\n';
}

}  // namespace pmt
