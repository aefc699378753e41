// The heap tracer's part of the JSON report: heap.chunks_peak / huge_peak_bytes,
// "gc", "limit", "requests" and "heap_timeline" (names scripts rely on; see
// docs/heap.md).
#pragma once

#include <nlohmann/json.hpp>

#include "model/profile.h"
#include "report/frame_json.h"

namespace pmt {

// Adds the members to `report` (a profile_to_json() object), their frames written
// by `frames`; nothing when the profile has no heap timeline.
void add_heap_timeline_json(const Profile& profile, nlohmann::json& report, FrameJsonWriter& frames);

}  // namespace pmt
