// The allocated blocks of a heap copy, sorted by address, so that any pointer
// read from the copy can be tested: which block holds it, and the bytes of that
// block. A pointer that lands in no allocated block (a free slot, a page outside
// the heap, an interned string in the binary's data) finds nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "snapshot/heap_blocks.h"
#include "snapshot/heap_copy.h"

namespace pmt {

class BlockIndex {
public:
    BlockIndex(const HeapCopy& copy, const HeapBlocks& blocks);
    size_t size() const { return blocks_.size(); }
    const HeapBlock& block(size_t i) const { return blocks_[i]; }
    // The block holding `address` (anywhere inside it), or nullopt.
    std::optional<uint32_t> find(uint64_t address) const;
    // The copied bytes of block i.
    std::span<const uint8_t> bytes(uint32_t i) const;
    // `length` bytes at `address` if they lie inside one allocated block, else empty.
    std::span<const uint8_t> view(uint64_t address, uint64_t length) const;

private:
    const HeapCopy& copy_;
    std::vector<HeapBlock> blocks_;
};

}  // namespace pmt
