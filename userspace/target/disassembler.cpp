#include "target/disassembler.h"

#include <algorithm>

namespace pmt {

bool is_field_access(const x86_op_mem& mem) {
    return mem.base != X86_REG_RIP && mem.base != X86_REG_INVALID && mem.index == X86_REG_INVALID && mem.disp > 0;
}

Disassembler::Disassembler() {
    ok_ = cs_open(CS_ARCH_X86, CS_MODE_64, &handle_) == CS_ERR_OK;
    if (ok_) cs_option(handle_, CS_OPT_DETAIL, CS_OPT_ON);
}

Disassembler::~Disassembler() {
    if (ok_) cs_close(&handle_);
}

std::vector<Insn> Disassembler::disassemble(std::span<const uint8_t> code, uint64_t address, size_t count) const {
    std::vector<Insn> out;
    if (!ok_ || code.empty()) return out;
    cs_insn* insns = nullptr;
    const size_t n = cs_disasm(handle_, code.data(), code.size(), address, count, &insns);
    out.reserve(n);
    for (size_t k = 0; k < n; ++k) {
        const cs_insn& insn = insns[k];
        Insn decoded;
        decoded.address = insn.address;
        decoded.id = insn.id;
        decoded.size = insn.size;
        if (!insn.detail) {  // always there with CS_OPT_DETAIL on; no operands otherwise
            out.push_back(decoded);
            continue;
        }
        const cs_x86& x86 = insn.detail->x86;
        const bool branch = cs_insn_group(handle_, &insn, CS_GRP_JUMP) || cs_insn_group(handle_, &insn, CS_GRP_CALL);
        decoded.transfers_control = branch || cs_insn_group(handle_, &insn, CS_GRP_RET) ||
                                    cs_insn_group(handle_, &insn, CS_GRP_INT) ||
                                    cs_insn_group(handle_, &insn, CS_GRP_IRET);
        decoded.operand_size_prefix = x86.prefix[2] == 0x66;
        for (uint8_t i = 0; i < x86.op_count; ++i) {
            const cs_x86_op& op = x86.operands[i];
            if (op.type == X86_OP_IMM && branch) {
                decoded.target = static_cast<uint64_t>(op.imm);
                decoded.relative_branch = true;
            }
            if (op.type == X86_OP_MEM) {
                if (decoded.mems.empty()) decoded.mem_is_destination = (i == 0 && x86.op_count == 2);
                decoded.mems.push_back(op.mem);
                if (op.access & CS_AC_WRITE) decoded.writes_memory = true;
            }
        }
        cs_regs read, written;
        uint8_t read_count = 0, written_count = 0;
        decoded.regs_known = cs_regs_access(handle_, &insn, read, &read_count, written, &written_count) == CS_ERR_OK;
        if (decoded.regs_known) decoded.regs_written.assign(written, written + written_count);
        out.push_back(std::move(decoded));
    }
    if (n) cs_free(insns, n);
    return out;
}

std::optional<Insn> Disassembler::decode(const ElfFile& elf, uint64_t address) const {
    auto insns = disassemble(elf.bytes_at(address, 16), address, 1);
    if (insns.empty()) return std::nullopt;
    return std::move(insns.front());
}

std::vector<Insn> Disassembler::decode_all(std::span<const uint8_t> code, uint64_t address) const {
    return disassemble(code, address, 0);
}

std::vector<Insn> Disassembler::function(const ElfFile& elf, const char* name, size_t max_bytes) const {
    auto sym = elf.symbol(name);
    if (!sym) return {};
    return decode_all(elf.bytes_at(sym->vaddr, sym->size ? std::min<uint64_t>(sym->size, max_bytes) : max_bytes),
                      sym->vaddr);
}

}  // namespace pmt
