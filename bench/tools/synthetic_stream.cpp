#include "synthetic_stream.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace pmt::bench {
namespace {

constexpr uint32_t kTgid = 4242;
constexpr uint64_t kFuncBase = 0x55d0c0000000ull;

uint64_t func_ptr(uint32_t id) { return kFuncBase + uint64_t(id) * 0xe0; }

}  // namespace

SyntheticStream::SyntheticStream(const SyntheticOptions& options) : options_(options), rng_(options.seed) {
    // Stacks: one of a few framework "trunks" (shared prefixes: front controller,
    // router, middleware, ...) plus an application tail of 1..8 frames.
    const uint32_t trunks = 8;
    const uint32_t trunk_depth = options.mean_depth > 5 ? options.mean_depth - 4 : 1;
    std::vector<std::vector<pmt_frame>> trunk_frames(trunks);
    std::uniform_int_distribution<uint32_t> func(PMT_PSEUDO_MAX, options.functions - 1 + PMT_PSEUDO_MAX);
    std::uniform_int_distribution<uint32_t> line(1, 800);
    for (auto& t : trunk_frames)
        for (uint32_t i = 0; i < trunk_depth; ++i) t.push_back(pmt_frame{func_ptr(func(rng_)), line(rng_), 0});
    std::uniform_int_distribution<uint32_t> tail_len(1, 8), pick_trunk(0, trunks - 1);
    for (uint32_t s = 0; s < options.stacks; ++s) {
        std::vector<pmt_frame> root_first = trunk_frames[pick_trunk(rng_)];
        uint32_t tail = tail_len(rng_);
        for (uint32_t i = 0; i < tail && root_first.size() < PMT_MAX_FRAMES; ++i)
            root_first.push_back(pmt_frame{func_ptr(func(rng_)), line(rng_), 0});
        // The leaf is often an internal function (str_repeat, array_map...): no line.
        if (rng_() % 2) root_first.back().flags = PMT_FRAME_LINE_UNKNOWN, root_first.back().lineno = 0;
        stacks_.emplace_back(root_first.rbegin(), root_first.rend());
    }
    double total = 0;
    for (uint32_t s = 0; s < options.stacks; ++s) {
        total += 1.0 / std::pow(double(s + 1), options.zipf_s);
        stack_cdf_.push_back(total);
    }
    for (auto& c : stack_cdf_) c /= total;
    live_.reserve(options.live_blocks + options.live_blocks / 4 + 16);
}

uint64_t SyntheticStream::fresh_ptr() {
    if (!free_ptrs_.empty() && rng_() % 4 != 0) {  // the allocator reuses freed slots, LIFO
        uint64_t p = free_ptrs_.back();
        free_ptrs_.pop_back();
        return p;
    }
    next_ptr_ += 16 + (rng_() % 16) * 16;
    return next_ptr_;
}

size_t SyntheticStream::func_record(void* buffer) {
    auto* r = static_cast<pmt_func_record*>(buffer);
    std::memset(r, 0, sizeof(*r));
    uint32_t id = funcs_sent_++ + PMT_PSEUDO_MAX;
    r->hdr = pmt_record_header{PMT_REC_FUNC, 0, kTgid, ts_++};
    r->func = func_ptr(id);
    r->type = id % 5 == 0 ? PMT_FUNC_INTERNAL : PMT_FUNC_USER;
    r->has_name = 1;
    r->line_start = id % 700;
    std::snprintf(r->function, sizeof(r->function), "handle_%u", id);
    if (id % 3 == 0) std::snprintf(r->class_name, sizeof(r->class_name), "App\\Service\\Class%u", id / 7);
    if (r->type == PMT_FUNC_USER) std::snprintf(r->file, sizeof(r->file), "/srv/app/src/Module%u/File%u.php", id / 50, id / 7);
    return sizeof(*r);
}

size_t SyntheticStream::alloc_record(void* buffer, uint16_t kind, uint64_t ptr, uint64_t old_ptr) {
    auto* r = static_cast<pmt_alloc_record*>(buffer);
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    size_t stack = std::lower_bound(stack_cdf_.begin(), stack_cdf_.end(), u) - stack_cdf_.begin();
    const auto& frames = stacks_[std::min(stack, stacks_.size() - 1)];
    r->hdr = pmt_record_header{kind, 0, kTgid, ts_ += 700};
    r->ptr = ptr;
    // Mostly small bins, some large blocks.
    uint64_t roll = rng_() % 100;
    r->size = roll < 90 ? 8 + rng_() % 256 : roll < 99 ? 256 + rng_() % 2800 : 4096 + rng_() % 60000;
    r->old_ptr = old_ptr;
    r->old_size = old_ptr ? 64 : 0;
    r->probe = kind == PMT_REC_ALLOC ? PMT_PROBE_EMALLOC : PMT_PROBE_EREALLOC;
    r->reserved = 0;
    r->depth = static_cast<uint16_t>(frames.size());
    r->stack_flags = 0;
    r->reserved2 = 0;
    std::memcpy(r->frames, frames.data(), frames.size() * sizeof(pmt_frame));
    return PMT_ALLOC_RECORD_FIXED_SIZE + frames.size() * sizeof(pmt_frame);
}

size_t SyntheticStream::next(void* buffer) {
    if (funcs_sent_ < options_.functions) return func_record(buffer);
    // Warm up to the target, then hover around it: reallocs keep the count, and
    // allocations outnumber frees below the target, frees above it.
    std::uniform_real_distribution<double> unit(0, 1);
    if (!live_.empty() && live_.size() * 2 >= options_.live_blocks && unit(rng_) < options_.realloc_share) {
        size_t i = rng_() % live_.size();
        uint64_t old_ptr = live_[i];
        uint64_t ptr = rng_() % 2 ? old_ptr : fresh_ptr();
        if (ptr != old_ptr) free_ptrs_.push_back(old_ptr);
        live_[i] = ptr;
        return alloc_record(buffer, PMT_REC_REALLOC, ptr, old_ptr);
    }
    bool alloc = live_.empty() || live_.size() * 2 < options_.live_blocks ||
                 unit(rng_) < (live_.size() < options_.live_blocks ? 0.55 : 0.45);
    if (alloc) {
        uint64_t ptr = fresh_ptr();
        live_.push_back(ptr);
        return alloc_record(buffer, PMT_REC_ALLOC, ptr, 0);
    }
    size_t i = rng_() % live_.size();
    uint64_t ptr = live_[i];
    live_[i] = live_.back();
    live_.pop_back();
    free_ptrs_.push_back(ptr);
    auto* r = static_cast<pmt_free_record*>(buffer);
    std::memset(r, 0, sizeof(*r));
    r->hdr = pmt_record_header{PMT_REC_FREE, 0, kTgid, ts_ += 700};
    r->ptr = ptr;
    r->probe = PMT_PROBE_EFREE;
    return sizeof(*r);
}

}  // namespace pmt::bench
