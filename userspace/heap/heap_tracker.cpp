#include "heap/heap_tracker.h"

#include <algorithm>
#include <cstring>

#include "collect/zend_sizes.h"
#include "util/saturating.h"
#include "util/utf8_text.h"

namespace pmt {
namespace {

constexpr const char* kLimitMessage = "Allowed memory size of";

}  // namespace

HeapTracker::HeapTracker(HeapTrackerOptions options)
    : options_(std::move(options)),
      samples_(options_.max_samples),
      map_events_(options_.max_map_events),
      requests_(options_.max_requests, RequestPeak{}),
      gc_runs_(options_.max_gc_runs, GcFreed{}) {
    if (options_.request_filter) filter_.emplace(*options_.request_filter, std::regex::ECMAScript);
    timeline_.method = "unavailable";
}

void HeapTracker::set_method(std::string method, std::string request_source) {
    timeline_.method = std::move(method);
    timeline_.request_source = std::move(request_source);
}

void HeapTracker::attach_to(Collector& collector) {
    collector_ = &collector;
    auto handler = [this](Collector& c, const RecordView& r) { on_record(c, r); };
    collector.add_extension(PMT_REC_ALLOC, PMT_REC_REQUEST, handler);
    collector.add_extension(PMT_REC_PROC_FORK, PMT_REC_PROC_EXIT, handler);
    collector.add_extension(PMT_REC_HEAP_MAP, PMT_REC_FATAL_ERROR, handler);
    collector.add_block_observer(
        [this](ProcessHeap& p, uint32_t tgid, uint64_t, const ProcessHeap::Block& block, bool added) {
            on_block(p, tgid, block, added);
        });
    collector.trace_mapped_memory();
}

uint64_t HeapTracker::real_bytes(uint32_t tgid) const {
    const ProcessHeap* p = collector_ ? collector_->find_process(tgid) : nullptr;
    return p ? p->real_bytes : 0;
}

void HeapTracker::set_baseline(uint32_t tgid, uint64_t real_bytes, uint64_t huge_bytes, uint64_t used_bytes) {
    ProcessHeap& p = process(tgid);
    const uint64_t huge = std::min(huge_bytes, real_bytes);
    const uint64_t chunks = (real_bytes - huge) / PMT_ZEND_CHUNK_SIZE;
    collector_->set_mapped(p, real_bytes, huge, static_cast<uint32_t>(chunks));
    p.anchor_used = used_bytes;
    const MappedTotals& total = collector_->mapped_totals();
    timeline_.baseline_real_bytes += real_bytes;
    samples_.push(HeapSample{0.0, tgid, used_bytes, p.real_bytes, p.chunks, p.huge_bytes});
    timeline_.chunks_peak = std::max<uint32_t>(timeline_.chunks_peak, static_cast<uint32_t>(total.chunks));
    timeline_.huge_peak_bytes = std::max(timeline_.huge_peak_bytes, total.huge_bytes);
    if (total.real_bytes > timeline_.real_peak_bytes) timeline_.real_peak_bytes = total.real_bytes;
}

void HeapTracker::anchor(ProcessHeap& p, const pmt_heap_state& heap, uint16_t flags) {
    if (!(flags & PMT_HEAP_STATE_OK)) return;
    p.set_anchor(heap.size);
    if (heap.limit) p.limit = heap.limit;
}

void HeapTracker::sample(uint32_t tgid, ProcessHeap& p, uint64_t ts_ns, bool force) {
    const double t = collector_->seconds_since_start(ts_ns);
    const uint64_t u = p.used_bytes();
    Timeline& tl = timeline(tgid);
    if (tl.request) tl.request->figures.peak_bytes = std::max(tl.request->figures.peak_bytes, u);
    if (tl.request) tl.request->figures.real_peak_bytes = std::max(tl.request->figures.real_peak_bytes, p.real_bytes);
    const MappedTotals& total = collector_->mapped_totals();
    if (total.real_bytes > timeline_.real_peak_bytes) {
        timeline_.real_peak_bytes = total.real_bytes;
        timeline_.real_peak_at_s = t;
        uint64_t used_total = 0;
        for (uint32_t pid : collector_->processes()) used_total += collector_->find_process(pid)->used_bytes();
        timeline_.used_at_real_peak_bytes = used_total;
    }
    timeline_.chunks_peak = std::max<uint32_t>(timeline_.chunks_peak, static_cast<uint32_t>(total.chunks));
    timeline_.huge_peak_bytes = std::max(timeline_.huge_peak_bytes, total.huge_bytes);
    if (!force && tl.last_sample_s >= 0 && t - tl.last_sample_s < options_.sample_interval_s) return;
    tl.last_sample_s = t;
    samples_.push(HeapSample{t, tgid, u, p.real_bytes, p.chunks, p.huge_bytes});
}

void HeapTracker::check_margin(uint32_t tgid, ProcessHeap& p, uint64_t ts_ns) {
    if (!options_.limit_margin_bytes || !p.limit || p.limit >= (1ull << 62)) return;
    if (timeline_.limit && (timeline_.limit->hit || timeline_.limit->near)) return;  // first moment only
    const uint64_t highest = std::max(p.real_bytes, p.used_bytes());
    if (highest + options_.limit_margin_bytes < p.limit) return;
    LimitEvent e;
    e.limit_bytes = p.limit;
    e.near = true;
    e.margin_bytes = options_.limit_margin_bytes;
    e.at_s = collector_->seconds_since_start(ts_ns);
    e.near_at_s = e.at_s;
    e.near_real_bytes = highest;
    e.pid = tgid;
    e.trigger = "margin";
    e.used_bytes = p.used_bytes();
    e.real_bytes = p.real_bytes;
    timeline_.limit = e;
    limit_stacks_ = collector_->live_stacks();
}

void HeapTracker::on_record(Collector& c, const RecordView& r) {
    switch (r.kind()) {
        case PMT_REC_ALLOC:
        case PMT_REC_FREE:
            return sample(r.tgid(), process(r.tgid()), r.header().ts_ns, false);
        case PMT_REC_REALLOC: return on_realloc(r.alloc());
        case PMT_REC_CHECKPOINT: return on_checkpoint(r.checkpoint());
        // The Collector copied (fork) or emptied (exit, exec) the model.
        case PMT_REC_PROC_FORK: return sample(r.proc().child_tgid, process(r.proc().child_tgid), r.header().ts_ns, true);
        case PMT_REC_PROC_EXIT: return sample(r.tgid(), process(r.tgid()), r.header().ts_ns, true);
        case PMT_REC_HEAP_MAP:
        case PMT_REC_HEAP_UNMAP: return on_map(c, r);
        case PMT_REC_GC_BEGIN:
        case PMT_REC_GC_END: return on_gc(r.gc());
        case PMT_REC_FATAL_ERROR: return on_error(c, r.error());
        case PMT_REC_REQUEST: return on_request(r.request());
        default: return;
    }
}

void HeapTracker::on_block(ProcessHeap& p, uint32_t tgid, const ProcessHeap::Block& block, bool added) {
    Timeline& tl = timeline(tgid);
    if (added) {
        p.delta = add_saturating(p.delta, clamp_signed(block.size));
        if (tl.request) tl.request->figures.alloc_bytes += block.size;
    } else {
        // Blocks of an earlier heap generation (FPM: wiped wholesale by the previous
        // request's zend_mm_shutdown, found stale by the collector) are not frees.
        if (block.generation == p.generation) p.delta = add_saturating(p.delta, -clamp_signed(block.size));
        if (tl.gc) {
            tl.gc->run.freed_bytes += block.size;
            auto& account = tl.gc->stacks[block.stack];
            account.bytes += block.size;
            account.count += 1;
        }
    }
    if (tl.request) tl.request->figures.peak_bytes = std::max(tl.request->figures.peak_bytes, p.used_bytes());
}

void HeapTracker::on_map(Collector& c, const RecordView& view) {
    const pmt_heap_map_record& r = view.heap_map();
    const uint32_t tgid = r.hdr.tgid;
    ProcessHeap& p = process(tgid);
    const bool mapped = r.hdr.kind == PMT_REC_HEAP_MAP;
    bool huge = (r.hdr.flags & PMT_HEAP_HUGE) != 0;
    uint64_t bytes = r.size;
    if (mapped) {
        p.regions[r.addr] = ProcessHeap::Region{bytes, huge};
    } else {
        auto it = p.regions.find(r.addr);
        if (it != p.regions.end()) {
            huge = it->second.huge;
            bytes = it->second.size;  // a huge block resized in place since
            p.regions.erase(it);
        } else {
            // Mapped before the tracer saw the process (attach by PID): part of the baseline.
            ++timeline_.unknown_unmaps;
            huge = bytes != PMT_ZEND_CHUNK_SIZE;
            bytes = std::min(bytes, p.real_bytes);
        }
    }
    const int64_t signed_bytes = mapped ? clamp_signed(bytes) : -clamp_signed(bytes);
    const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(bytes / PMT_ZEND_CHUNK_SIZE));
    c.change_mapped(p, signed_bytes, huge ? signed_bytes : 0, huge ? 0 : (mapped ? n : -n));
    anchor(p, r.heap, r.hdr.flags);
    // zend_mm_free_huge lowers heap->size only after zend_mm_chunk_free returns,
    // while the block's free was already counted (at _efree entry).
    if (!mapped && huge && (r.hdr.flags & PMT_HEAP_STATE_OK))
        p.anchor_used = r.heap.size > bytes ? r.heap.size - bytes : 0;
    {
        HeapMapEvent e;
        e.t_s = c.seconds_since_start(r.hdr.ts_ns);
        e.pid = tgid;
        e.huge = huge;
        e.mapped = mapped;
        e.addr = r.addr;
        e.size = bytes;
        map_events_.push(KeptMapEvent{std::move(e), c.intern_record_stack(tgid, view.frames())});
    }
    sample(tgid, p, r.hdr.ts_ns, true);
    check_margin(tgid, p, r.hdr.ts_ns);
}

