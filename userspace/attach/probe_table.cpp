#include "attach/probe_table.h"

#include "collect/zend_sizes.h"
#include "phpmemtrace.h"

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

}  // namespace

const std::vector<ProbeSpec>& probe_table() {
    static const std::vector<ProbeSpec> table = make_table();
    return table;
}

uint64_t probe_address(const PhpBinary& php, const ProbeSpec& probe) {
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

Result<std::vector<ResolvedProbe>> resolve_probes(const PhpBinary& php, ProbeObject object, bpf_program* entry,
                                                  bpf_program* ret, std::vector<std::string>& missing,
                                                  ProbeMode mode) {
    std::vector<ResolvedProbe> out;
    for (const auto& probe : probe_table()) {
        if (probe.object != object || !(probe.modes & mode)) continue;
        const uint64_t vaddr = probe_address(php, probe);
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
