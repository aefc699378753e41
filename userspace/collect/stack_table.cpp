#include "collect/stack_table.h"

#include <cstring>

#include "util/hash.h"

namespace pmt {

size_t FramesHash::operator()(const std::vector<Frame>& frames) const {
    return hash_items(std::span<const Frame>(frames));
}

uint64_t StackTable::raw_hash(uint32_t tgid, std::span<const pmt_frame> frames) { return hash_items(frames, tgid); }

StackTable::StackTable(FunctionResolver& resolver, SymbolTable& symbols, size_t max_stacks)
    : resolver_(resolver), max_stacks_(max_stacks) {
    const Symbol full{FrameKind::Pseudo, "[stack table full]", std::nullopt, "", 0};
    const std::vector<Frame> overflow = {Frame{symbols.intern(full), 0}};
    overflow_stack_ = static_cast<uint32_t>(stacks_.size());
    stacks_.push_back(overflow);
    index_.emplace(overflow, overflow_stack_);
}

uint32_t StackTable::intern(const std::vector<Frame>& root_first) {
    auto it = index_.find(root_first);
    if (it != index_.end()) return it->second;
    if (stacks_.size() >= max_stacks_) return overflow_stack_;
    auto id = static_cast<uint32_t>(stacks_.size());
    stacks_.push_back(root_first);
    index_.emplace(root_first, id);
    return id;
}

uint32_t StackTable::intern_record_frames(uint32_t tgid, std::span<const pmt_frame> leaf_first,
                                          std::optional<uint32_t> root) {
    if (raw_cache_generation_ != resolver_.generation()) {
        raw_cache_.clear();
        raw_cache_generation_ = resolver_.generation();
    }
    uint64_t h = raw_hash(tgid, leaf_first);
    auto cached = raw_cache_.find(h);
    if (cached != raw_cache_.end()) {
        const RawEntry& e = cached->second;
        // An empty stack (a record with depth 0) has no data() to hand memcmp.
        if (e.tgid == tgid && e.root == root && e.frames.size() == leaf_first.size() &&
            (leaf_first.empty() || std::memcmp(e.frames.data(), leaf_first.data(), leaf_first.size_bytes()) == 0))
            return e.stack;
    }
    scratch_.clear();
    if (root) scratch_.push_back(Frame{*root, 0});
    for (size_t i = leaf_first.size(); i-- > 0;) {
        const pmt_frame& f = leaf_first[i];
        uint32_t line = (f.flags & PMT_FRAME_LINE_UNKNOWN) ? 0 : f.lineno;
        scratch_.push_back(Frame{resolver_.resolve(tgid, f.func), line});
    }
    uint32_t id = intern(scratch_);
    // resolve() may have bumped nothing, but an unknown pointer makes the entry
    // depend on a future FUNC record: that bumps the generation and drops it.
    if (cached == raw_cache_.end())
        raw_cache_.emplace(h, RawEntry{tgid, id, root, {leaf_first.begin(), leaf_first.end()}});
    return id;
}

}  // namespace pmt