// A huge block resized in place (mremap to grow, munmap of its tail to shrink)
// changes heap->real_size without a new mapping; realloc returned the same pointer.
void HeapTracker::on_realloc(const pmt_alloc_record& r) {
    ProcessHeap& p = process(r.hdr.tgid);
    if (r.ptr != r.old_ptr) return;
    auto it = p.regions.find(r.ptr);
    if (it == p.regions.end() || !it->second.huge || r.size <= PMT_ZEND_MAX_LARGE_SIZE) return;
    const uint64_t new_size = zend::round_to_pages(r.size);
    const int64_t diff = add_saturating(clamp_signed(new_size), -clamp_signed(it->second.size));
    it->second.size = new_size;
    collector_->change_mapped(p, diff, diff, 0);
    sample(r.hdr.tgid, p, r.hdr.ts_ns, true);
}

void HeapTracker::on_checkpoint(const pmt_checkpoint_record& r) {
    ProcessHeap& p = process(r.hdr.tgid);
    if (r.heap_read_ok) p.set_anchor(r.heap_size);
    sample(r.hdr.tgid, p, r.hdr.ts_ns, true);
}

void HeapTracker::on_gc(const pmt_gc_record& r) {
    ProcessHeap& p = process(r.hdr.tgid);
    Timeline& tl = timeline(r.hdr.tgid);
    const bool ok = r.hdr.flags & PMT_HEAP_STATE_OK;
    if (r.hdr.kind == PMT_REC_GC_BEGIN) {
        OpenGc gc;
        gc.start_ns = r.hdr.ts_ns;
        gc.run.pid = r.hdr.tgid;
        gc.run.start_s = collector_->seconds_since_start(r.hdr.ts_ns);
        gc.run.heap_before_bytes = ok ? r.heap.size : p.used_bytes();
        tl.gc = std::move(gc);
    } else if (tl.gc) {
        GcRun run = std::move(tl.gc->run);
        run.duration_s = double(r.hdr.ts_ns - tl.gc->start_ns) / 1e9;
        run.collected = r.collected;
        run.heap_after_bytes = ok ? r.heap.size : p.used_bytes();
        std::vector<std::pair<uint32_t, StackAccount>> stacks(tl.gc->stacks.begin(), tl.gc->stacks.end());
        std::sort(stacks.begin(), stacks.end(), [](const auto& a, const auto& b) { return a.second.bytes > b.second.bytes; });
        if (stacks.size() > options_.max_stacks_per_event) stacks.resize(options_.max_stacks_per_event);
        const uint64_t not_kept = gc_runs_.not_kept();
        gc_runs_.push(KeptGcRun{std::move(run), std::move(stacks)});
        collector_->counters().gc_runs_not_kept += gc_runs_.not_kept() - not_kept;
        tl.gc.reset();
    }
    anchor(p, r.heap, r.hdr.flags);
    sample(r.hdr.tgid, p, r.hdr.ts_ns, true);
}

