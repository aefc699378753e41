// How the Zend memory manager sizes a block (Zend/zend_alloc.c), so the tracer's
// totals count exactly what heap->size (memory_get_usage()) counts.
#pragma once

#include <array>
#include <cstdint>

#include "phpmemtrace.h"

namespace pmt::zend {

inline constexpr std::array<uint32_t, PMT_ZEND_BIN_COUNT> kBinSizes = {
    8,   16,  24,  32,  40,  48,  56,  64,   80,   96,   112,  128,  160,  192,  224,
    256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072};

// Pages of one run of each bin (ZEND_MM_BINS_INFO): what a refill takes.
inline constexpr std::array<uint32_t, PMT_ZEND_BIN_COUNT> kBinPages = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5, 3, 1, 1, 5, 3, 2, 2, 5, 3, 7, 4, 5, 3};

// Small sizes go to the smallest bin that fits them.
constexpr uint32_t small_bin_size(uint64_t size) {
    for (uint32_t bin : kBinSizes)
        if (size <= bin) return bin;
    return 0;
}

constexpr uint64_t round_to_pages(uint64_t size) {
    return (size + PMT_ZEND_PAGE_SIZE - 1) / PMT_ZEND_PAGE_SIZE * PMT_ZEND_PAGE_SIZE;
}

// Every huge block also gets a zend_mm_huge_list node {ptr, size, next} from the
// heap's own small-bin allocator (zend_mm_add_huge_block), freed with the block;
// heap->size counts it, so the tracer charges it to the huge block.
inline constexpr uint64_t kHugeListNode = 24;

// Bytes heap->size grows by when `requested` bytes are allocated: the bin for
// small sizes (<= 3072), whole pages for large (<= 2 MiB - 4 KiB) and huge blocks,
// plus the list node for huge ones.
constexpr uint64_t block_size(uint64_t requested) {
    if (requested <= PMT_ZEND_MAX_SMALL_SIZE) return small_bin_size(requested);
    if (requested <= PMT_ZEND_MAX_LARGE_SIZE) return round_to_pages(requested);
    return round_to_pages(requested) + kHugeListNode;
}

constexpr bool is_small(uint64_t block) { return block <= PMT_ZEND_MAX_SMALL_SIZE; }

// Size of a block after a realloc that returned the same pointer (resized in
// place): a small block keeps its bin (zend_mm_realloc_heap only moves it when
// it must shrink below the previous bin, and then the pointer changes); large
// and huge blocks are cut or extended to whole pages.
constexpr uint64_t in_place_realloc_size(uint64_t old_block, uint64_t requested) {
    if (is_small(old_block)) return old_block;
    return block_size(requested);  // large stays large, huge stays huge (same list node)
}

}  // namespace pmt::zend
