#include "collect/process_heap.h"

#include <cstdint>

namespace pmt {

uint64_t ProcessHeap::used_bytes() const {
    // Sizes come from records, untrusted: the sum saturates rather than overflows.
    const int64_t anchor = anchor_used > uint64_t(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(anchor_used);
    int64_t value;
    if (__builtin_add_overflow(anchor, delta, &value)) value = delta > 0 ? INT64_MAX : INT64_MIN;
    return value > 0 ? static_cast<uint64_t>(value) : 0;
}

bool ProcessHeap::in_huge_block(uint64_t addr) const {
    auto block = huge_blocks.upper_bound(addr);
    if (block == huge_blocks.begin()) return false;
    --block;
    return addr >= block->first && addr < block->second;
}

}  // namespace pmt
