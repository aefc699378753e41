// The tree a flame graph draws: stacks merged by frame from the root down, each
// node weighted by the sum of its stacks' values. Built from one Profile (a View)
// or from a diff (before/after per stack); the SVG writer only lays it out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/profile.h"

namespace pmt {

// What identifies a frame in the tree: siblings with the same name and file merge.
struct FlameFrame {
    std::string name;  // "Class::method" or "function"
    std::string file;  // empty for internal functions and pseudo-frames
    FrameKind kind = FrameKind::Unknown;
    uint32_t line = 0;  // line executing in this frame (0: unknown)
};

// One stack with its weight. `before`/`after` are only used by diffs.
struct FlameStack {
    std::vector<FlameFrame> frames;  // root first
    uint64_t value = 0;
    uint64_t before = 0;
    uint64_t after = 0;
};

struct FlameNode {
    std::string name;
    std::string file;
    FrameKind kind = FrameKind::Unknown;
    uint32_t line = 0;       // the executing line that carries most of the value
    uint64_t value = 0;      // inclusive: this frame and everything it called
    uint64_t before = 0;     // diffs: inclusive value in the first profile
    uint64_t after = 0;      // diffs: inclusive value in the second profile
    uint32_t merged = 0;     // > 0: this node stands for that many small siblings
    std::vector<FlameNode> children;  // largest first after build_flame_tree()
};

// Merges `stacks` into one tree under a root named `root_name`. Children whose
// value is below `min_value` are folded into one "[N smaller frames]" node per
// parent (dropped if that is still below `min_value`), so huge profiles stay
// drawable; min_value = 0 keeps everything.
FlameNode build_flame_tree(const std::vector<FlameStack>& stacks, const std::string& root_name, uint64_t min_value);

// The frames of a profile's stack, with names resolved.
std::vector<FlameFrame> flame_frames(const Profile& profile, const Stack& stack);

// Every stack of `profile` weighted by `view` (stacks worth 0 are left out).
std::vector<FlameStack> flame_stacks(const Profile& profile, View view);

// Number of nodes and deepest level (root = depth 0), for layout and tests.
size_t flame_node_count(const FlameNode& node);
size_t flame_depth(const FlameNode& node);

}  // namespace pmt
