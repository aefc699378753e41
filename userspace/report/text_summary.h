// The readable end-of-session summary printed on the terminal.
#pragma once

#include <ostream>

#include "model/profile.h"

namespace pmt {

struct SummaryOptions {
    size_t top = 10;  // stacks listed per table
};

void write_text_summary(const Profile& profile, std::ostream& out, const SummaryOptions& options = {});

}  // namespace pmt
