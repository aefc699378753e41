// A few lines about the Zend heap's structure for the terminal summary of record.
#pragma once

#include <ostream>

#include "model/profile.h"

namespace pmt {

void write_heap_summary(const Profile& profile, std::ostream& out);

}  // namespace pmt
