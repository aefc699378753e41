#include "target/heap_layout.h"

#include <algorithm>
#include <vector>

#include "target/disassembler.h"

namespace pmt {

HeapLayout discover_heap_layout(const ElfFile& binary) {
    HeapLayout layout;
    const Disassembler dis;

    // zend_mm_get_heap: mov rax, [rip + disp]; ret
    for (const Insn& insn : dis.function(binary, "zend_mm_get_heap", 32)) {
        if (layout.heap_ptr_vaddr || insn.id != X86_INS_MOV) continue;
        for (const auto& mem : insn.mems)
            if (mem.base == X86_REG_RIP) layout.heap_ptr_vaddr = insn.address + insn.size + mem.disp;
    }

    // zend_memory_usage(real): loads heap->real_size or heap->size from the heap
    // pointer; size precedes real_size in the struct, so the smaller is size.
    std::vector<uint32_t> usage_offsets;
    for (const Insn& insn : dis.function(binary, "zend_memory_usage", 64)) {
        if (insn.id != X86_INS_MOV) continue;
        for (const auto& mem : insn.mems)
            if (is_field_access(mem)) usage_offsets.push_back(static_cast<uint32_t>(mem.disp));
    }
    if (usage_offsets.size() == 2 && usage_offsets[0] != usage_offsets[1]) {
        layout.heap_size = std::min(usage_offsets[0], usage_offsets[1]);
        layout.heap_real_size = std::max(usage_offsets[0], usage_offsets[1]);
    }

    // _zend_mm_block_size: info = chunk->map[page]  ->  mov eax, [chunk + page*4 + map]
    for (const Insn& insn : dis.function(binary, "_zend_mm_block_size", 128)) {
        if (layout.chunk_map) continue;
        for (const auto& mem : insn.mems)
            if (mem.index != X86_REG_INVALID && mem.scale == 4 && mem.base != X86_REG_RIP && mem.disp > 64)
                layout.chunk_map = static_cast<uint32_t>(mem.disp);
    }
    return layout;
}

}  // namespace pmt
