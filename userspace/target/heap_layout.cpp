#include "target/heap_layout.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

namespace pmt {
namespace {

// Calls `visit` for each instruction of an exported function (up to max_bytes).
void for_each_instruction(const ElfFile& binary, const char* function, size_t max_bytes,
                          const std::function<void(const cs_insn&)>& visit) {
    auto sym = binary.symbol(function);
    if (!sym) return;
    auto code = binary.bytes_at(sym->vaddr, sym->size ? std::min<uint64_t>(sym->size, max_bytes) : max_bytes);
    if (code.empty()) return;
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return;
    cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn* insns = nullptr;
    size_t count = cs_disasm(handle, code.data(), code.size(), sym->vaddr, 0, &insns);
    for (size_t i = 0; i < count; ++i) visit(insns[i]);
    if (count) cs_free(insns, count);
    cs_close(&handle);
}

// Memory operands of an instruction.
std::vector<x86_op_mem> memory_operands(const cs_insn& insn) {
    std::vector<x86_op_mem> out;
    if (!insn.detail) return out;
    const cs_x86& x86 = insn.detail->x86;
    for (uint8_t i = 0; i < x86.op_count; ++i)
        if (x86.operands[i].type == X86_OP_MEM) out.push_back(x86.operands[i].mem);
    return out;
}

}  // namespace

HeapLayout discover_heap_layout(const ElfFile& binary) {
    HeapLayout layout;

    // zend_mm_get_heap: mov rax, [rip + disp]; ret
    for_each_instruction(binary, "zend_mm_get_heap", 32, [&](const cs_insn& insn) {
        if (layout.heap_ptr_vaddr || insn.id != X86_INS_MOV) return;
        for (const auto& mem : memory_operands(insn))
            if (mem.base == X86_REG_RIP) layout.heap_ptr_vaddr = insn.address + insn.size + mem.disp;
    });

    // zend_memory_usage(real): loads heap->real_size or heap->size from the heap
    // pointer; size precedes real_size in the struct, so the smaller is size.
    std::vector<uint32_t> usage_offsets;
    for_each_instruction(binary, "zend_memory_usage", 64, [&](const cs_insn& insn) {
        if (insn.id != X86_INS_MOV) return;
        for (const auto& mem : memory_operands(insn))
            if (mem.base != X86_REG_RIP && mem.base != X86_REG_INVALID && mem.index == X86_REG_INVALID &&
                mem.disp > 0)
                usage_offsets.push_back(static_cast<uint32_t>(mem.disp));
    });
    if (usage_offsets.size() == 2 && usage_offsets[0] != usage_offsets[1]) {
        layout.heap_size = std::min(usage_offsets[0], usage_offsets[1]);
        layout.heap_real_size = std::max(usage_offsets[0], usage_offsets[1]);
    }

    // _zend_mm_block_size: info = chunk->map[page]  ->  mov eax, [chunk + page*4 + map]
    for_each_instruction(binary, "_zend_mm_block_size", 128, [&](const cs_insn& insn) {
        if (layout.chunk_map) return;
        for (const auto& mem : memory_operands(insn))
            if (mem.index != X86_REG_INVALID && mem.scale == 4 && mem.base != X86_REG_RIP && mem.disp > 64)
                layout.chunk_map = static_cast<uint32_t>(mem.disp);
    });
    return layout;
}

}  // namespace pmt
