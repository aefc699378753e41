// Turns the ordered stream of ring buffer records into per-stack figures.
//
// Decodes each record once (RecordView) and keeps the one model of each traced
// process (ProcessHeap: live blocks, mapped regions, huge blocks, PHP's figures),
// handling fork, exec, exit and heap resets for every module. Per stack it keeps
// allocation, free, live, peak-time and fault figures. Sizes are the Zend memory
// manager's (zend_sizes.h), so the live total can be compared with
// memory_get_usage() at every checkpoint. Modules (heap timeline, faults) get the
// decoded records of the kinds they ask for, after the model has been updated.
#pragma once

#include <tsl/robin_map.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collect/process_heap.h"
#include "collect/record_view.h"
#include "collect/stack_table.h"
#include "collect/symbol_table.h"
#include "model/profile.h"
#include "phpmemtrace.h"
#include "util/hash.h"

namespace pmt {

// The root frame of a service's stacks: "[service NAME]" (CollectorOptions::service_of).
inline constexpr std::string_view kServiceFramePrefix = "[service ";

struct CollectorOptions {
    uint64_t start_ns = 0;  // bpf_ktime_get_ns() at session start
    // Freeze the figures when this process starts request shutdown, so "live" means
    // what the script still held when it finished (before the heap is emptied).
    std::optional<uint32_t> freeze_at_script_end_of;
    // Launch mode: the frozen figures are the result. Attach by PID: only if the
    // process exited during the session (else the figures at the end are).
    bool frozen_is_final = true;
    // Bounds of the tables that grow with what the target does (not with events):
    // past them the figures go to one "[... table full]" entry, counted.
    size_t max_stacks = StackTable::kDefaultMaxStacks;
    size_t max_symbols = SymbolTable::kDefaultMaxSymbols;
    size_t max_live_blocks = 50'000'000;  // ~5 GB of tables at ~94 B per block
    size_t max_checkpoints = 20'000;      // kept in the profile; later ones are counted
    // The agent: the service a process belongs to ("" none). Every stack of the
    // process gets a root frame "[service NAME]" (split_by_service, agent/).
    std::function<std::string(uint32_t tgid)> service_of;
};

// A module's handler for the record kinds it asked for, called after the
// Collector has handled the record (and updated the process's model).
class Collector;
using ExtensionHandler = std::function<void(Collector&, const RecordView&)>;
// Told of every block the collector adds (added) or removes in a process's model:
// per-request and per-GC-run figures of the heap tracer.
using BlockObserver =
    std::function<void(ProcessHeap& process, uint32_t tgid, uint64_t ptr, const ProcessHeap::Block& block, bool added)>;

// Mapped memory of every traced process (chunks and huge blocks), kept with the models.
struct MappedTotals {
    uint64_t real_bytes = 0;
    uint64_t huge_bytes = 0;
    uint64_t chunks = 0;
};

class Collector {
public:
    explicit Collector(CollectorOptions options);

    // One ring buffer record. Malformed records are counted, never trusted.
    void on_record(const void* data, size_t size);
    // Route record kinds [first, last] to an extension handler.
    void add_extension(uint16_t first_kind, uint16_t last_kind, ExtensionHandler handler);
    void add_block_observer(BlockObserver observer) { block_observers_.push_back(std::move(observer)); }
    // What a process held before the tracer saw it (attached mid-run, or a forked
    // child's copy of its parent's heap). The one entry point: set from a read
    // before attaching (or the parent's figure at fork), then replaced by the BPF
    // side's PMT_REC_BASELINE, taken at the process's first traced call (no
    // allocation can fall in between).
    void set_baseline(uint32_t tgid, uint64_t bytes);
    // Attach mode: a huge block in the heap's huge list before the tracer came
    // (its size as the list says), so that its free or realloc is sized.
    void note_baseline_huge_block(uint32_t tgid, uint64_t ptr, uint64_t size);

    // bpf_ktime_get_ns() at the session's start (times are reported from it).
    void set_start_ns(uint64_t ns) { options_.start_ns = ns; }
    // The profile as of now (or as frozen at script end in launch mode).
    Profile profile() const;

