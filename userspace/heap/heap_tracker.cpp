#include "heap/heap_tracker.h"

#include <algorithm>
#include <cstring>

#include "util/utf8_text.h"

namespace pmt {
namespace {

constexpr uint64_t kPageSize = PMT_ZEND_PAGE_SIZE;
constexpr const char* kLimitMessage = "Allowed memory size of";

uint64_t page_align(uint64_t size) { return (size + kPageSize - 1) & ~(kPageSize - 1); }

// Sizes in records are untrusted: the signed sums of the used figure saturate
// rather than overflow (undefined behaviour). Real heaps never come near the bounds.
int64_t clamp_signed(uint64_t v) { return v > uint64_t(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v); }
int64_t add_saturating(int64_t a, int64_t b) {
    int64_t sum;
    if (!__builtin_add_overflow(a, b, &sum)) return sum;
    return b > 0 ? INT64_MAX : INT64_MIN;
}

template <typename T>
bool read_record(const void* data, size_t size, size_t need, T& out) {
    if (size < need) return false;
    std::memset(&out, 0, sizeof(out));
    std::memcpy(&out, data, std::min(size, sizeof(out)));
    return true;
}


std::vector<pmt_frame> record_frames(const pmt_frame* frames, uint16_t depth, size_t record_size,
                                     size_t fixed_size) {
    size_t available = record_size > fixed_size ? (record_size - fixed_size) / sizeof(pmt_frame) : 0;
    size_t n = std::min<size_t>({depth, available, PMT_MAX_FRAMES});
    return std::vector<pmt_frame>(frames, frames + n);
}

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
    auto handler = [this](Collector& c, const pmt_record_header& hdr, const void* data, size_t size) {
        on_record(c, hdr, data, size);
    };
    collector.add_extension(PMT_REC_ALLOC, PMT_REC_CHECKPOINT, handler);
    collector.add_extension(PMT_REC_PROC_FORK, PMT_REC_PROC_EXIT, handler);
    collector.add_extension(PMT_REC_HEAP_MAP, PMT_REC_HEAP_REQUEST, handler);
    collector.add_block_observer([this](uint32_t tgid, uint64_t ptr, uint64_t size, uint32_t stack, bool added) {
        on_block(tgid, ptr, size, stack, added);
    });
}

HeapTracker::Process& HeapTracker::process(uint32_t tgid) { return processes_[tgid]; }

uint64_t HeapTracker::real_bytes(uint32_t tgid) const {
    auto it = processes_.find(tgid);
    return it == processes_.end() ? 0 : it->second.real;
}

void HeapTracker::set_baseline(uint32_t tgid, uint64_t real_bytes, uint64_t huge_bytes, uint64_t used_bytes) {
    Process& p = process(tgid);
    p.real = real_bytes;
    p.huge = std::min(huge_bytes, real_bytes);
    p.chunks = static_cast<uint32_t>((real_bytes - p.huge) / PMT_ZEND_CHUNK_SIZE);
    p.anchor_used = used_bytes;
    total_real_ += p.real;
    total_huge_ += p.huge;
    total_chunks_ += p.chunks;
    timeline_.baseline_real_bytes += real_bytes;
    samples_.push(HeapSample{0.0, tgid, used_bytes, p.real, p.chunks, p.huge});
    timeline_.chunks_peak = std::max<uint32_t>(timeline_.chunks_peak, static_cast<uint32_t>(total_chunks_));
    timeline_.huge_peak_bytes = std::max(timeline_.huge_peak_bytes, total_huge_);
    if (total_real_ > timeline_.real_peak_bytes) timeline_.real_peak_bytes = total_real_;
}

uint64_t HeapTracker::used(const Process& p) const {
    const int64_t value = add_saturating(clamp_signed(p.anchor_used), p.delta);
    return value > 0 ? static_cast<uint64_t>(value) : 0;
}

void HeapTracker::anchor(Process& p, const pmt_heap_state& heap, uint16_t flags) {
    if (!(flags & PMT_HEAP_STATE_OK)) return;
    p.anchor_used = heap.size;
    p.delta = 0;
    if (heap.limit) p.limit = heap.limit;
}

void HeapTracker::sample(uint32_t tgid, Process& p, uint64_t ts_ns, bool force) {
    const double t = collector_->seconds_since_start(ts_ns);
    const uint64_t u = used(p);
    if (p.request) p.request->figures.peak_bytes = std::max(p.request->figures.peak_bytes, u);
    if (p.request) p.request->figures.real_peak_bytes = std::max(p.request->figures.real_peak_bytes, p.real);
    if (total_real_ > timeline_.real_peak_bytes) {
        timeline_.real_peak_bytes = total_real_;
        timeline_.real_peak_at_s = t;
        uint64_t used_total = 0;
        for (const auto& [pid, proc] : processes_) used_total += used(proc);
        timeline_.used_at_real_peak_bytes = used_total;
    }
    timeline_.chunks_peak = std::max<uint32_t>(timeline_.chunks_peak, static_cast<uint32_t>(total_chunks_));
    timeline_.huge_peak_bytes = std::max(timeline_.huge_peak_bytes, total_huge_);
    if (!force && p.last_sample_s >= 0 && t - p.last_sample_s < options_.sample_interval_s) return;
    p.last_sample_s = t;
    samples_.push(HeapSample{t, tgid, u, p.real, p.chunks, p.huge});
}

void HeapTracker::check_margin(uint32_t tgid, Process& p, uint64_t ts_ns) {
    if (!options_.limit_margin_bytes || !p.limit || p.limit >= (1ull << 62)) return;
    if (timeline_.limit && (timeline_.limit->hit || timeline_.limit->near)) return;  // first moment only
    const uint64_t highest = std::max(p.real, used(p));
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
    e.used_bytes = used(p);
    e.real_bytes = p.real;
    timeline_.limit = e;
    limit_stacks_ = collector_->live_stacks();
}

void HeapTracker::on_record(Collector& c, const pmt_record_header& hdr, const void* data, size_t size) {
    switch (hdr.kind) {
        case PMT_REC_ALLOC:
        case PMT_REC_FREE:
            sample(hdr.tgid, process(hdr.tgid), hdr.ts_ns, false);
            return;
        case PMT_REC_REALLOC: {
            pmt_alloc_record r;
            if (read_record(data, size, PMT_ALLOC_RECORD_FIXED_SIZE, r)) on_realloc(r);
            return;
        }
        case PMT_REC_CHECKPOINT: {
            pmt_checkpoint_record r;
            if (read_record(data, size, sizeof(r), r)) on_checkpoint(r, c.checkpoints_kept());
            return;
        }
        case PMT_REC_PROC_FORK:
        case PMT_REC_PROC_EXIT: {
            pmt_proc_record r;
            if (!read_record(data, size, sizeof(r), r)) return;
            hdr.kind == PMT_REC_PROC_FORK ? on_fork(r) : on_exit(r);
            return;
        }
        case PMT_REC_HEAP_MAP:
        case PMT_REC_HEAP_UNMAP:
            if (size >= PMT_HEAP_MAP_RECORD_FIXED_SIZE) {
                // Frames are read in place: the record is large and only `depth` are sent.
                pmt_heap_map_record r;
                read_record(data, size, PMT_HEAP_MAP_RECORD_FIXED_SIZE, r);
                on_map(c, r, size);
            }
            return;
        case PMT_REC_GC_BEGIN:
        case PMT_REC_GC_END: {
            pmt_gc_record r;
            if (read_record(data, size, sizeof(r), r)) on_gc(r);
            return;
        }
        case PMT_REC_FATAL_ERROR:
            if (size >= PMT_ERROR_RECORD_FIXED_SIZE) {
                pmt_error_record r;
                read_record(data, size, PMT_ERROR_RECORD_FIXED_SIZE, r);
                on_error(c, r, size);
            }
            return;
        case PMT_REC_HEAP_REQUEST: {
            pmt_heap_request_record r;
            if (read_record(data, size, sizeof(r), r)) on_request(r);
            return;
        }
        default:
            return;
    }
}

void HeapTracker::on_block(uint32_t tgid, uint64_t ptr, uint64_t size, uint32_t stack, bool added) {
    Process& p = process(tgid);
    if (added) {
        p.generation[ptr] = size;
        p.delta = add_saturating(p.delta, clamp_signed(size));
        if (p.request) p.request->figures.alloc_bytes += size;
    } else {
        // Blocks of an earlier heap generation (FPM: wiped wholesale by the previous
        // request's zend_mm_shutdown, found stale by the collector) are not frees.
        auto it = p.generation.find(ptr);
        if (it != p.generation.end()) {
            p.generation.erase(it);
            p.delta = add_saturating(p.delta, -clamp_signed(size));
        }
        if (p.gc) {
            p.gc->run.freed_bytes += size;
            auto& account = p.gc->stacks[stack];
            account.bytes += size;
            account.count += 1;
        }
    }
    if (p.request) p.request->figures.peak_bytes = std::max(p.request->figures.peak_bytes, used(p));
}

void HeapTracker::on_map(Collector& c, const pmt_heap_map_record& r, size_t size) {
    const uint32_t tgid = r.hdr.tgid;
    Process& p = process(tgid);
    const bool mapped = r.hdr.kind == PMT_REC_HEAP_MAP;
    bool huge = (r.hdr.flags & PMT_HEAP_HUGE) != 0;
    uint64_t bytes = r.size;
    if (mapped) {
        p.regions[r.addr] = Region{bytes, huge};
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
            bytes = std::min(bytes, p.real);
        }
    }
    const int64_t sign = mapped ? 1 : -1;
    p.real += sign * bytes;
    total_real_ += sign * bytes;
    if (huge) {
        p.huge += sign * bytes;
        total_huge_ += sign * bytes;
    } else {
        const uint64_t n = std::max<uint64_t>(1, bytes / PMT_ZEND_CHUNK_SIZE);
        p.chunks += sign * n;
        total_chunks_ += sign * n;
    }
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
        map_events_.push(KeptMapEvent{std::move(e), c.intern_record_stack(tgid, record_frames(r.frames, r.depth, size,
                                                                                               PMT_HEAP_MAP_RECORD_FIXED_SIZE))});
    }
    sample(tgid, p, r.hdr.ts_ns, true);
    check_margin(tgid, p, r.hdr.ts_ns);
}

