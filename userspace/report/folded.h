// Folded stacks ("root;...;leaf value", one line a stack), the input format of
// flamegraph.pl, speedscope and inferno.
#pragma once

#include <ostream>
#include <string>

#include "model/profile.h"

namespace pmt {

// Name of a frame in folded output: "Class::method" or "function", no ';'.
std::string folded_frame_name(const Profile& profile, const Frame& frame);
void write_folded(const Profile& profile, View view, std::ostream& out);

}  // namespace pmt
