// The readable end-of-session summary printed on the terminal.
#pragma once

#include <ostream>

#include "model/profile.h"

namespace pmt {

struct SummaryOptions {
    size_t top = 10;  // stacks listed per table
};

void write_text_summary(const Profile& profile, std::ostream& out, const SummaryOptions& options = {});

// "1.5 MiB"
std::string human_bytes(uint64_t bytes);

}  // namespace pmt