// A huge block resized in place (mremap to grow, munmap of its tail to shrink)
// changes heap->real_size without a new mapping; realloc returned the same pointer.
void HeapTracker::on_realloc(const pmt_alloc_record& r) {
    Process& p = process(r.hdr.tgid);
    if (r.ptr != r.old_ptr) return;
    auto it = p.regions.find(r.ptr);
    if (it == p.regions.end() || !it->second.huge || r.size <= PMT_ZEND_MAX_LARGE_SIZE) return;
    const uint64_t new_size = page_align(r.size);
    const int64_t diff = add_saturating(clamp_signed(new_size), -clamp_signed(it->second.size));
    it->second.size = new_size;
    p.real += diff;
    p.huge += diff;
    total_real_ += diff;
    total_huge_ += diff;
    sample(r.hdr.tgid, p, r.hdr.ts_ns, true);
}

void HeapTracker::on_checkpoint(const pmt_checkpoint_record& r, size_t kept_by_collector) {
    Process& p = process(r.hdr.tgid);
    if (checkpoint_real_.size() < kept_by_collector) checkpoint_real_.push_back(p.real);  // aligned by index
    if (r.heap_read_ok) {
        p.anchor_used = r.heap_size;
        p.delta = 0;
    }
    sample(r.hdr.tgid, p, r.hdr.ts_ns, true);
}

