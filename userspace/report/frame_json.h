// The one writer of PHP frames in the JSON report (stacks, heap events, GC runs,
// memory_limit holders): {"function", "class", "file", "line", "kind"}.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "model/profile.h"

namespace pmt {

// A frame whose symbol index is not in the profile's symbol table (a damaged or
// hand-edited session file) neither throws out of the report nor disappears: it
// is written as "[bad symbol]" of kind "unknown", with the index as "symbol",
// and counted (counters.bad_symbol_frames in the report).
class FrameJsonWriter {
public:
    explicit FrameJsonWriter(const Profile& profile) : profile_(profile) {}

    nlohmann::json frame(const Frame& frame);
    // Root first, as the frames are stored.
    nlohmann::json frames(const std::vector<Frame>& frames);
    uint64_t bad_symbol_frames() const { return bad_symbol_frames_; }

private:
    const Profile& profile_;
    uint64_t bad_symbol_frames_ = 0;
};

}  // namespace pmt
