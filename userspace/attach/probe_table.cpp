#include "attach/probe_table.h"

#include "attach/probe_placement.h"
#include "collect/zend_sizes.h"
#include "phpmemtrace.h"
#include "target/disassembler.h"

namespace pmt {
namespace {

std::vector<ProbeSpec> make_table() {
    using enum ProbeObject;
    std::vector<ProbeSpec> t = {
        // Allocations at return (the pointer is needed), frees at entry. Wrappers
        // that call or jump to these are not probed: nothing is counted twice.
        {"_emalloc", PMT_PROBE_EMALLOC, 0, Allocations, true, true},
        // _emalloc_large inlines the large path: it is both modes' way to see it.
        {"_emalloc_large", PMT_PROBE_EMALLOC_SIZED, 0, Allocations, true, true, kEveryMode},
        {"_emalloc_huge", PMT_PROBE_EMALLOC_SIZED, 0, Allocations, true, true},
        {"_zend_mm_alloc", PMT_PROBE_ZEND_MM_ALLOC, 0, Allocations, true, true},
        {"_efree", PMT_PROBE_EFREE, 0, Allocations, false, true},
        {"_efree_large", PMT_PROBE_EFREE_SIZED, 0, Allocations, false, true},
        {"_efree_huge", PMT_PROBE_EFREE_SIZED, 0, Allocations, false, true},
        {"_zend_mm_free", PMT_PROBE_ZEND_MM_FREE, 0, Allocations, false, true},
        {"_erealloc", PMT_PROBE_EREALLOC, 0, Allocations, true, true},
        {"_erealloc2", PMT_PROBE_EREALLOC, 0, Allocations, true, true},
        {"_zend_mm_realloc", PMT_PROBE_ZEND_MM_REALLOC, 0, Allocations, true, true},
        {"_zend_mm_realloc2", PMT_PROBE_ZEND_MM_REALLOC, 0, Allocations, true, false},
        {"zend_memory_usage", PMT_PROBE_MEMORY_USAGE, 0, Allocations, true, true},
        {"zend_mm_shutdown", PMT_PROBE_MM_SHUTDOWN, 0, Allocations, false, true, kEveryMode},
        // The heap's slow paths, static in zend_alloc.c (the discovery finds
        // them): the agent's allocation figures. Exact mode sees these calls
        // through the exported functions above, so it must not probe them too.
        {"zend_mm_alloc_small_slow", PMT_PROBE_SMALL_REFILL, 0, Allocations, true, true, kSlowPathMode},
        {"zend_mm_alloc_large", PMT_PROBE_ALLOC_LARGE, 0, Allocations, true, true, kSlowPathMode},
        {"zend_mm_alloc_huge", PMT_PROBE_ALLOC_HUGE, 0, Allocations, true, true, kSlowPathMode},
        {"zend_mm_free_pages_ex", PMT_PROBE_FREE_PAGES, 0, Allocations, false, true, kSlowPathMode},
        {"zend_mm_free_huge", PMT_PROBE_FREE_HUGE, 0, Allocations, false, true, kSlowPathMode},
        // Request boundaries (requests.bpf.h): the allocation figures, the heap
        // timeline and the fault windows all read the same records.
        {"php_request_startup", PMT_PROBE_REQUEST_STARTUP, 0, Allocations, false, false, kEveryMode},
        {"php_request_shutdown", PMT_PROBE_REQUEST_SHUTDOWN, 0, Allocations, true, false, kEveryMode},
        // The heap's structure (heap.bpf.c).
        {"zend_mm_chunk_alloc_int", PMT_PROBE_CHUNK_ALLOC, 0, Heap, true, false, kEveryMode},
        {"zend_mm_chunk_free", PMT_PROBE_CHUNK_FREE, 0, Heap, false, false, kEveryMode},
        {"zend_gc_collect_cycles", PMT_PROBE_GC, 0, Heap, true, false, kEveryMode},
        {"zend_error_zstr_at", PMT_PROBE_ERROR, 0, Heap, false, false, kEveryMode},
    };
    for (uint32_t bin : zend::kBinSizes) {
        t.push_back({"_emalloc_" + std::to_string(bin), PMT_PROBE_EMALLOC_FIXED, bin, Allocations, true, true});
        t.push_back({"_efree_" + std::to_string(bin), PMT_PROBE_EFREE_FIXED, bin, Allocations, false, true});
    }
    return t;
}

// The argument registers the entry program reads for each kind: what a probe
// placed past the function's first instruction must find unchanged
// (probe_placement.h). Mirrors the dispatchers of memtrace.bpf.c and heap.bpf.c;
// a kind not listed keeps all six.
unsigned args_read_at_entry(uint32_t kind) {
    switch (kind) {
        case PMT_PROBE_EMALLOC_FIXED: return 0;                          // the size is in the cookie
        case PMT_PROBE_EMALLOC: case PMT_PROBE_EMALLOC_SIZED: return 1;  // (size)
        case PMT_PROBE_EFREE: case PMT_PROBE_EFREE_FIXED: return 1;      // (ptr)
        case PMT_PROBE_MEMORY_USAGE: return 1;                           // (real)
        case PMT_PROBE_ZEND_MM_ALLOC: case PMT_PROBE_ZEND_MM_FREE: return 2;  // (heap, size | ptr)
        case PMT_PROBE_EFREE_SIZED: case PMT_PROBE_EREALLOC: return 2;   // (ptr, size)
        default: return 6;
    }
}

// The function's own address, before placement.
uint64_t function_address(const PhpBinary& php, const ProbeSpec& probe) {
    // Static in zend_alloc.c: a stripped binary has no symbol, the discovery
    // finds them through the exported wrappers (zend_heap_discovery.h).
    if (probe.kind == PMT_PROBE_CHUNK_ALLOC) return php.heap_probe_points().chunk_alloc;
    if (probe.kind == PMT_PROBE_CHUNK_FREE) return php.heap_probe_points().chunk_free;
    if (probe.kind == PMT_PROBE_SMALL_REFILL) return php.heap_probe_points().small_slow;
    if (probe.kind == PMT_PROBE_ALLOC_LARGE) return php.heap_probe_points().alloc_large;
    if (probe.kind == PMT_PROBE_ALLOC_HUGE) return php.heap_probe_points().alloc_huge;
    if (probe.kind == PMT_PROBE_FREE_PAGES) return php.heap_probe_points().free_pages;
    if (probe.kind == PMT_PROBE_FREE_HUGE) return php.heap_probe_points().free_huge;
    auto sym = php.elf().symbol(probe.function);
    return sym ? sym->vaddr : 0;
}

uint64_t placed_address(const Disassembler& dis, const PhpBinary& php, const ProbeSpec& probe) {
    const uint64_t vaddr = function_address(php, probe);
    if (!vaddr) return 0;
    // The discovered static functions have no symbol, hence no known size: they
    // keep their first byte (probe_point() needs the body).
    auto sym = php.elf().symbol(probe.function);
    const uint64_t size = sym && sym->vaddr == vaddr ? sym->size : 0;
    return probe_point(dis, php.elf(), vaddr, size, {args_read_at_entry(probe.kind)});
}

}  // namespace

const std::vector<ProbeSpec>& probe_table() {
    static const std::vector<ProbeSpec> table = make_table();
    return table;
}

uint64_t probe_address(const PhpBinary& php, const ProbeSpec& probe) {
    const Disassembler dis;
    return placed_address(dis, php, probe);
}

Result<std::vector<ResolvedProbe>> resolve_probes(const PhpBinary& php, ProbeObject object, bpf_program* entry,
                                                  bpf_program* ret, std::vector<std::string>& missing,
                                                  ProbeMode mode) {
    std::vector<ResolvedProbe> out;
    const Disassembler dis;
    for (const auto& probe : probe_table()) {
        if (probe.object != object || !(probe.modes & mode)) continue;
        const uint64_t vaddr = placed_address(dis, php, probe);
        if (!vaddr) {
            if (probe.required)
                return Error{(probe.modes == kSlowPathMode ? "the heap's slow path " : "symbol ") + probe.function +
                             " not found in " + php.path()};
            missing.push_back(probe.function);
            continue;
        }
        auto offset = php.elf().file_offset_of(vaddr);
        if (!offset) return Error{"cannot find " + probe.function + " in the file " + php.path()};
        out.push_back({probe.function, *offset, PMT_COOKIE(probe.kind, probe.arg, vaddr), entry,
                       probe.has_return ? ret : nullptr});
    }
    return out;
}

}  // namespace pmt
