// The Zend heap over time (record's heap tracer, heap.bpf.c): chunks and huge
// blocks, heap size samples, garbage collector runs, requests, memory_limit.
// Plain data like the rest of the Profile; stacks are Frame lists that index
// Profile::symbols.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pmt {

struct Frame;  // profile.h (complete wherever these are used)

// One point of the heap's size, for one process. Taken at every heap structure
// event and, between them, at most once per millisecond of allocation activity.
struct HeapSample {
    double t_s = 0;
    int64_t pid = 0;
    uint64_t used_bytes = 0;   // heap->size (PHP's, or PHP's last value + traced delta since)
    uint64_t real_bytes = 0;   // the tracer's chunks + huge bytes
    uint32_t chunks = 0;       // 2 MiB chunks mapped (in use or cached by the heap)
    uint64_t huge_bytes = 0;   // bytes in huge blocks
};

// A chunk or huge block mapped or unmapped, with the PHP stack that caused it.
struct HeapMapEvent {
    double t_s = 0;
    int64_t pid = 0;
    bool huge = false;
    bool mapped = true;        // false: unmapped / freed
    uint64_t addr = 0;
    uint64_t size = 0;
    std::vector<Frame> frames;  // root first
};

// A stack and how many bytes it accounts for (GC: freed by the run; limit: live).
struct HeapStackBytes {
    std::vector<Frame> frames;  // root first
    uint64_t bytes = 0;
    uint64_t count = 0;
};

struct GcRun {
    int64_t pid = 0;
    double start_s = 0;
    double duration_s = 0;
    int64_t collected = 0;            // zend_gc_collect_cycles() return value
    uint64_t freed_bytes = 0;         // blocks the tracer saw freed during the run
    uint64_t heap_before_bytes = 0;   // heap->size at entry and return
    uint64_t heap_after_bytes = 0;
    std::vector<HeapStackBytes> stacks;  // allocation stacks of the freed blocks, largest first
};

struct RequestFigures {
    int64_t pid = 0;
    std::string uri;
    std::string method;
    std::string query;
    double start_s = 0;
    double duration_s = 0;
    uint64_t peak_bytes = 0;          // highest heap size during the request (tracer's view)
    uint64_t php_peak_bytes = 0;      // heap->peak at shutdown (memory_get_peak_usage())
    uint64_t alloc_bytes = 0;         // bytes allocated during the request
    uint64_t live_at_end_bytes = 0;   // of those, still live when shutdown began
    uint64_t real_peak_bytes = 0;     // highest chunks + huge bytes during the request
};

struct LimitEvent {
    std::optional<uint64_t> limit_bytes;   // heap->limit as read from the target
    bool hit = false;                      // a process died of "Allowed memory size ... exhausted"
    bool near = false;                     // came within margin_bytes of the limit
    uint64_t margin_bytes = 0;
    double near_at_s = 0;                  // when it first came within the margin
    uint64_t near_real_bytes = 0;          // the highest of real and used size then
    double at_s = 0;                       // the hit (or, without one, the approach)
    int64_t pid = 0;
    std::string trigger;                   // "fatal_error" or "margin"
    std::string message;
    uint64_t used_bytes = 0;               // heap->size at that moment
    uint64_t real_bytes = 0;               // tracer's real size at that moment
    std::vector<HeapStackBytes> stacks;    // live bytes per allocation stack then, largest first
};

struct HeapTimeline {
    std::string method;        // how chunks/huge blocks are found (and the request source)
    std::string request_source;
    std::vector<HeapSample> samples;
    std::vector<HeapMapEvent> map_events;
    std::vector<GcRun> gc_runs;
    std::vector<RequestFigures> requests;
    std::optional<LimitEvent> limit;
    uint32_t chunks_peak = 0;
    uint64_t huge_peak_bytes = 0;
    uint64_t real_peak_bytes = 0;
    double real_peak_at_s = 0;
    uint64_t used_at_real_peak_bytes = 0;  // fragmentation: real vs used at the real peak
    // Nothing dropped silently.
    uint64_t samples_dropped = 0;          // beyond the sample cap
    uint64_t map_events_dropped = 0;       // beyond the event cap (totals still exact)
    uint64_t unknown_unmaps = 0;           // unmap of a region not seen mapped (before attach)
    uint64_t requests_filtered = 0;        // left out by --request-filter
    uint64_t baseline_real_bytes = 0;      // attach by PID: real size already mapped then
};

}  // namespace pmt