    // For extensions and tests.
    double seconds_since_start(uint64_t ts_ns) const;
    uint32_t intern_record_stack(uint32_t tgid, std::span<const pmt_frame> leaf_first) {
        return stacks_.intern_record_frames(tgid, leaf_first);
    }
    // Frames (root first) of a stack id from intern_record_stack().
    const std::vector<Frame>& stack_frames(uint32_t id) const { return stacks_.frames(id); }
    uint64_t live_bytes() const { return live_total_; }
    // The one model of a process (created on first use).
    ProcessHeap& process(uint32_t tgid);
    const ProcessHeap* find_process(uint32_t tgid) const;
    // Mapped memory: every change to a model's real/huge/chunk figures goes
    // through here, so the totals across processes stay right.
    void change_mapped(ProcessHeap& p, int64_t real_bytes, int64_t huge_bytes, int64_t chunks);
    void set_mapped(ProcessHeap& p, uint64_t real_bytes, uint64_t huge_bytes, uint32_t chunks);
    const MappedTotals& mapped_totals() const { return mapped_; }
    // The heap module maps regions: checkpoints then carry the traced real size.
    void trace_mapped_memory() { mapped_traced_ = true; }
    // A page fault attributed to a stack (the fault module).
    void add_fault(uint32_t stack, uint64_t ns);
    // The live view (top), without making a Profile: how many stack ids there
    // are, one id's figures now (peak figures unresolved), the symbols so far.
    size_t stack_ids() const { return figures_.size(); }
    const StackStats& stack_stats_now(uint32_t id) const { return figures_.at(id).stats; }
    const std::vector<Symbol>& symbols() const { return symbols_.symbols(); }
    // The stacks holding memory now (id, figures).
    std::vector<std::pair<uint32_t, StackStats>> live_stacks() const;
    uint64_t process_live_bytes(uint32_t tgid) const;
    Counters& counters() { return counters_; }
    const std::vector<uint32_t>& processes() const { return process_order_; }
    std::optional<int> exit_code(uint32_t tgid) const;
    uint64_t malformed_records() const { return counters_.malformed_records; }
    size_t checkpoints_kept() const { return checkpoints_.size(); }

private:
    using Process = ProcessHeap;
    struct StackFigures {
        StackStats stats;
        uint64_t peak_epoch = 0;  // see note_change()
    };
    struct Frozen {
        std::vector<StackFigures> stacks;
        uint64_t live_total;
    };

    StackFigures& figures(uint32_t stack);
    void note_change(StackFigures& f);
    void add_block(Process& p, uint64_t ptr, uint64_t size, uint32_t stack);
    // Removes ptr if live; returns its size (0 if not found).
    uint64_t remove_block(Process& p, uint64_t ptr);
    // The huge blocks view: allocations past the large size, by address range.
    void note_huge_block(Process& p, uint64_t ptr, uint64_t requested);
    void account_untracked_free(Process& p, uint64_t size);
    // Forgets a huge block; returns what heap->size counted for it (0: not one).
    uint64_t forget_huge_block(Process& p, uint64_t ptr);
    void on_alloc(const RecordView& r);
    void on_realloc(const RecordView& r);
    void on_free(const pmt_free_record& r);
    void on_checkpoint(const pmt_checkpoint_record& r);
    void on_request(const pmt_request_record& r);
    void on_fork(const pmt_proc_record& r);
    void on_exit(const pmt_proc_record& r);
    void on_heap_reset(const pmt_heap_reset_record& r);
    // Releases every live block of `p`, adding them to the given counters.
    void release_all(Process& p, uint64_t& blocks, uint64_t& bytes);
    uint32_t record_stack(const RecordView& r);
    void dispatch(const RecordView& r);
    std::vector<StackFigures> resolved_peaks(const std::vector<StackFigures>& stacks) const;

    CollectorOptions options_;
    SymbolTable symbols_;
    FunctionResolver functions_{symbols_};
    StackTable stacks_;
    std::vector<StackFigures> figures_;
    std::unordered_map<uint32_t, Process> processes_;
    std::vector<uint32_t> process_order_;
    Counters counters_;
    std::vector<Checkpoint> checkpoints_;
    uint64_t live_total_ = 0;
    uint64_t live_blocks_ = 0;  // in every process's table, against max_live_blocks
    uint64_t peak_total_ = 0;
    uint64_t peak_ts_ns_ = 0;
    uint64_t peak_epoch_ = 1;
    uint64_t last_ts_ns_ = 0;
    std::optional<Frozen> frozen_;
    struct Extension {
        uint16_t first, last;
        ExtensionHandler handler;
    };
    std::vector<Extension> extensions_;
    std::vector<BlockObserver> block_observers_;
    uint32_t record_tgid_ = 0;  // process of the record being handled
    MappedTotals mapped_;
    bool mapped_traced_ = false;
    RecordView view_;  // reused: see RecordView::decode
};

}  // namespace pmt