void HeapTracker::on_gc(const pmt_gc_record& r) {
    Process& p = process(r.hdr.tgid);
    const bool ok = r.hdr.flags & PMT_HEAP_STATE_OK;
    if (r.hdr.kind == PMT_REC_GC_BEGIN) {
        OpenGc gc;
        gc.start_ns = r.hdr.ts_ns;
        gc.run.pid = r.hdr.tgid;
        gc.run.start_s = collector_->seconds_since_start(r.hdr.ts_ns);
        gc.run.heap_before_bytes = ok ? r.heap.size : used(p);
        p.gc = std::move(gc);
    } else if (p.gc) {
        GcRun run = std::move(p.gc->run);
        run.duration_s = double(r.hdr.ts_ns - p.gc->start_ns) / 1e9;
        run.collected = r.collected;
        run.heap_after_bytes = ok ? r.heap.size : used(p);
        std::vector<std::pair<uint32_t, StackAccount>> stacks(p.gc->stacks.begin(), p.gc->stacks.end());
        std::sort(stacks.begin(), stacks.end(), [](const auto& a, const auto& b) { return a.second.bytes > b.second.bytes; });
        if (stacks.size() > options_.max_stacks_per_event) stacks.resize(options_.max_stacks_per_event);
        const uint64_t not_kept = gc_runs_.not_kept();
        gc_runs_.push(KeptGcRun{std::move(run), std::move(stacks)});
        collector_->counters().gc_runs_not_kept += gc_runs_.not_kept() - not_kept;
        p.gc.reset();
    }
    anchor(p, r.heap, r.hdr.flags);
    sample(r.hdr.tgid, p, r.hdr.ts_ns, true);
}

