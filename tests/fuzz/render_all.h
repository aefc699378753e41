// Renders a Profile into every output format, in memory: the fuzz targets feed
// what they decoded from untrusted bytes to the code that consumes it.
#pragma once

#include "model/profile.h"

namespace pmt::fuzz {

void render_all(const Profile& profile);

}  // namespace pmt::fuzz
