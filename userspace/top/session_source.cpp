#include "top/session_source.h"

#include <algorithm>
#include <cstdio>

#include "faults/fault_session.h"
#include "heap/heap_session.h"
#include "target/process.h"
#include "target/php_processes.h"
#include "util/utf8_text.h"

namespace pmt {
namespace {

// PHP's "no limit" (memory_limit=-1) is the largest size_t.
uint64_t shown_limit(uint64_t limit) { return limit >= (1ull << 62) ? 0 : limit; }

// What the heap of a process attached mid-run says of itself before the first
// heap record: memory_limit and its peak so far (heap->limit, heap->peak).
void read_limit_and_peak(const PhpBinary& php, uint32_t pid, ProcessHeap& p, LiveTable& live) {
    const pmt_php_offsets& off = php.offsets();
    auto heap = php.heap_address_in_process(static_cast<pid_t>(pid));
    if (!heap) return;
    uint64_t value = 0;
    if (off.heap_limit && !p.limit && read_process_memory(static_cast<pid_t>(pid), *heap + off.heap_limit, &value, sizeof(value)))
        p.limit = value;
    if (off.heap_peak && read_process_memory(static_cast<pid_t>(pid), *heap + off.heap_peak, &value, sizeof(value)))
        live.note_peak(pid, value);
}

}  // namespace

Result<std::unique_ptr<SessionSource>> SessionSource::open(const SessionSourceOptions& options) {
    if (options.pids.empty()) return Error{"no process to trace"};
    SessionOptions session_options;
    session_options.pid = options.pids.front();
    session_options.more_pids.assign(options.pids.begin() + 1, options.pids.end());
    session_options.probes = options.probes;
    session_options.probes.slow_paths_only = !options.exact;
    session_options.max_stacks = options.max_stacks;
    std::vector<std::unique_ptr<SessionModule>> modules;
    modules.push_back(make_heap_module(HeapSessionOptions{}));
    if (options.faults) modules.push_back(make_fault_module(FaultSessionOptions{}));
    auto opened = Session::open(session_options, std::move(modules));
    if (!opened) return opened.error();
    std::unique_ptr<SessionSource> source(new SessionSource());
    source->session_ = std::move(*opened);
    source->faults_ = options.faults;
    source->exact_ = options.exact;
    source->max_overhead_ = options.max_overhead;
    const MemtraceProbes& probes = source->session_->allocations();
    if (auto prices = calibrate_trap_prices(probes))
        source->meter_.emplace(prices_by_kind(*prices, probes, source->session_->php().elf()));
    else
        source->calibration_error_ = prices.error().message;
    SessionSource* self = source.get();
    Collector& collector = source->session_->collector();
    // Registered after the heap module's: a process's heap size already counts the block.
    collector.add_block_observer(
        [self](ProcessHeap& p, uint32_t tgid, uint64_t, const ProcessHeap::Block& block, bool added) {
            // Slow paths: the heap's size is not the trace's (a refill is a whole
            // run); the peak comes from the heap itself (read_gauges, request ends).
            self->live_.on_block(tgid, block.stack, block.size, added, self->exact_ ? self->used_bytes(p) : 0);
        });
    collector.add_extension(PMT_REC_GC_END, PMT_REC_GC_END,
                            [self](Collector&, const RecordView& r) { self->live_.on_gc_run(r.tgid()); });
    // At script end (request shutdown begins) SG(request_info) is complete and
    // heap->peak is the request's own (FPM resets it at every request's end).
    collector.add_extension(PMT_REC_REQUEST, PMT_REC_REQUEST, [self](Collector& c, const RecordView& r) {
        const pmt_request_record& req = r.request();
        if (req.hdr.flags & (PMT_REQUEST_BEGIN | PMT_REQUEST_DONE)) return;
        const std::string uri = printable_field(req.uri, sizeof(req.uri));
        if (uri.empty()) return;
        const uint64_t peak = (req.hdr.flags & PMT_HEAP_STATE_OK) ? req.heap.peak : self->used_bytes(c.process(r.tgid()));
        self->live_.on_request_end(r.tgid(), uri, peak);
        // A process's peak from the heap's own figure only (slow paths: the
        // trace's heap size counts whole page runs).
        if (self->exact_ || (req.hdr.flags & PMT_HEAP_STATE_OK)) self->live_.note_peak(r.tgid(), peak);
    });
    for (uint32_t pid : collector.processes())
        read_limit_and_peak(source->session_->php(), pid, collector.process(pid), source->live_);
    source->last_cost_ns_ = monotonic_ns();
    return source;
}

uint64_t SessionSource::used_bytes(const ProcessHeap& p) const {
    // The heap module anchors heap->size at every heap event; before the first,
    // what the tracer saw plus what the process held when it was attached.
    const uint64_t used = p.used_bytes();
    return used ? used : p.live_bytes + p.baseline_remaining;
}

Status SessionSource::add_process(pid_t pid) {
    if (auto s = session_->add_running_process(pid); !s) return s;
    Collector& collector = session_->collector();
    read_limit_and_peak(session_->php(), static_cast<uint32_t>(pid), collector.process(static_cast<uint32_t>(pid)), live_);
    return Status::success();
}

Status SessionSource::poll(int timeout_ms) {
    Status s = session_->poll(timeout_ms);
    if (monotonic_ns() - last_prune_ns_ > 1'000'000'000ull) prune_exited();
    return s;
}

void SessionSource::prune_exited() {
    last_prune_ns_ = monotonic_ns();
    Collector& collector = session_->collector();
    for (uint32_t pid : collector.processes()) {
        const ProcessHeap* p = collector.find_process(pid);
        if (p && p->exit_code && exited_seen_.insert(pid).second) exited_.push_back(pid);
    }
    while (exited_.size() > kExitedShown) {
        live_.forget(exited_.front());
        titles_.erase(exited_.front());
        heap_addresses_.erase(exited_.front());
        gauge_peaks_.erase(exited_.front());
        hidden_.insert(exited_.front());
        exited_.pop_front();
    }
}

std::vector<ProcessFigures> SessionSource::processes() const {
    std::vector<ProcessFigures> out;
    Collector& collector = session_->collector();
    for (uint32_t pid : collector.processes()) {
        const ProcessHeap* p = collector.find_process(pid);
        if (!p || hidden_.count(pid)) continue;
        ProcessFigures f;
        f.pid = pid;
        f.exit_code = p->exit_code;
        f.exited = p->exit_code.has_value() || !process_exists(static_cast<pid_t>(pid));
        auto title = titles_.find(pid);
        // FPM renames a worker after its fork: read again until it has a title.
        if (title == titles_.end() || title->second.empty() || title->second.rfind("php-fpm: master", 0) == 0) {
            const std::string now = f.exited ? "" : process_title(static_cast<pid_t>(pid));
            if (!now.empty() || title == titles_.end()) title = titles_.insert_or_assign(pid, now).first;
        }
        f.title = title->second;
        std::optional<HeapGauges> gauges;
        if (!exact_ && !f.exited) gauges = read_gauges(pid);
        f.used_bytes = f.exited ? 0 : gauges ? gauges->used : used_bytes(*p);
        f.real_bytes = gauges ? gauges->real : p->real_bytes;
        f.limit_bytes = shown_limit(p->limit);
        if (const LiveTable::ProcessLive* live = live_.find(pid)) {
            f.alloc_count = live->alloc_count;
            f.alloc_bytes = live->alloc_bytes;
            f.free_count = live->free_count;
            f.free_bytes = live->free_bytes;
            f.gc_runs = live->gc_runs;
            f.peak_bytes = live->peak_used;
        }
        if (gauges) {
            // The heap's own peak (FPM resets it at each request's end), until a
            // reset: then what the refreshes saw since.
            uint64_t& peak = gauge_peaks_[pid];
            peak = std::max(peak, peaks_reset_ ? gauges->used : gauges->peak);
            f.peak_bytes = std::max(f.peak_bytes, peak);  // and the request ends' peaks
        }
        f.peak_bytes = std::max(f.peak_bytes, f.used_bytes);
        out.push_back(std::move(f));
    }
    return out;
}

std::vector<StackFigures> SessionSource::stacks(const std::vector<uint32_t>& pids) const {
    Collector& collector = session_->collector();
    std::unordered_map<uint32_t, StackFigures> summed;
    auto add_process = [&](const LiveTable::ProcessLive& p) {
        for (const auto& [id, s] : p.stacks) {
            StackFigures& f = summed[id];
            f.live_bytes += s.live_bytes;
            f.live_count += s.live_count;
            f.alloc_bytes += s.alloc_bytes;
            f.alloc_count += s.alloc_count;
        }
    };
    live_.for_each_of(pids, add_process);
    if (faults_)
        for (uint32_t id = 0; id < collector.stack_ids(); ++id)
            if (uint64_t faults = collector.stack_stats_now(id).fault_count) summed[id].fault_count = faults;
    std::vector<StackFigures> out;
    out.reserve(summed.size());
    for (auto& [id, f] : summed) {
        if (!f.live_bytes && !f.alloc_bytes && !f.fault_count) continue;
        f.stack = id;
        out.push_back(f);
    }
    return out;
}

std::vector<RequestPeak> SessionSource::request_peaks(const std::vector<uint32_t>& pids) const {
    std::unordered_map<std::string, RequestPeak> merged;
    auto add = [&](const LiveTable::ProcessLive& p) {
        for (const auto& [uri, peak] : p.uri_peaks) {
            RequestPeak& m = merged[uri];
            m.uri = uri;
            m.peak_bytes = std::max(m.peak_bytes, peak.peak_bytes);
            m.requests += peak.requests;
        }
    };
    live_.for_each_of(pids, add);
    std::vector<RequestPeak> out;
    for (auto& [uri, peak] : merged) out.push_back(std::move(peak));
    return out;
}

const std::vector<Frame>& SessionSource::frames(uint32_t stack) const { return session_->collector().stack_frames(stack); }

const std::vector<Symbol>& SessionSource::symbols() const { return session_->collector().symbols(); }

SourceCost SessionSource::cost() {
    SourceCost c;
    c.mode = exact_ ? "exact" : "slow paths";
    c.explanation = exact_ ? "every allocation traced, as record does"
                           : "small-bin refills, large and huge blocks by stack; size and peak from the heap";
    c.budget = max_overhead_;
    Counters counters = session_->collector().counters();
    session_->read_kernel_counters(counters);
    c.lost_records = counters.lost_events;
    const uint64_t now = monotonic_ns();
    if (!meter_) {
        c.cost_basis = "no price per trap: " + calibration_error_;
        last_cost_ns_ = now;
        return c;
    }
    c.priced = true;
    meter_->update(session_->allocations().trap_counts(), session_->traced_processes());
    const double seconds = double(now - last_cost_ns_) / 1e9;
    if (seconds > 0) c.traps_per_s = double(meter_->traps_total() - last_traps_) / seconds;
    // Since the start: /proc's CPU times tick every 10 ms, too coarse for one
    // interval of a mostly idle process.
    if (meter_->target_cpu_seconds_total() > 0)
        c.overhead = meter_->trap_seconds_total() / meter_->target_cpu_seconds_total();
    char basis[96];
    std::snprintf(basis, sizeof basis, "%.0f ns a trap, calibrated", meter_->mean_trap_ns());
    c.cost_basis = basis;
    last_traps_ = meter_->traps_total();
    last_cost_ns_ = now;
    return c;
}

std::optional<SessionSource::HeapGauges> SessionSource::read_gauges(uint32_t pid) const {
    const pmt_php_offsets& off = session_->php().offsets();
    if (!off.heap_size || !off.heap_peak || !off.heap_real_size) return std::nullopt;
    auto known = heap_addresses_.find(pid);
    if (known == heap_addresses_.end()) {
        auto heap = session_->php().heap_address_in_process(static_cast<pid_t>(pid));
        if (!heap) return std::nullopt;
        known = heap_addresses_.emplace(pid, *heap).first;
    }
    HeapGauges g;
    const pid_t p = static_cast<pid_t>(pid);
    if (!read_process_memory(p, known->second + off.heap_size, &g.used, sizeof(g.used)) ||
        !read_process_memory(p, known->second + off.heap_peak, &g.peak, sizeof(g.peak)) ||
        !read_process_memory(p, known->second + off.heap_real_size, &g.real, sizeof(g.real))) {
        heap_addresses_.erase(known);  // gone, or exec'd: found again next time
        return std::nullopt;
    }
    return g;
}

void SessionSource::reset() {
    std::unordered_map<uint32_t, uint64_t> used_now;
    Collector& collector = session_->collector();
    for (uint32_t pid : collector.processes())
        if (const ProcessHeap* p = collector.find_process(pid)) used_now[pid] = used_bytes(*p);
    live_.reset(used_now);
    gauge_peaks_.clear();
    peaks_reset_ = true;
}

Profile SessionSource::snapshot() const {
    Profile profile = session_->snapshot();
    profile.target.pid = session_->main_pid();
    profile.target.binary = printable_text(session_->php().path());
    profile.target.php_version = session_->php().version().text;
    return profile;
}

}  // namespace pmt