void HeapTracker::on_error(Collector& c, const pmt_error_record& r) {
    const std::string message = printable_field(r.message, sizeof(r.message));
    if (message.rfind(kLimitMessage, 0) != 0) return;  // another fatal error
    if (timeline_.limit && timeline_.limit->hit) return;  // the first one tells the story
    ProcessHeap& p = process(r.hdr.tgid);
    anchor(p, r.heap, r.hdr.flags);
    LimitEvent e = timeline_.limit.value_or(LimitEvent{});
    if (p.limit) e.limit_bytes = p.limit;
    if (!e.limit_bytes) {
        // "Allowed memory size of N bytes exhausted": PHP's own figure.
        unsigned long long n = 0;
        if (std::sscanf(message.c_str(), "Allowed memory size of %llu", &n) == 1) e.limit_bytes = n;
    }
    e.hit = true;
    e.at_s = c.seconds_since_start(r.hdr.ts_ns);
    e.pid = r.hdr.tgid;
    e.trigger = "fatal_error";
    e.message = message;
    e.margin_bytes = options_.limit_margin_bytes;
    e.used_bytes = (r.hdr.flags & PMT_HEAP_STATE_OK) ? r.heap.size : p.used_bytes();
    e.real_bytes = p.real_bytes;
    timeline_.limit = e;
    limit_stacks_ = c.live_stacks();
    sample(r.hdr.tgid, p, r.hdr.ts_ns, true);
}

