// Zend heap layout recovered from the PHP binary's own machine code.
//
// zend_mm_heap is private to zend_alloc.c and its layout differs between builds
// (Debian's 8.2/8.4 carry 16 bytes more than upstream), so nothing is hard-coded:
// the exported accessors are disassembled to read the offsets they use.
#pragma once

#include <cstdint>

#include "target/elf_file.h"

namespace pmt {

struct HeapLayout {
    uint64_t heap_ptr_vaddr = 0;   // &alloc_globals.mm_heap (zend_mm_get_heap)
    uint32_t heap_size = 0;        // zend_mm_heap.size      (zend_memory_usage(false))
    uint32_t heap_real_size = 0;   // zend_mm_heap.real_size (zend_memory_usage(true))
    uint32_t chunk_map = 0;        // zend_mm_chunk.map      (_zend_mm_block_size)
    bool complete() const { return heap_ptr_vaddr && heap_size && heap_real_size && chunk_map; }
};

// Fields that could not be recovered stay 0; callers degrade (no baseline, no
// page-map sizes) and say so.
HeapLayout discover_heap_layout(const ElfFile& binary);

}  // namespace pmt
