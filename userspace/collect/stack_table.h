// Interns stacks (root-first vectors of symbolized frames) and keeps their figures.
//
// Decoding an allocation record means resolving every frame's zend_function* to a
// symbol and hashing the result. Most records repeat a stack seen before, so a
// second table maps the raw record frames (process, pointers, lines) straight to
// the stack id; it is dropped whenever a pointer changes meaning.
#pragma once

#include <tsl/robin_map.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "collect/symbol_table.h"
#include "model/profile.h"
#include "phpmemtrace.h"

namespace pmt {

// Hash of a root-first stack (every frame's symbol and line reach every bit).
struct FramesHash {
    size_t operator()(const std::vector<Frame>& frames) const;
};

// Bounded: past `max_stacks` every new stack is interned as overflow_stack(), a
// single "[stack table full]" frame.
class StackTable {
public:
    static constexpr size_t kDefaultMaxStacks = 1'000'000;
    StackTable(FunctionResolver& resolver, SymbolTable& symbols, size_t max_stacks = kDefaultMaxStacks);

    // Stack id for the frames of an allocation record (leaf first, as walked),
    // under `root` (a symbol id) when given: the agent's service frame.
    uint32_t intern_record_frames(uint32_t tgid, std::span<const pmt_frame> leaf_first,
                                  std::optional<uint32_t> root = std::nullopt);
    uint32_t intern(const std::vector<Frame>& root_first);

    size_t size() const { return stacks_.size(); }
    uint32_t overflow_stack() const { return overflow_stack_; }
    const std::vector<Frame>& frames(uint32_t id) const { return stacks_[id]; }

private:
    struct RawEntry {
        uint32_t tgid;
        uint32_t stack;
        std::optional<uint32_t> root;
        std::vector<pmt_frame> frames;
    };
    static uint64_t raw_hash(uint32_t tgid, std::span<const pmt_frame> frames);

    FunctionResolver& resolver_;
    size_t max_stacks_;
    uint32_t overflow_stack_ = 0;
    std::vector<std::vector<Frame>> stacks_;
    tsl::robin_map<std::vector<Frame>, uint32_t, FramesHash> index_;
    tsl::robin_map<uint64_t, RawEntry> raw_cache_;
    uint64_t raw_cache_generation_ = 0;
    std::vector<Frame> scratch_;
};

}  // namespace pmt