void HeapTracker::on_request(const pmt_request_record& r) {
    const uint32_t tgid = r.hdr.tgid;
    ProcessHeap& p = process(tgid);
    Timeline& tl = timeline(tgid);
    const bool ok = r.hdr.flags & PMT_HEAP_STATE_OK;
    if (r.hdr.flags & PMT_REQUEST_DONE) {
        // After zend_mm_shutdown: the request's blocks are gone without frees.
        if (ok) anchor(p, r.heap, r.hdr.flags);  // the Collector began a new generation
    } else if (r.hdr.flags & PMT_REQUEST_BEGIN) {
        anchor(p, r.heap, r.hdr.flags);
        // The Collector began a new generation: from here on, what this request allocates.
        OpenRequest req;
        req.start_ns = r.hdr.ts_ns;
        req.figures.pid = tgid;
        req.figures.start_s = collector_->seconds_since_start(r.hdr.ts_ns);
        req.figures.peak_bytes = p.used_bytes();
        req.figures.real_peak_bytes = p.real_bytes;
        tl.request = std::move(req);
    } else if (tl.request) {
        RequestFigures f = std::move(tl.request->figures);
        // SG(request_info) is complete by the time shutdown begins (and for FPM was
        // already set at startup); take the names from here.
        f.method = printable_field(r.method, sizeof(r.method));
        f.uri = printable_field(r.uri, sizeof(r.uri));
        f.query = printable_field(r.query, sizeof(r.query));
        f.duration_s = double(r.hdr.ts_ns - tl.request->start_ns) / 1e9;
        if (ok) {
            f.php_peak_bytes = r.heap.peak;
            f.peak_bytes = std::max<uint64_t>(f.peak_bytes, r.heap.size);
        }
        f.live_at_end_bytes = p.generation_live_bytes;
        tl.request.reset();
        const std::string full = f.query.empty() ? f.uri : f.uri + "?" + f.query;
        if (filter_ && !std::regex_search(full, *filter_))
            ++timeline_.requests_filtered;
        else {
            const uint64_t not_kept = requests_.not_kept();
            requests_.push(std::move(f));
            collector_->counters().requests_not_kept += requests_.not_kept() - not_kept;
        }
        anchor(p, r.heap, r.hdr.flags);
    }
    sample(tgid, p, r.hdr.ts_ns, true);
}

std::vector<HeapStackBytes> HeapTracker::live_stacks_now(const Collector& c) const {
    auto stacks = limit_stacks_;
    std::sort(stacks.begin(), stacks.end(),
              [](const auto& a, const auto& b) { return a.second.live_bytes > b.second.live_bytes; });
    if (stacks.size() > options_.max_stacks_per_event) stacks.resize(options_.max_stacks_per_event);
    std::vector<HeapStackBytes> out;
    for (const auto& [id, stats] : stacks) out.push_back({c.stack_frames(id), stats.live_bytes, stats.live_count});
    return out;
}

void HeapTracker::finish(Profile& profile, const Collector& c) {
    HeapTimeline t = timeline_;
    t.samples = samples_.items();
    t.samples_dropped = samples_.dropped();
    for (const KeptMapEvent& e : map_events_.items()) {
        t.map_events.push_back(e.event);
        t.map_events.back().frames = c.stack_frames(e.stack);
    }
    t.map_events_dropped = map_events_.dropped();
    for (const KeptGcRun& g : gc_runs_.items()) {
        t.gc_runs.push_back(g.run);
        for (const auto& [id, account] : g.stacks)
            t.gc_runs.back().stacks.push_back({c.stack_frames(id), account.bytes, account.count});
    }
    t.requests = requests_.items();
    if (t.limit) t.limit->stacks = live_stacks_now(c);
    if (!t.limit) {
        // Report the limit even when it was not reached (the first process's).
        for (uint32_t pid : c.processes())
            if (const ProcessHeap& p = *c.find_process(pid); p.limit && p.limit < (1ull << 62)) {
                LimitEvent e;
                e.limit_bytes = p.limit;
                e.margin_bytes = options_.limit_margin_bytes;
                t.limit = e;
                break;
            }
    }
    std::stable_sort(t.requests.begin(), t.requests.end(),
                     [](const auto& a, const auto& b) { return a.start_s < b.start_s; });
    profile.heap_timeline = std::move(t);
}

}  // namespace pmt
