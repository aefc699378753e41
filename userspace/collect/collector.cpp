#include "collect/collector.h"

#include <algorithm>
#include <cstring>

#include "collect/zend_sizes.h"

namespace pmt {

Collector::Collector(CollectorOptions options)
    : options_(std::move(options)), symbols_(options_.max_symbols), stacks_(functions_, symbols_, options_.max_stacks) {
    for (const auto& [tgid, bytes] : options_.baseline_bytes) process(tgid).baseline_remaining = bytes;
}

void Collector::set_baseline(uint32_t tgid, uint64_t bytes) {
    options_.baseline_bytes[tgid] = bytes;
    process(tgid).baseline_remaining = bytes;
}

void Collector::add_extension(uint16_t first_kind, uint16_t last_kind, ExtensionHandler handler) {
    extensions_.push_back({first_kind, last_kind, std::move(handler)});
}

double Collector::seconds_since_start(uint64_t ts_ns) const {
    return ts_ns > options_.start_ns ? double(ts_ns - options_.start_ns) / 1e9 : 0.0;
}

Collector::Process& Collector::process(uint32_t tgid) {
    auto [it, inserted] = processes_.try_emplace(tgid);
    if (inserted) process_order_.push_back(tgid);
    return it->second;
}

uint64_t Collector::process_live_bytes(uint32_t tgid) const {
    auto it = processes_.find(tgid);
    return it == processes_.end() ? 0 : it->second.live_bytes;
}

std::optional<int> Collector::exit_code(uint32_t tgid) const {
    auto it = processes_.find(tgid);
    return it == processes_.end() ? std::nullopt : it->second.exit_code;
}

Collector::StackFigures& Collector::figures(uint32_t stack) {
    if (stack >= figures_.size()) figures_.resize(stack + 1);
    return figures_[stack];
}

// Peak attribution in O(1) per event: every time the live total reaches a new
// peak the epoch advances; a stack about to change for the first time since then
// still holds exactly what it held at the peak, so that value is saved first.
void Collector::note_change(StackFigures& f) {
    if (f.peak_epoch != peak_epoch_) {
        f.stats.peak_live_bytes = f.stats.live_bytes;
        f.stats.peak_live_count = f.stats.live_count;
        f.peak_epoch = peak_epoch_;
    }
}

void Collector::add_block(Process& p, uint64_t ptr, uint64_t size, uint32_t stack) {
    auto existing = p.live.find(ptr);
    if (existing != p.live.end()) {
        // A free we never saw (lost record): drop the stale block first.
        ++counters_.unknown_frees;
        remove_block(p, ptr);
    }
    if (live_blocks_ >= options_.max_live_blocks) {
        ++counters_.live_table_full;  // not tracked: its free will be an unknown free
        return;
    }
    auto& f = figures(stack);
    note_change(f);
    f.stats.alloc_count += 1;
    f.stats.alloc_bytes += size;
    f.stats.live_count += 1;
    f.stats.live_bytes += size;
    p.live.insert({ptr, Block{size, stack}});
    ++live_blocks_;
    for (auto& observe : block_observers_) observe(record_tgid_, ptr, size, stack, true);
    p.live_bytes += size;
    live_total_ += size;
    if (live_total_ > peak_total_) {
        peak_total_ = live_total_;
        peak_ts_ns_ = last_ts_ns_;
        ++peak_epoch_;
    }
}

uint64_t Collector::remove_block(Process& p, uint64_t ptr) {
    auto it = p.live.find(ptr);
    if (it == p.live.end()) return 0;
    Block block = it->second;
    p.live.erase(it);
    --live_blocks_;
    for (auto& observe : block_observers_) observe(record_tgid_, ptr, block.size, block.stack, false);
    auto& f = figures(block.stack);
    note_change(f);
    f.stats.free_count += 1;
    f.stats.free_bytes += block.size;
    f.stats.live_count -= 1;
    f.stats.live_bytes -= block.size;
    p.live_bytes -= block.size;
    live_total_ -= block.size;
    return block.size;
}

void Collector::account_untracked_free(Process& p, uint64_t size) {
    if (size && p.baseline_remaining >= size) {
        ++counters_.baseline_frees;
        counters_.baseline_free_bytes += size;
        p.baseline_remaining -= size;
    } else {
        ++counters_.unknown_frees;
    }
}

uint32_t Collector::record_stack(const pmt_alloc_record& r, size_t size) {
    size_t depth = std::min<size_t>(r.depth, PMT_MAX_FRAMES);
    size_t available = (size - PMT_ALLOC_RECORD_FIXED_SIZE) / sizeof(pmt_frame);
    depth = std::min(depth, available);
    uint32_t id = stacks_.intern_record_frames(r.hdr.tgid, std::span<const pmt_frame>(r.frames, depth));
    if (id == stacks_.overflow_stack()) ++counters_.stack_table_full;
    return id;
}

void Collector::on_alloc(const pmt_alloc_record& r, size_t size) {
    ++counters_.allocs;
    add_block(process(r.hdr.tgid), r.ptr, zend::block_size(r.size), record_stack(r, size));
}

// A realloc is a free of the old block and an allocation of the new one by the
// realloc's stack; in place, a small block keeps its bin (zend_sizes.h).
void Collector::on_realloc(const pmt_alloc_record& r, size_t size) {
    ++counters_.reallocs;
    Process& p = process(r.hdr.tgid);
    uint32_t stack = record_stack(r, size);
    uint64_t old_size = remove_block(p, r.old_ptr);
    if (!old_size) {
        old_size = r.old_size;
        account_untracked_free(p, old_size);
    }
    uint64_t new_size = (r.ptr == r.old_ptr && old_size) ? zend::in_place_realloc_size(old_size, r.size)
                                                         : zend::block_size(r.size);
    add_block(p, r.ptr, new_size, stack);
}

void Collector::on_free(const pmt_free_record& r) {
    ++counters_.frees;
    Process& p = process(r.hdr.tgid);
    if (!remove_block(p, r.ptr)) account_untracked_free(p, r.size ? zend::block_size(r.size) : r.map_size);
}

void Collector::on_checkpoint(const pmt_checkpoint_record& r) {
    Process& p = process(r.hdr.tgid);
    Checkpoint c;
    c.t_s = seconds_since_start(r.hdr.ts_ns);
    c.pid = r.hdr.tgid;
    c.real = r.real != 0;
    if (c.real) {
        c.php_real_usage = r.returned;
        c.php_memory_usage = r.heap_read_ok ? r.heap_size : 0;
    } else {
        c.php_memory_usage = r.returned;
        if (r.heap_read_ok) c.php_real_usage = r.heap_real_size;
    }
    c.traced_live_bytes = p.live_bytes + p.baseline_remaining;
    if (checkpoints_.size() < options_.max_checkpoints) {
        checkpoints_.push_back(c);
    } else {
        ++counters_.checkpoints_not_kept;
        if (c.php_memory_usage != c.traced_live_bytes) ++counters_.checkpoints_not_kept_inexact;
    }
}

std::vector<Collector::StackFigures> Collector::resolved_peaks(const std::vector<StackFigures>& stacks) const {
    std::vector<StackFigures> out = stacks;
    for (auto& f : out)
        if (f.peak_epoch != peak_epoch_) {
            f.stats.peak_live_bytes = f.stats.live_bytes;
            f.stats.peak_live_count = f.stats.live_count;
        }
    return out;
}

void Collector::on_request(const pmt_request_record& r) {
    const bool script_end = !(r.hdr.flags & (PMT_REQUEST_BEGIN | PMT_REQUEST_DONE));
    if (script_end && options_.freeze_at_script_end_of == r.hdr.tgid)
        frozen_ = Frozen{resolved_peaks(figures_), live_total_};
}

// A child's probes are attached after its fork (they are per process), so it
// runs untraced for a moment: like a process attached mid-run, what its heap holds
// at its first traced call is its baseline (PMT_REC_BASELINE), and its copy of the
// parent's blocks is part of that, not of the parent's stacks a second time.
void Collector::on_fork(const pmt_proc_record& r) {
    const Process& parent = process(r.hdr.tgid);
    set_baseline(r.child_tgid, parent.live_bytes + parent.baseline_remaining);  // until the BPF side's figure
    functions_.copy_process(r.hdr.tgid, r.child_tgid);
}

void Collector::release_all(Process& p, uint64_t& blocks, uint64_t& bytes) {
    std::vector<uint64_t> pointers;
    pointers.reserve(p.live.size());
    for (const auto& [ptr, block] : p.live) pointers.push_back(ptr);
    for (uint64_t ptr : pointers) {
        bytes += remove_block(p, ptr);
        ++blocks;
    }
    p.baseline_remaining = 0;
}

// A process that exits or execs without zend_mm_shutdown() (a forked child that
// runs another program or calls _exit, a crash) takes its heap with it: its blocks
// are no longer live, whoever allocated them.
void Collector::on_exit(const pmt_proc_record& r) {
    Process& p = process(r.hdr.tgid);
    release_all(p, counters_.exited_blocks, counters_.exited_bytes);
    options_.baseline_bytes.erase(r.hdr.tgid);  // its heap is gone, baseline and all
    if (!(r.hdr.flags & PMT_PROC_EXEC)) p.exit_code = (r.exit_code >> 8) & 0xff;
}

// zend_mm_shutdown() empties the heap without an efree per block (end of every
// FPM request, end of the process): release them all, counted apart, so the live
// table matches heap->size, which restarts from 0.
void Collector::on_heap_reset(const pmt_heap_reset_record& r) {
    release_all(process(r.hdr.tgid), counters_.wiped_blocks, counters_.wiped_bytes);
}

void Collector::on_record(const void* data, size_t size) {
    if (size < sizeof(pmt_record_header)) {
        ++counters_.malformed_records;
        return;
    }
    pmt_record_header hdr;
    std::memcpy(&hdr, data, sizeof(hdr));
    if (hdr.ts_ns > last_ts_ns_) last_ts_ns_ = hdr.ts_ns;
    record_tgid_ = hdr.tgid;
    auto fits = [&](size_t need) {
        if (size >= need) return true;
        ++counters_.malformed_records;
        return false;
    };
    switch (hdr.kind) {
        case PMT_REC_FUNC:
            if (fits(sizeof(pmt_func_record))) functions_.on_func_record(*static_cast<const pmt_func_record*>(data));
            return;
        case PMT_REC_ALLOC:  // extensions may want these too (the fault tracer learns huge blocks)
            if (fits(PMT_ALLOC_RECORD_FIXED_SIZE)) on_alloc(*static_cast<const pmt_alloc_record*>(data), size);
            break;
        case PMT_REC_REALLOC:
            if (fits(PMT_ALLOC_RECORD_FIXED_SIZE)) on_realloc(*static_cast<const pmt_alloc_record*>(data), size);
            break;
        case PMT_REC_FREE:
            if (fits(sizeof(pmt_free_record))) on_free(*static_cast<const pmt_free_record*>(data));
            break;
        case PMT_REC_CHECKPOINT:
            if (fits(sizeof(pmt_checkpoint_record))) on_checkpoint(*static_cast<const pmt_checkpoint_record*>(data));
            break;  // the heap tracer adds its real size to each checkpoint
        case PMT_REC_REQUEST:
            if (fits(sizeof(pmt_request_record))) on_request(*static_cast<const pmt_request_record*>(data));
            break;  // extensions may want it too
        case PMT_REC_PROC_FORK:
            if (fits(sizeof(pmt_proc_record))) on_fork(*static_cast<const pmt_proc_record*>(data));
            break;
        case PMT_REC_BASELINE:
            if (fits(sizeof(pmt_baseline_record))) {
                const auto& b = *static_cast<const pmt_baseline_record*>(data);
                set_baseline(b.hdr.tgid, b.heap_size);
            }
            break;
        case PMT_REC_HEAP_RESET:
            if (fits(sizeof(pmt_heap_reset_record))) on_heap_reset(*static_cast<const pmt_heap_reset_record*>(data));
            break;
        case PMT_REC_PROC_EXIT:
            if (fits(sizeof(pmt_proc_record))) on_exit(*static_cast<const pmt_proc_record*>(data));
            break;
        default:
            break;
    }
    for (auto& ext : extensions_)
        if (hdr.kind >= ext.first && hdr.kind <= ext.last) ext.handler(*this, hdr, data, size);
}

std::vector<std::pair<uint32_t, StackStats>> Collector::live_stacks() const {
    std::vector<std::pair<uint32_t, StackStats>> out;
    for (uint32_t id = 0; id < figures_.size(); ++id)
        if (figures_[id].stats.live_bytes) out.emplace_back(id, figures_[id].stats);
    return out;
}

Profile Collector::profile() const {
    Profile p;
    p.counters = counters_;
    p.counters.symbol_table_full = symbols_.full_hits();
    p.symbols = symbols_.symbols();
    p.checkpoints = checkpoints_;
    const bool use_frozen = frozen_ && (options_.frozen_is_final || exit_code(*options_.freeze_at_script_end_of));
    const std::vector<StackFigures> stacks = use_frozen ? frozen_->stacks : resolved_peaks(figures_);
    p.live_point = use_frozen ? "script_end" : "session_end";
    p.heap.live_bytes = use_frozen ? frozen_->live_total : live_total_;
    p.heap.peak_live_bytes = peak_total_;
    p.heap.peak_at_s = seconds_since_start(peak_ts_ns_);
    if (!options_.baseline_bytes.empty()) {
        uint64_t baseline = 0;
        for (const auto& [tgid, bytes] : options_.baseline_bytes) baseline += bytes;
        p.heap.baseline_bytes = baseline;
    }
    for (uint32_t id = 0; id < stacks.size(); ++id) {
        const auto& s = stacks[id].stats;
        if (!s.alloc_count && !s.free_count) continue;
        p.stacks.push_back(Stack{stacks_.frames(id), s});
    }
    for (uint32_t tgid : process_order_) p.target.pids.push_back(tgid);
    return p;
}

}  // namespace pmt
