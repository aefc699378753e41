#include "collect/process_heap.h"

#include "util/saturating.h"

namespace pmt {

uint64_t ProcessHeap::used_bytes() const {
    const int64_t value = add_saturating(clamp_signed(anchor_used), delta);
    return value > 0 ? static_cast<uint64_t>(value) : 0;
}

bool ProcessHeap::in_huge_block(uint64_t addr) const {
    auto block = huge_blocks.upper_bound(addr);
    if (block == huge_blocks.begin()) return false;
    --block;
    return addr >= block->first && addr < block->second;
}

}  // namespace pmt