void HeapTracker::on_error(Collector& c, const pmt_error_record& r, size_t) {
    const std::string message = printable_field(r.message, sizeof(r.message));
    if (message.rfind(kLimitMessage, 0) != 0) return;  // another fatal error
    if (timeline_.limit && timeline_.limit->hit) return;  // the first one tells the story
    Process& p = process(r.hdr.tgid);
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
    e.used_bytes = (r.hdr.flags & PMT_HEAP_STATE_OK) ? r.heap.size : used(p);
    e.real_bytes = p.real;
    timeline_.limit = e;
    limit_stacks_ = c.live_stacks();
    sample(r.hdr.tgid, p, r.hdr.ts_ns, true);
}

void HeapTracker::on_request(const pmt_heap_request_record& r) {
    const uint32_t tgid = r.hdr.tgid;
    Process& p = process(tgid);
    const bool ok = r.hdr.flags & PMT_HEAP_STATE_OK;
    if (r.hdr.flags & PMT_HEAP_REQ_DONE) {
        // After zend_mm_shutdown: the request's blocks are gone without frees.
        if (ok) {
            anchor(p, r.heap, r.hdr.flags);
            p.generation.clear();
        }
    } else if (r.hdr.flags & PMT_HEAP_REQ_BEGIN) {
        anchor(p, r.heap, r.hdr.flags);
        p.generation.clear();  // from here on, what this request allocates
        OpenRequest req;
        req.start_ns = r.hdr.ts_ns;
        req.figures.pid = tgid;
        req.figures.start_s = collector_->seconds_since_start(r.hdr.ts_ns);
        req.figures.peak_bytes = used(p);
        req.figures.real_peak_bytes = p.real;
        p.request = std::move(req);
    } else if (p.request) {
        RequestFigures f = std::move(p.request->figures);
        // SG(request_info) is complete by the time shutdown begins (and for FPM was
        // already set at startup); take the names from here.
        f.method = printable_field(r.method, sizeof(r.method));
        f.uri = printable_field(r.uri, sizeof(r.uri));
        f.query = printable_field(r.query, sizeof(r.query));
        f.duration_s = double(r.hdr.ts_ns - p.request->start_ns) / 1e9;
        if (ok) {
            f.php_peak_bytes = r.heap.peak;
            f.peak_bytes = std::max<uint64_t>(f.peak_bytes, r.heap.size);
        }
        uint64_t live = 0;
        for (const auto& [ptr, bytes] : p.generation) live += bytes;
        f.live_at_end_bytes = live;
        p.request.reset();
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

void HeapTracker::on_fork(const pmt_proc_record& r) {
    Process parent = process(r.hdr.tgid);  // copy: the child maps what the parent mapped
    Process& child = process(r.child_tgid);
    child.regions = parent.regions;
    child.real = parent.real;
    child.huge = parent.huge;
    child.chunks = parent.chunks;
    child.anchor_used = used(parent);
    child.limit = parent.limit;
    total_real_ += child.real;
    total_huge_ += child.huge;
    total_chunks_ += child.chunks;
    sample(r.child_tgid, child, r.hdr.ts_ns, true);
}

void HeapTracker::on_exit(const pmt_proc_record& r) {
    auto it = processes_.find(r.hdr.tgid);
    if (it == processes_.end()) return;
    Process& p = it->second;
    // The kernel unmaps what the heap did not release itself.
    total_real_ -= p.real;
    total_huge_ -= p.huge;
    total_chunks_ -= p.chunks;
    p.regions.clear();
    p.real = p.huge = 0;
    p.chunks = 0;
    p.anchor_used = 0;
    p.delta = 0;
    p.generation.clear();
    sample(r.hdr.tgid, p, r.hdr.ts_ns, true);
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
        for (const auto& [pid, p] : processes_)
            if (p.limit && p.limit < (1ull << 62)) {
                LimitEvent e;
                e.limit_bytes = p.limit;
                e.margin_bytes = options_.limit_margin_bytes;
                t.limit = e;
                break;
            }
    }
    for (size_t i = 0; i < profile.checkpoints.size() && i < checkpoint_real_.size(); ++i)
        profile.checkpoints[i].traced_real_bytes = checkpoint_real_[i];
    std::stable_sort(t.requests.begin(), t.requests.end(),
                     [](const auto& a, const auto& b) { return a.start_s < b.start_s; });
    profile.heap_timeline = std::move(t);
}

}  // namespace pmt
