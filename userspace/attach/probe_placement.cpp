#include "attach/probe_placement.h"

#include <algorithm>
#include <array>
#include <initializer_list>

namespace pmt {
namespace {

// How far into a function the scan looks: the prologue before the first branch.
constexpr uint64_t kMaxScanBytes = 64;

// Every name capstone has for a part of `full` (a 64-bit register).
bool is_part_of(uint16_t reg, x86_reg full) {
    struct Family {
        x86_reg full;
        std::array<x86_reg, 4> parts;
    };
    static constexpr Family kFamilies[] = {
        {X86_REG_RDI, {X86_REG_EDI, X86_REG_DI, X86_REG_DIL, X86_REG_RDI}},
        {X86_REG_RSI, {X86_REG_ESI, X86_REG_SI, X86_REG_SIL, X86_REG_RSI}},
        {X86_REG_RDX, {X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH}},
        {X86_REG_RCX, {X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH}},
        {X86_REG_R8, {X86_REG_R8D, X86_REG_R8W, X86_REG_R8B, X86_REG_R8}},
        {X86_REG_R9, {X86_REG_R9D, X86_REG_R9W, X86_REG_R9B, X86_REG_R9}},
        {X86_REG_RSP, {X86_REG_ESP, X86_REG_SP, X86_REG_SPL, X86_REG_RSP}},
        {X86_REG_RBP, {X86_REG_EBP, X86_REG_BP, X86_REG_BPL, X86_REG_RBP}},
        {X86_REG_RBX, {X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH}},
        {X86_REG_R12, {X86_REG_R12D, X86_REG_R12W, X86_REG_R12B, X86_REG_R12}},
        {X86_REG_R13, {X86_REG_R13D, X86_REG_R13W, X86_REG_R13B, X86_REG_R13}},
        {X86_REG_R14, {X86_REG_R14D, X86_REG_R14W, X86_REG_R14B, X86_REG_R14}},
        {X86_REG_R15, {X86_REG_R15D, X86_REG_R15W, X86_REG_R15B, X86_REG_R15}},
    };
    for (const Family& f : kFamilies)
        if (f.full == full) return reg == full || std::find(f.parts.begin(), f.parts.end(), reg) != f.parts.end();
    return false;
}

bool writes_kept_register(const Insn& insn, ProbeReads reads) {
    static constexpr x86_reg kArgs[] = {X86_REG_RDI, X86_REG_RSI, X86_REG_RDX, X86_REG_RCX, X86_REG_R8, X86_REG_R9};
    static constexpr x86_reg kAlwaysKept[] = {X86_REG_RSP, X86_REG_RBP, X86_REG_RBX, X86_REG_R12,
                                             X86_REG_R13, X86_REG_R14, X86_REG_R15};
    for (uint16_t reg : insn.regs_written) {
        for (unsigned k = 0; k < std::min<unsigned>(reads.args_read, 6); ++k)
            if (is_part_of(reg, kArgs[k])) return true;
        for (x86_reg kept : kAlwaysKept)
            if (is_part_of(reg, kept)) return true;
    }
    return false;
}

// Instructions whose whole effect is on their register and memory operands and
// the flags: nothing implicit (no string operations, no stack, no system state).
bool plain(const Insn& insn) {
    switch (insn.id) {
        case X86_INS_MOV: case X86_INS_MOVZX: case X86_INS_MOVSX: case X86_INS_MOVSXD:
        case X86_INS_LEA: case X86_INS_TEST: case X86_INS_CMP: case X86_INS_AND: case X86_INS_OR:
        case X86_INS_XOR: case X86_INS_ADD: case X86_INS_SUB: case X86_INS_SHL: case X86_INS_SHR:
        case X86_INS_SAR: case X86_INS_NOP: case X86_INS_ENDBR64:
            return true;
        default:
            return false;
    }
}

bool can_step_over(const Insn& insn, ProbeReads reads) {
    return plain(insn) && insn.regs_known && !insn.transfers_control && !insn.writes_memory &&
           !writes_kept_register(insn, reads);
}

}  // namespace

bool kernel_emulates_branch(const Insn& insn) {
    if (!insn.relative_branch || insn.operand_size_prefix) return false;
    // Direct jumps and calls, and every conditional jump (jcc) but the
    // counter-based ones (jrcxz, loop), which the kernel does not emulate.
    switch (insn.id) {
        case X86_INS_JCXZ: case X86_INS_JECXZ: case X86_INS_JRCXZ:
        case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
            return false;
        default:
            return true;
    }
}

uint64_t probe_point(const Disassembler& dis, const ElfFile& elf, uint64_t vaddr, uint64_t size, ProbeReads reads) {
    if (!size) return vaddr;
    return probe_point(dis, elf.bytes_at(vaddr, size), vaddr, reads);
}

uint64_t probe_point(const Disassembler& dis, std::span<const uint8_t> code, uint64_t vaddr, ProbeReads reads) {
    const std::vector<Insn> body = dis.decode_all(code, vaddr);
    uint64_t point = 0;
    for (const Insn& insn : body) {
        if (insn.address - vaddr >= kMaxScanBytes) return vaddr;
        if (kernel_emulates_branch(insn)) {
            point = insn.address;
            break;
        }
        if (!can_step_over(insn, reads)) return vaddr;
    }
    if (!point || point == vaddr) return vaddr;
    // A branch into the skipped instructions would run the probe twice or not at
    // all. Compiled code never enters a basic block in its middle; checked anyway.
    for (const Insn& insn : body)
        if (insn.target && *insn.target > vaddr && *insn.target <= point) return vaddr;
    return point;
}

}  // namespace pmt
