#include "report/flame_tree.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace pmt {
namespace {

// A node while the tree is being built: children found by key, lines counted.
struct BuildNode {
    FlameNode node;
    std::unordered_map<std::string, size_t> child_index;  // key -> index in node.children
    std::vector<BuildNode> children;
    std::map<uint32_t, uint64_t> line_values;
};

std::string frame_key(const FlameFrame& f) { return f.name + '\0' + f.file; }

void add(BuildNode& node, const FlameStack& stack, size_t depth) {
    node.node.value += stack.value;
    node.node.before += stack.before;
    node.node.after += stack.after;
    if (depth >= stack.frames.size()) return;
    const FlameFrame& frame = stack.frames[depth];
    auto [it, inserted] = node.child_index.try_emplace(frame_key(frame), node.children.size());
    if (inserted) {
        BuildNode child;
        child.node.name = frame.name;
        child.node.file = frame.file;
        child.node.kind = frame.kind;
        node.children.push_back(std::move(child));
    }
    BuildNode& child = node.children[it->second];
    child.line_values[frame.line] += std::max<uint64_t>(stack.value, 1);
    add(child, stack, depth + 1);
}

// Turns the build tree into the final one, folding small children together.
FlameNode finish(BuildNode& build, uint64_t min_value) {
    FlameNode out = std::move(build.node);
    uint64_t best = 0;
    for (const auto& [line, value] : build.line_values) {
        if (value > best) best = value, out.line = line;
    }
    std::sort(build.children.begin(), build.children.end(), [](const BuildNode& a, const BuildNode& b) {
        if (a.node.value != b.node.value) return a.node.value > b.node.value;
        return a.node.name < b.node.name;
    });
    FlameNode small;
    small.kind = FrameKind::Unknown;
    for (auto& child : build.children) {
        if (child.node.value == 0 && child.node.before == 0 && child.node.after == 0) continue;
        if (min_value > 0 && child.node.value < min_value) {
            small.value += child.node.value;
            small.before += child.node.before;
            small.after += child.node.after;
            small.merged += 1;
            continue;
        }
        out.children.push_back(finish(child, min_value));
    }
    if (small.merged > 0 && small.value >= min_value) {
        small.name = "[" + std::to_string(small.merged) + " smaller frames]";
        out.children.push_back(std::move(small));
    }
    return out;
}

}  // namespace

FlameNode build_flame_tree(const std::vector<FlameStack>& stacks, const std::string& root_name, uint64_t min_value) {
    BuildNode root;
    root.node.name = root_name;
    root.node.kind = FrameKind::Pseudo;
    for (const auto& stack : stacks) add(root, stack, 0);
    return finish(root, min_value);
}

std::vector<FlameFrame> flame_frames(const Profile& profile, const Stack& stack) {
    std::vector<FlameFrame> frames;
    frames.reserve(stack.frames.size());
    for (const Frame& f : stack.frames) {
        if (f.symbol >= profile.symbols.size()) {
            frames.push_back({"[bad symbol]", "", FrameKind::Unknown, f.line});
            continue;
        }
        const Symbol& s = profile.symbols[f.symbol];
        frames.push_back({s.qualified_name(), s.file, s.kind, f.line ? f.line : s.line_start});
    }
    return frames;
}

std::vector<FlameStack> flame_stacks(const Profile& profile, View view) {
    std::vector<FlameStack> out;
    out.reserve(profile.stacks.size());
    for (const Stack& stack : profile.stacks) {
        uint64_t value = stack_value(stack.stats, view);
        if (value == 0) continue;
        FlameStack fs;
        fs.frames = flame_frames(profile, stack);
        fs.value = value;
        out.push_back(std::move(fs));
    }
    return out;
}

size_t flame_node_count(const FlameNode& node) {
    size_t n = 1;
    for (const auto& c : node.children) n += flame_node_count(c);
    return n;
}

size_t flame_depth(const FlameNode& node) {
    size_t d = 0;
    for (const auto& c : node.children) d = std::max(d, 1 + flame_depth(c));
    return d;
}

}  // namespace pmt
