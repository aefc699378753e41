// x86-64 machine code of the PHP binary, read with capstone: one RAII handle and
// one operand scanner, used by the heap layout (target/heap_layout.cpp) and the
// heap probe discovery (heap/zend_heap_discovery.cpp) and where probes go inside
// a function (attach/probe_placement.cpp).
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "target/elf_file.h"

namespace pmt {

// The parts of one instruction the scanners read.
struct Insn {
    uint64_t address = 0;
    uint32_t id = 0;  // X86_INS_*
    uint16_t size = 0;
    std::optional<uint64_t> target;  // direct jmp/jcc/call target
    std::vector<x86_op_mem> mems;    // memory operands, in operand order
    // Whether the first memory operand is written (mov [mem], reg).
    bool mem_is_destination = false;
    // Whether any memory operand is written (capstone's operand access).
    bool writes_memory = false;
    // A jump or call with its target in the instruction (rel8/rel32).
    bool relative_branch = false;
    // Any transfer of control: jump, call, return, interrupt.
    bool transfers_control = false;
    // The operand-size override (0x66), which the kernel's branch emulation refuses.
    bool operand_size_prefix = false;
    // The registers it writes, as capstone names them (sub-registers too: EDX,
    // DIL), when capstone knows them (regs_known).
    std::vector<uint16_t> regs_written;
    bool regs_known = false;
    const x86_op_mem* mem() const { return mems.empty() ? nullptr : &mems.front(); }
};

// A struct field through a pointer in a register: [reg + disp], disp > 0
// (neither RIP-relative nor indexed).
bool is_field_access(const x86_op_mem& mem);

class Disassembler {
public:
    Disassembler();  // x86-64, with operand details
    ~Disassembler();
    Disassembler(const Disassembler&) = delete;
    Disassembler& operator=(const Disassembler&) = delete;

    // The instruction at `address` (nullopt: no bytes there, or not an instruction).
    std::optional<Insn> decode(const ElfFile& elf, uint64_t address) const;
    // The instructions of `code` (at `address`) from its start to its end or the
    // first byte sequence that is not an instruction.
    std::vector<Insn> decode_all(std::span<const uint8_t> code, uint64_t address) const;
    // decode_all() of an exported function's first `max_bytes` (all of them when
    // its size is not known); empty without that symbol.
    std::vector<Insn> function(const ElfFile& elf, const char* name, size_t max_bytes) const;

private:
    std::vector<Insn> disassemble(std::span<const uint8_t> code, uint64_t address, size_t count) const;
    csh handle_ = 0;
    bool ok_ = false;
};

}  // namespace pmt
