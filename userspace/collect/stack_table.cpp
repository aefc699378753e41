#include "collect/stack_table.h"

#include <cstring>

namespace pmt {
namespace {

inline uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

}  // namespace

size_t StackTable::FramesHash::operator()(const std::vector<Frame>& frames) const {
    uint64_t h = frames.size();
    for (const auto& f : frames) h = mix(h, (uint64_t(f.symbol) << 32) | f.line);
    return h;
}

uint64_t StackTable::raw_hash(uint32_t tgid, std::span<const pmt_frame> frames) {
    // Two independent lanes (even and odd frames) halve the chain of dependent
    // mixes: hashing was a quarter of the collector's time on 64-frame stacks.
    uint64_t h0 = mix(tgid, frames.size()), h1 = 0x243F6A8885A308D3ull;
    size_t i = 0;
    for (; i + 1 < frames.size(); i += 2) {
        h0 = mix(mix(h0, frames[i].func), frames[i].lineno);
        h1 = mix(mix(h1, frames[i + 1].func), frames[i + 1].lineno);
    }
    if (i < frames.size()) h0 = mix(mix(h0, frames[i].func), frames[i].lineno);
    return mix(h0, h1);
}

uint32_t StackTable::intern(const std::vector<Frame>& root_first) {
    auto it = index_.find(root_first);
    if (it != index_.end()) return it->second;
    auto id = static_cast<uint32_t>(stacks_.size());
    stacks_.push_back(root_first);
    index_.emplace(root_first, id);
    return id;
}

uint32_t StackTable::intern_record_frames(uint32_t tgid, std::span<const pmt_frame> leaf_first) {
    if (raw_cache_generation_ != resolver_.generation()) {
        raw_cache_.clear();
        raw_cache_generation_ = resolver_.generation();
    }
    uint64_t h = raw_hash(tgid, leaf_first);
    auto cached = raw_cache_.find(h);
    if (cached != raw_cache_.end()) {
        const RawEntry& e = cached->second;
        if (e.tgid == tgid && e.frames.size() == leaf_first.size() &&
            std::memcmp(e.frames.data(), leaf_first.data(), leaf_first.size_bytes()) == 0)
            return e.stack;
    }
    scratch_.clear();
    for (size_t i = leaf_first.size(); i-- > 0;) {
        const pmt_frame& f = leaf_first[i];
        uint32_t line = (f.flags & PMT_FRAME_LINE_UNKNOWN) ? 0 : f.lineno;
        scratch_.push_back(Frame{resolver_.resolve(tgid, f.func), line});
    }
    uint32_t id = intern(scratch_);
    // resolve() may have bumped nothing, but an unknown pointer makes the entry
    // depend on a future FUNC record: that bumps the generation and drops it.
    if (cached == raw_cache_.end())
        raw_cache_.emplace(h, RawEntry{tgid, id, {leaf_first.begin(), leaf_first.end()}});
    return id;
}

}  // namespace pmt
