#include "collect/collector.h"

#include <algorithm>
#include <cstring>

#include "collect/zend_sizes.h"

namespace pmt {

Collector::Collector(CollectorOptions options)
    : options_(std::move(options)), symbols_(options_.max_symbols), stacks_(functions_, symbols_, options_.max_stacks) {}

void Collector::set_baseline(uint32_t tgid, uint64_t bytes) {
    Process& p = process(tgid);
    p.baseline_bytes = bytes;
    p.baseline_remaining = bytes;
}

void Collector::add_extension(uint16_t first_kind, uint16_t last_kind, ExtensionHandler handler) {
    extensions_.push_back({first_kind, last_kind, std::move(handler)});
}

double Collector::seconds_since_start(uint64_t ts_ns) const {
    return ts_ns > options_.start_ns ? double(ts_ns - options_.start_ns) / 1e9 : 0.0;
}

ProcessHeap& Collector::process(uint32_t tgid) {
    auto [it, inserted] = processes_.try_emplace(tgid);
    if (inserted) process_order_.push_back(tgid);
    return it->second;
}

const ProcessHeap* Collector::find_process(uint32_t tgid) const {
    auto it = processes_.find(tgid);
    return it == processes_.end() ? nullptr : &it->second;
}

void Collector::change_mapped(ProcessHeap& p, int64_t real_bytes, int64_t huge_bytes, int64_t chunks) {
    p.real_bytes += real_bytes;
    p.huge_bytes += huge_bytes;
    p.chunks += static_cast<uint32_t>(chunks);
    mapped_.real_bytes += real_bytes;
    mapped_.huge_bytes += huge_bytes;
    mapped_.chunks += chunks;
}

void Collector::set_mapped(ProcessHeap& p, uint64_t real_bytes, uint64_t huge_bytes, uint32_t chunks) {
    // Unsigned arithmetic: totals stay right whatever the (untrusted) figures.
    mapped_.real_bytes += real_bytes - p.real_bytes;
    mapped_.huge_bytes += huge_bytes - p.huge_bytes;
    mapped_.chunks += uint64_t(chunks) - p.chunks;
    p.real_bytes = real_bytes;
    p.huge_bytes = huge_bytes;
    p.chunks = chunks;
}

void Collector::add_fault(uint32_t stack, uint64_t ns) {
    auto& f = figures(stack);
    f.stats.fault_count += 1;
    f.stats.fault_ns += ns;
}

void Collector::note_huge_block(Process& p, uint64_t ptr, uint64_t requested) {
    if (requested > PMT_ZEND_MAX_LARGE_SIZE) p.huge_blocks[ptr] = ptr + zend::round_to_pages(requested);
}

void Collector::note_baseline_huge_block(uint32_t tgid, uint64_t ptr, uint64_t size) {
    process(tgid).huge_blocks[ptr] = ptr + zend::round_to_pages(size);
}

uint64_t Collector::forget_huge_block(Process& p, uint64_t ptr) {
    auto huge = p.huge_blocks.find(ptr);
    if (huge == p.huge_blocks.end()) return 0;
    const uint64_t size = huge->second - huge->first + zend::kHugeListNode;
    p.huge_blocks.erase(huge);
    return size;
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
    const ProcessHeap::Block block{size, stack, p.generation};
    p.live.insert({ptr, block});
    ++live_blocks_;
    p.generation_live_bytes += size;
    for (auto& observe : block_observers_) observe(p, record_tgid_, ptr, block, true);
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
    const ProcessHeap::Block block = it->second;
    p.live.erase(it);
    --live_blocks_;
    if (block.generation == p.generation) p.generation_live_bytes -= block.size;
    for (auto& observe : block_observers_) observe(p, record_tgid_, ptr, block, false);
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

uint32_t Collector::record_stack(const RecordView& r) {
    std::optional<uint32_t> root;
    if (options_.service_of) {
        const std::string service = options_.service_of(r.tgid());
        if (!service.empty())
            root = symbols_.intern(Symbol{FrameKind::Pseudo, std::string(kServiceFramePrefix) + service + "]", std::nullopt, "", 0});
    }
    uint32_t id = stacks_.intern_record_frames(r.tgid(), r.frames(), root);
    if (id == stacks_.overflow_stack()) ++counters_.stack_table_full;
    return id;
}

void Collector::on_alloc(const RecordView& view) {
    const pmt_alloc_record& r = view.alloc();
    ++counters_.allocs;
    Process& p = process(r.hdr.tgid);
    add_block(p, r.ptr, zend::block_size(r.size), record_stack(view));
    note_huge_block(p, r.ptr, r.size);
}

// A realloc is a free of the old block and an allocation of the new one by the
// realloc's stack; in place, a small block keeps its bin (zend_sizes.h).
//
// The order matters to the peak. When zend_mm_realloc_heap moves a block it
// allocates the new one before freeing the old, and puts heap->peak back
// afterwards, so the moment both are live does not count: free first, then
// allocate. Except when a small block shrinks into a smaller bin ("truncation"):
// that path does not restore the peak, and memory_get_peak_usage() includes both
// blocks. There the new block is added first, to count what PHP counts.
void Collector::on_realloc(const RecordView& view) {
    const pmt_alloc_record& r = view.alloc();
    ++counters_.reallocs;
    Process& p = process(r.hdr.tgid);
    uint32_t stack = record_stack(view);
    // The old block's size, if untracked: from the page map (BPF), or the huge
    // blocks known (seen allocated, or in the huge list at the attach).
    const uint64_t old_huge = r.old_ptr ? forget_huge_block(p, r.old_ptr) : 0;
    note_huge_block(p, r.ptr, r.size);
    auto old_block = p.live.find(r.old_ptr);
    const uint64_t new_block = zend::block_size(r.size);
    if (old_block != p.live.end() && r.ptr != r.old_ptr && zend::is_small(old_block->second.size) &&
        new_block < old_block->second.size) {
        add_block(p, r.ptr, new_block, stack);
        remove_block(p, r.old_ptr);
        return;
    }
    uint64_t old_size = remove_block(p, r.old_ptr);
    if (!old_size) {
        old_size = r.old_size ? r.old_size : old_huge;
        account_untracked_free(p, old_size);
    }
    uint64_t new_size = (r.ptr == r.old_ptr && old_size) ? zend::in_place_realloc_size(old_size, r.size) : new_block;
    add_block(p, r.ptr, new_size, stack);
}

void Collector::on_free(const pmt_free_record& r) {
    ++counters_.frees;
    Process& p = process(r.hdr.tgid);
    // Huge blocks are chunk aligned: skip the map lookup for everything else.
    const uint64_t huge = (r.ptr & (PMT_ZEND_CHUNK_SIZE - 1)) ? 0 : forget_huge_block(p, r.ptr);
    if (!remove_block(p, r.ptr))
        account_untracked_free(p, r.size ? zend::block_size(r.size) : r.map_size ? r.map_size : huge);
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
    if (mapped_traced_) c.traced_real_bytes = p.real_bytes;
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
    // A new heap generation: at the request's start, and once its heap was reset
    // (with PHP's figure to anchor on).
    const bool state_ok = r.hdr.flags & PMT_HEAP_STATE_OK;
    if ((r.hdr.flags & PMT_REQUEST_BEGIN) || ((r.hdr.flags & PMT_REQUEST_DONE) && state_ok)) {
        Process& p = process(r.hdr.tgid);
        ++p.generation;
        p.generation_live_bytes = 0;
    }
}

// A child's probes are attached after its fork (they are per process), so it
// runs untraced for a moment: like a process attached mid-run, what its heap holds
// at its first traced call is its baseline (PMT_REC_BASELINE), and its copy of the
// parent's blocks is part of that, not of the parent's stacks a second time.
// The child's address space is a copy: it has the parent's chunks and huge
// blocks mapped, and PHP's figures as they were.
void Collector::on_fork(const pmt_proc_record& r) {
    const Process& parent = process(r.hdr.tgid);
    Process& child = process(r.child_tgid);  // std::unordered_map: `parent` stays valid
    set_baseline(r.child_tgid, parent.live_bytes + parent.baseline_remaining);  // until the BPF side's figure
    functions_.copy_process(r.hdr.tgid, r.child_tgid);
    child.regions = parent.regions;
    child.huge_blocks = parent.huge_blocks;
    child.set_anchor(parent.used_bytes());
    child.limit = parent.limit;
    set_mapped(child, parent.real_bytes, parent.huge_bytes, parent.chunks);
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
    p.baseline_bytes.reset();  // its heap is gone, baseline and all
    // The kernel unmaps what the heap did not release itself.
    set_mapped(p, 0, 0, 0);
    p.regions.clear();
    p.huge_blocks.clear();
    p.set_anchor(0);
    ++p.generation;
    p.generation_live_bytes = 0;
    if (!(r.hdr.flags & PMT_PROC_EXEC)) p.exit_code = (r.exit_code >> 8) & 0xff;
}

// zend_mm_shutdown() empties the heap without an efree per block (end of every
// FPM request, end of the process): release them all, counted apart, so the live
// table matches heap->size, which restarts from 0.
void Collector::on_heap_reset(const pmt_heap_reset_record& r) {
    Process& p = process(r.hdr.tgid);
    release_all(p, counters_.wiped_blocks, counters_.wiped_bytes);
    p.huge_blocks.clear();  // zend_mm_shutdown frees the huge list too (found growing in the soak)
}

void Collector::on_record(const void* data, size_t size) {
    if (!RecordView::decode(data, size, view_)) {
        ++counters_.malformed_records;
        return;
    }
    const RecordView& r = view_;
    if (r.header().ts_ns > last_ts_ns_) last_ts_ns_ = r.header().ts_ns;
    record_tgid_ = r.tgid();
    dispatch(r);
    for (auto& ext : extensions_)
        if (r.kind() >= ext.first && r.kind() <= ext.last) ext.handler(*this, r);
}

void Collector::dispatch(const RecordView& r) {
    switch (r.kind()) {
        case PMT_REC_FUNC: return functions_.on_func_record(r.func());
        case PMT_REC_ALLOC: return on_alloc(r);
        case PMT_REC_REALLOC: return on_realloc(r);
        case PMT_REC_FREE: return on_free(r.free());
        case PMT_REC_CHECKPOINT: return on_checkpoint(r.checkpoint());
        case PMT_REC_REQUEST: return on_request(r.request());
        case PMT_REC_PROC_FORK: return on_fork(r.proc());
        case PMT_REC_BASELINE: return set_baseline(r.tgid(), r.baseline().heap_size);
        case PMT_REC_HEAP_RESET: return on_heap_reset(r.heap_reset());
        case PMT_REC_PROC_EXIT: return on_exit(r.proc());
        default: return;
    }
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
    for (const auto& [tgid, process] : processes_)
        if (process.baseline_bytes) p.heap.baseline_bytes = p.heap.baseline_bytes.value_or(0) + *process.baseline_bytes;
    for (uint32_t id = 0; id < figures_.size(); ++id) {
        StackStats s = id < stacks.size() ? stacks[id].stats : StackStats{};
        // Faults count to the end of the session, frozen figures or not.
        s.fault_count = figures_[id].stats.fault_count;
        s.fault_ns = figures_[id].stats.fault_ns;
        if (!s.alloc_count && !s.free_count && !s.fault_count) continue;
        p.stacks.push_back(Stack{stacks_.frames(id), s});
    }
    for (uint32_t tgid : process_order_) p.target.pids.push_back(tgid);
    return p;
}

}  // namespace pmt
