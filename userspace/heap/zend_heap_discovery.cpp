#include "heap/zend_heap_discovery.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "target/disassembler.h"

namespace pmt {
namespace {

// The instructions of a function reachable from `start` by following its jumps,
// limited to [start, start + window): cold paths placed elsewhere (.text.unlikely)
// and tail calls are not followed. Ordered by address.
std::map<uint64_t, Insn> trace_function(const ElfFile& elf, const Disassembler& dis, uint64_t start,
                                        uint64_t window = 4096) {
    std::map<uint64_t, Insn> seen;
    std::vector<uint64_t> work = {start};
    while (!work.empty() && seen.size() < 4096) {
        uint64_t pc = work.back();
        work.pop_back();
        while (pc >= start && pc < start + window && !seen.count(pc)) {
            auto insn = dis.decode(elf, pc);
            if (!insn) break;
            seen[pc] = *insn;
            if (insn->id == X86_INS_RET) break;
            if (insn->id == X86_INS_JMP) {
                if (insn->target) work.push_back(*insn->target);
                break;  // unconditional: no fall-through (indirect: unknown target)
            }
            if (insn->target && insn->id != X86_INS_CALL) work.push_back(*insn->target);  // jcc
            pc += insn->size;
        }
    }
    return seen;
}

// Target of the unconditional jmp (or call) of a small exported wrapper.
std::optional<uint64_t> wrapper_target(const ElfFile& elf, const Disassembler& dis, const char* name) {
    auto sym = elf.symbol(name);
    if (!sym) return std::nullopt;
    for (const auto& [addr, insn] : trace_function(elf, dis, sym->vaddr, 64))
        if ((insn.id == X86_INS_JMP || insn.id == X86_INS_CALL) && insn.target) return insn.target;
    return std::nullopt;
}

bool is_exported_function(const ElfFile& elf, uint64_t vaddr) {
    for (const auto& [name, sym] : elf.symbols())
        if (sym.vaddr == vaddr && sym.is_function) return true;
    return false;
}

// Targets of the jmps by which an exported function leaves its own code (tail
// calls into static functions), in address order.
std::vector<uint64_t> tail_jump_targets(const ElfFile& elf, const Disassembler& dis, const char* name) {
    std::vector<uint64_t> out;
    auto sym = elf.symbol(name);
    if (!sym) return out;
    const uint64_t window = sym->size ? sym->size : 256;
    for (const auto& [addr, insn] : trace_function(elf, dis, sym->vaddr, window))
        if (insn.id == X86_INS_JMP && insn.target &&
            (*insn.target < sym->vaddr || *insn.target >= sym->vaddr + window))
            out.push_back(*insn.target);
    return out;
}

// Found after the huge-block functions, which tell the candidates apart.
void discover_slow_paths(const ElfFile& elf, const Disassembler& dis, ZendHeapProbePoints& p) {
    auto named = [&](const char* name) { return elf.symbol(name) ? elf.symbol(name)->vaddr : 0; };
    auto other = [&](uint64_t target) {
        return target != p.alloc_huge && target != p.free_huge && target != p.small_slow &&
               !is_exported_function(elf, target);
    };
    p.small_slow = named("zend_mm_alloc_small_slow");
    p.alloc_large = named("zend_mm_alloc_large");
    p.free_pages = named("zend_mm_free_pages_ex");
    if (!p.small_slow) {
        auto t = tail_jump_targets(elf, dis, "_emalloc_8");
        if (!t.empty() && std::all_of(t.begin(), t.end(), [&](uint64_t x) { return x == t[0]; }) && other(t[0]))
            p.small_slow = t[0];
    }
    if (!p.alloc_large && p.small_slow)
        for (uint64_t t : tail_jump_targets(elf, dis, "_emalloc"))
            if (other(t)) {
                p.alloc_large = t;
                break;
            }
    if (!p.free_pages)
        for (uint64_t t : tail_jump_targets(elf, dis, "_efree_large"))
            if (other(t)) {
                p.free_pages = t;
                break;
            }
}

// Offsets of memory loads from a register base (not RIP), in address order.
std::vector<uint32_t> heap_offsets(const std::map<uint64_t, Insn>& code, bool stores) {
    std::vector<uint32_t> out;
    for (const auto& [addr, insn] : code)
        if (insn.id == X86_INS_MOV && insn.mem() && is_field_access(*insn.mem()) && insn.mem_is_destination == stores)
            out.push_back(static_cast<uint32_t>(insn.mem()->disp));
    return out;
}

}  // namespace

ZendHeapProbePoints discover_zend_heap_probe_points(const ElfFile& elf) {
    ZendHeapProbePoints p;
    Disassembler dis;

    // Offsets: zend_memory_peak_usage(real) reads peak and real_peak (peak first in
    // the struct); zend_set_memory_limit's first store into the heap is `limit`.
    if (auto sym = elf.symbol("zend_memory_peak_usage")) {
        auto loads = heap_offsets(trace_function(elf, dis, sym->vaddr, 64), false);
        std::sort(loads.begin(), loads.end());
        loads.erase(std::unique(loads.begin(), loads.end()), loads.end());
        if (loads.size() == 2) p.heap_peak = loads[0];
    }
    if (auto sym = elf.symbol("zend_set_memory_limit")) {
        auto stores = heap_offsets(trace_function(elf, dis, sym->vaddr, 512), true);
        if (!stores.empty()) p.heap_limit = stores[0];
    }

    // A symbol table (unstripped or debug build) names the static functions.
    auto named = [&](const char* name) { return elf.symbol(name) ? elf.symbol(name)->vaddr : 0; };
    p.alloc_huge = named("zend_mm_alloc_huge");
    p.free_huge = named("zend_mm_free_huge");
    p.chunk_alloc = named("zend_mm_chunk_alloc_int");
    p.chunk_free = named("zend_mm_chunk_free");
    const bool from_symbols = p.alloc_huge && p.free_huge && p.chunk_alloc && p.chunk_free;
    if (!p.alloc_huge) p.alloc_huge = wrapper_target(elf, dis, "_emalloc_huge").value_or(0);
    if (!p.free_huge) p.free_huge = wrapper_target(elf, dis, "_efree_huge").value_or(0);
    if (!p.alloc_huge || !p.free_huge) {
        p.method = "unavailable: _emalloc_huge/_efree_huge do not jump to the huge-block functions";
        return p;
    }

    // The first call zend_mm_alloc_huge makes to a non-exported function is
    // zend_mm_chunk_alloc (zend_mm_gc, called on the out-of-memory retry, is exported).
    const auto huge_code = trace_function(elf, dis, p.alloc_huge);
    if (!p.chunk_alloc)
        for (const auto& [addr, insn] : huge_code)
            if (insn.id == X86_INS_CALL && insn.target && !is_exported_function(elf, *insn.target)) {
                p.chunk_alloc = *insn.target;
                break;
            }
    for (const auto& [addr, insn] : huge_code)
        if (insn.id == X86_INS_CALL && insn.target && *insn.target == p.chunk_alloc)
            p.huge_call_returns.push_back(addr + insn.size);

    // zend_mm_free_huge calls zend_mm_chunk_free first (and itself, recursively, for
    // the huge-list entry's block); zend_set_memory_limit must call it too.
    const auto free_code = trace_function(elf, dis, p.free_huge);
    if (!p.chunk_free)
        for (const auto& [addr, insn] : free_code)
            if (insn.id == X86_INS_CALL && insn.target && *insn.target != p.free_huge &&
                !is_exported_function(elf, *insn.target)) {
                p.chunk_free = *insn.target;
                break;
            }
    for (const auto& [addr, insn] : free_code)
        if (insn.id == X86_INS_MOV && insn.mem() && !insn.mem_is_destination && insn.mem()->disp >= 0x100 &&
            insn.mem()->base != X86_REG_RIP) {
            p.heap_huge_list = static_cast<uint32_t>(insn.mem()->disp);  // mov rsi, [heap + huge_list]
            break;
        }
    bool confirmed = from_symbols;
    if (!confirmed && p.chunk_free)
        if (auto limit_fn = elf.symbol("zend_set_memory_limit"))
            for (const auto& [addr, insn] : trace_function(elf, dis, limit_fn->vaddr, 512))
                if (insn.id == X86_INS_CALL && insn.target == p.chunk_free) confirmed = true;
    if (!confirmed || !p.chunks_found()) {
        p.chunk_alloc = p.chunk_free = 0;
        p.huge_call_returns.clear();
        p.method = "unavailable: zend_mm_chunk_alloc_int/zend_mm_chunk_free not recognised in the disassembly";
        return p;
    }
    discover_slow_paths(elf, dis, p);
    p.method = from_symbols ? "uprobes on zend_mm_chunk_alloc_int/zend_mm_chunk_free (symbol table)"
                            : "uprobes on zend_mm_chunk_alloc_int/zend_mm_chunk_free found by disassembly "
                              "(_emalloc_huge -> zend_mm_alloc_huge -> chunk alloc; _efree_huge -> "
                              "zend_mm_free_huge -> chunk free, confirmed by zend_set_memory_limit)";
    return p;
}

}  // namespace pmt
