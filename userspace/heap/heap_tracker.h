// Turns heap.bpf.c's records (and the allocation collector's blocks) into a
// HeapTimeline: per process, the chunks and huge blocks mapped, the heap size over
// time, GC runs, requests and the memory_limit moment.
//
// Real size: every mapping the Zend heap makes or releases is seen (zend_mm_chunk_
// alloc_int / zend_mm_chunk_free), and huge blocks resized in place by a realloc
// are followed from the allocation probes' realloc records, so chunks + huge bytes
// equal heap->real_size (memory_get_usage(true)) at every checkpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

#include "collect/collector.h"
#include "model/profile.h"
#include "phpmemtrace.h"
#include "util/bounded_lists.h"

namespace pmt {

struct HeapTrackerOptions {
    uint64_t limit_margin_bytes = 0;           // 0: only the fatal error counts as hitting it
    std::optional<std::string> request_filter;  // ECMAScript regex searched in the URI
    double sample_interval_s = 0.001;           // between allocation-driven samples, per process
    // The lists are bounded so that a session of any length holds them in a few MiB,
    // and a busy one reaches that bound within seconds (util/bounded_lists.h):
    // samples and chunk/huge events are thinned to an even spacing over the whole
    // session (HeapTimeline::samples_dropped, map_events_dropped); the requests with
    // the highest peaks and the GC runs that freed the most are kept
    // (Counters::requests_not_kept, gc_runs_not_kept).
    size_t max_samples = 50000;     // 48 B each
    size_t max_map_events = 10000;  // ~90 B each, their frames interned
    size_t max_requests = 1000;     // ~170 B each, plus URI and query
    size_t max_gc_runs = 1000;      // up to ~600 B each with their stacks
    size_t max_stacks_per_event = 20;           // GC runs and the limit moment
};

class HeapTracker {
public:
    explicit HeapTracker(HeapTrackerOptions options);

    // Routes the heap records (and realloc, checkpoint, request, fork, exit
    // records) here, and observes the collector's blocks.
    void attach_to(Collector& collector);
    // Attach by PID: what a process had mapped before the tracer saw it.
    void set_baseline(uint32_t tgid, uint64_t real_bytes, uint64_t huge_bytes, uint64_t used_bytes);
    void set_method(std::string method, std::string request_source);
    // Fills profile.heap_timeline.
    void finish(Profile& profile, const Collector& collector);

    // For tests: the tracer's real size of a process now.
    uint64_t real_bytes(uint32_t tgid) const;

private:
    struct StackAccount {
        uint64_t bytes = 0, count = 0;
    };
    struct OpenRequest {
        RequestFigures figures;
        uint64_t start_ns = 0;
    };
    struct OpenGc {
        GcRun run;
        uint64_t start_ns = 0;
        std::unordered_map<uint32_t, StackAccount> stacks;
    };
    // What the timeline follows per process, beyond the process's model.
    struct Timeline {
        double last_sample_s = -1;
        std::optional<OpenRequest> request;
        std::optional<OpenGc> gc;
    };
    struct KeptMapEvent {
        HeapMapEvent event;
        uint32_t stack;
    };
    struct KeptGcRun {
        GcRun run;
        std::vector<std::pair<uint32_t, StackAccount>> stacks;
    };
    struct RequestPeak {
        uint64_t operator()(const RequestFigures& r) const { return r.peak_bytes; }
    };
    struct GcFreed {
        uint64_t operator()(const KeptGcRun& g) const { return g.run.freed_bytes; }
    };

    ProcessHeap& process(uint32_t tgid) { return collector_->process(tgid); }
    Timeline& timeline(uint32_t tgid) { return per_process_[tgid]; }
    void anchor(ProcessHeap& p, const pmt_heap_state& heap, uint16_t flags);
    void sample(uint32_t tgid, ProcessHeap& p, uint64_t ts_ns, bool force);
    void check_margin(uint32_t tgid, ProcessHeap& p, uint64_t ts_ns);
    std::vector<HeapStackBytes> live_stacks_now(const Collector& c) const;

    void on_record(Collector& c, const RecordView& r);
    void on_block(ProcessHeap& p, uint32_t tgid, const ProcessHeap::Block& block, bool added);
    void on_map(Collector& c, const RecordView& r);
    void on_realloc(const pmt_alloc_record& r);
    void on_checkpoint(const pmt_checkpoint_record& r);
    void on_gc(const pmt_gc_record& r);
    void on_error(Collector& c, const pmt_error_record& r);
    void on_request(const pmt_request_record& r);

    HeapTrackerOptions options_;
    std::optional<std::regex> filter_;
    Collector* collector_ = nullptr;
    HeapTimeline timeline_;  // the lists below are filled in by finish()
    ThinnedSeries<HeapSample> samples_;
    ThinnedSeries<KeptMapEvent> map_events_;
    HighestN<RequestFigures, RequestPeak> requests_;
    HighestN<KeptGcRun, GcFreed> gc_runs_;
    std::unordered_map<uint32_t, Timeline> per_process_;
    std::vector<std::pair<uint32_t, StackStats>> limit_stacks_;
};

}  // namespace pmt
