// Where heap.bpf.c attaches, found in the PHP binary's own machine code.
//
// zend_mm_alloc_huge, zend_mm_free_huge, zend_mm_chunk_alloc_int and
// zend_mm_chunk_free are static in zend_alloc.c, so a stripped distribution binary
// has no symbol for them. The exported wrappers lead to them:
//   _emalloc_huge  --jmp-->  zend_mm_alloc_huge  --call-->  zend_mm_chunk_alloc_int
//   _efree_huge    --jmp-->  zend_mm_free_huge   --call-->  zend_mm_chunk_free
// and zend_set_memory_limit also calls zend_mm_chunk_free (releasing cached chunks),
// which confirms the choice. A symbol table, when present, wins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "target/elf_file.h"

namespace pmt {

struct ZendHeapProbePoints {
    // Link-time addresses (0: not found).
    uint64_t alloc_huge = 0;
    uint64_t free_huge = 0;
    uint64_t chunk_alloc = 0;   // zend_mm_chunk_alloc_int(size, alignment)
    uint64_t chunk_free = 0;    // zend_mm_chunk_free(heap, addr, size)
    // Return addresses of zend_mm_alloc_huge's calls to chunk_alloc: a mapping made
    // from there is a huge block, any other one a 2 MiB chunk.
    std::vector<uint64_t> huge_call_returns;
    // The heap's other slow paths (the agent's probes; 0: not found):
    //   _emalloc_8  --jmp-->  zend_mm_alloc_small_slow(heap, bin)   (a bin's free list is empty)
    //   _emalloc    --jmp-->  zend_mm_alloc_large(heap, size)       (not small_slow, not huge)
    //   _efree_large --jmp--> zend_mm_free_pages_ex(heap, chunk, page, count, free_chunk)
    uint64_t small_slow = 0;
    uint64_t alloc_large = 0;
    uint64_t free_pages = 0;
    // zend_mm_heap field offsets (0: unknown).
    uint32_t heap_peak = 0;     // zend_memory_peak_usage
    uint32_t heap_limit = 0;    // zend_set_memory_limit
    uint32_t heap_huge_list = 0;  // zend_mm_free_huge walks heap->huge_list
    // How the chunk probes were found, or why not (said in reports).
    std::string method;
    bool chunks_found() const { return chunk_alloc && chunk_free && !huge_call_returns.empty(); }
};

ZendHeapProbePoints discover_zend_heap_probe_points(const ElfFile& binary);

}  // namespace pmt
