// Page faults of a session: how many, of which kind, where, and how long they took.
//
// Filled by faults/FaultCollector from PMT_REC_FAULT records; the per-stack figures
// (StackStats::fault_count / fault_ns) live on the stacks themselves. Plain data.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pmt {

// Where a fault landed. The first five are the JSON names and always present.
enum class FaultRegion : uint8_t {
    ZendHeap,  // a 2 MiB Zend chunk (small/large blocks, chunk headers)
    ZendHuge,  // a huge block (> 2 MiB - 4 KiB) seen allocated by _emalloc_huge
    Opcache,   // shared anonymous memory (opcache SHM, "/dev/zero (deleted)")
    Anon,      // other anonymous memory (libc malloc, native stack, brk)
    File,      // file-backed data (including memfd / snapshot images)
    VmStack,   // the PHP VM stack: a part of the Zend heap, counted apart from it
    Code,      // executable mappings (the PHP binary, libraries, JIT buffer)
};
inline constexpr size_t kFaultRegionCount = 7;
const char* fault_region_name(FaultRegion region);
std::optional<FaultRegion> parse_fault_region(std::string_view name);

// What the kernel had to do.
enum class FaultKind : uint8_t {
    FirstTouch,  // no page was mapped: zero-fill (anonymous) or map from page cache (file)
    Cow,         // a write that copies a page: write-protected present page, or a write
                 // to a not-yet-mapped page of a private file mapping (MAP_PRIVATE image)
    Other,       // protection faults that copy nothing (e.g. write-notify on shared maps)
};

struct RegionFaultStats {
    uint64_t count = 0;
    uint64_t cow = 0;
    uint64_t first_touch = 0;
    uint64_t major = 0;
    uint64_t ns_total = 0;
};

struct FaultLatency {
    uint64_t p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};

// What the fault tracer dropped or could not match (faults.bpf.c's counters).
struct FaultCounters {
    uint64_t starts = 0;
    uint64_t ends = 0;
    uint64_t unmatched_ends = 0;
    uint64_t addr_mismatches = 0;
    uint64_t no_vma = 0;
    uint64_t no_bias = 0;
    uint64_t program_misses = 0;     // runs the kernel skipped (BPF recursion protection)
    uint64_t malformed_records = 0;  // collector side
};

// Latency histogram for the terminal summary: bucket i counts faults with
// ns in [bucket_floor_ns(i), bucket_floor_ns(i+1)) (powers of two from 256 ns).
inline constexpr size_t kFaultLatencyBuckets = 16;
uint64_t fault_bucket_floor_ns(size_t bucket);

// Faults while one of the target's snapshot-restore functions ran ("during") and
// after it returned, until the process's next restore or its exit ("after").
struct RestoreFaults {
    int64_t pid = 0;
    std::string function;
    double t_s = 0;             // when the restore began, seconds since session start
    uint64_t duration_ns = 0;   // the restore call itself (0 if it never returned)
    uint64_t faults_during = 0, ns_during = 0;
    uint64_t faults_after = 0, cow_after = 0, pages_after = 0, ns_after = 0;
    // Copy-on-write faults that would cost as much as this restore call, at the
    // session's mean kernel time per CoW fault (0 when no CoW fault was seen).
    uint64_t break_even_pages = 0;
};

// Faults between php_request_startup() and php_request_shutdown() of one request.
struct RequestFaults {
    int64_t pid = 0;
    double t_s = 0;
    uint64_t faults = 0, cow = 0, first_touch = 0, pages = 0, ns = 0;
};

struct FaultReport {
    uint64_t count = 0;
    std::array<RegionFaultStats, kFaultRegionCount> by_region{};
    FaultLatency latency_ns;
    std::array<uint64_t, kFaultLatencyBuckets> histogram{};
    FaultCounters counters;
    std::vector<RestoreFaults> restores;
    std::vector<RequestFaults> requests;

    const RegionFaultStats& region(FaultRegion r) const { return by_region[static_cast<size_t>(r)]; }
};

}  // namespace pmt
