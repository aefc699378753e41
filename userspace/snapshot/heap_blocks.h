// The exact set of allocated blocks in a heap copy, the way zend_alloc.c counts
// them: every element of every small run (a bin's pages) that is not on its
// bin's free list, every large run (whole pages), every huge block. Their total
// is heap->size (memory_get_usage()) when the copy was taken between two
// allocations.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "phpmemtrace.h"
#include "snapshot/heap_copy.h"

namespace pmt {

enum class BlockKind : uint8_t { Small, Large, Huge };
const char* block_kind_name(BlockKind kind);

struct HeapBlock {
    uint64_t address = 0;
    uint64_t size = 0;      // as heap->size counts it: the bin, whole pages, the huge size
    BlockKind kind = BlockKind::Small;
    uint8_t bin = 0;        // small blocks: ZEND_MM bin number
    uint32_t chunk = 0;     // index in HeapCopy::chunks (huge: index in HeapCopy::huge)
    uint32_t page = 0;      // page in its chunk (huge: 0)
};

struct BlockCount {
    uint64_t blocks = 0;
    uint64_t bytes = 0;
};

struct BinCount : BlockCount {
    uint64_t runs = 0;
    uint64_t free_blocks = 0;  // on the bin's free list
};

struct HeapCensus {
    // The heap's own counters, from its struct in the copy.
    uint64_t size = 0;       // memory_get_usage()
    uint64_t real_size = 0;  // memory_get_usage(true)
    uint64_t peak = 0;       // memory_get_peak_usage()
    uint64_t chunks = 0;
    uint64_t free_pages = 0;
    std::array<BinCount, PMT_ZEND_BIN_COUNT> small{};
    BlockCount large, huge;
    // Entries of the copy that made no sense and were skipped; 0 in a heap copied
    // while it was consistent.
    uint64_t bad_page_entries = 0;
    uint64_t bad_free_slots = 0;

    uint64_t blocks() const;
    uint64_t blocks_bytes() const;
    // Copied bytes: chunks and huge blocks (equals real_size for a whole copy).
    uint64_t mapped_bytes = 0;
};

class HeapBlocks {
public:
    // Reads the page maps and free lists of `copy` (which must outlive this).
    HeapBlocks(const HeapCopy& copy, const pmt_php_offsets& off);
    const HeapCensus& census() const { return census_; }
    // Every allocated block, chunk by chunk, page by page, then the huge blocks.
    void for_each(const std::function<void(const HeapBlock&)>& visit) const;

private:
    struct Run {
        uint32_t chunk = 0;
        uint16_t page = 0;
        uint16_t pages = 0;
        uint8_t bin = 0;
        bool small = false;
    };
    void read_page_map(uint32_t chunk, const pmt_php_offsets& off, std::vector<int32_t>& run_of_page);
    void read_free_lists(const pmt_php_offsets& off, const std::vector<std::vector<int32_t>>& run_of_page);
    bool is_free(uint32_t chunk, uint64_t offset) const;
    void count();

    const HeapCopy& copy_;
    std::vector<Run> runs_;
    // Per chunk, one bit per 8 bytes: a free small element starts there.
    std::vector<std::vector<uint64_t>> free_bits_;
    HeapCensus census_;
};

}  // namespace pmt
