// top's source: the session core, in one of two modes.
// - Slow paths (the default): the fleet agent's probes only (small-bin refills,
//   large and huge blocks, docs/agent.md), a few hundred traps a second; the
//   heap's own figures (heap->size, peak, limit) are read from the process at
//   each refresh.
// - Exact (--exact): every allocation traced, as `record` does; one uprobe trap
//   per allocator call.
// cost() says how many traps there are and what they cost the traced processes:
// the count comes from BPF (trap_counts), the price per trap is calibrated at
// start-up on this host, the traced processes' CPU time is read from /proc.
#pragma once

#include <sys/types.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "agent/agent_cost.h"
#include "session/session_core.h"
#include "top/live_table.h"
#include "top/top_source.h"

namespace pmt {

struct SessionSourceOptions {
    std::vector<pid_t> pids;  // running processes of one PHP binary (the first is the main one)
    std::string image;        // that binary, once known (top's `e` key finds its processes again)
    bool faults = false;      // load the page-fault module too
    bool exact = false;       // every allocation (else the heap's slow paths only)
    double max_overhead = 0.01;  // the budget the header measures the estimate against
    ProbeOptions probes;
    size_t max_stacks = StackTable::kDefaultMaxStacks;
};

class SessionSource : public TopSource {
public:
    // Loads and attaches everything before returning: an error is one line.
    static Result<std::unique_ptr<SessionSource>> open(const SessionSourceOptions& options);

    Status poll(int timeout_ms) override;
    std::vector<ProcessFigures> processes() const override;
    std::vector<StackFigures> stacks(const std::vector<uint32_t>& pids) const override;
    const std::vector<Frame>& frames(uint32_t stack) const override;
    const std::vector<Symbol>& symbols() const override;
    bool has_faults() const override { return faults_; }
    std::vector<RequestPeak> request_peaks(const std::vector<uint32_t>& pids) const override;
    SourceCost cost() override;
    void reset() override;
    Profile snapshot() const override;

    // A PHP process started since (top --all); its pid must run the binary.
    Status add_process(pid_t pid) override;
    bool traces(pid_t pid) const override { return session_->traces(pid); }
    const std::string& image() const { return session_->php().path(); }

private:
    SessionSource() = default;
    uint64_t used_bytes(const ProcessHeap& p) const;
    // Slow paths: heap->size, peak and real_size as the process's heap says now.
    struct HeapGauges {
        uint64_t used = 0, peak = 0, real = 0;
    };
    std::optional<HeapGauges> read_gauges(uint32_t pid) const;
    // FPM's dynamic and ondemand pools replace workers all day: only the last
    // kExitedShown exited processes keep their row and their table.
    void prune_exited();
    static constexpr size_t kExitedShown = 32;

    std::unique_ptr<Session> session_;
    LiveTable live_;
    bool faults_ = false;
    bool exact_ = false;
    double max_overhead_ = 0.01;
    std::optional<CostMeter> meter_;  // none when the calibration failed (said in the header)
    std::string calibration_error_;
    uint64_t last_traps_ = 0;  // cost(): the meter's total at the previous call
    uint64_t last_cost_ns_ = 0;
    mutable std::unordered_map<uint32_t, uint64_t> heap_addresses_;  // slow paths: each process's heap
    mutable std::unordered_map<uint32_t, uint64_t> gauge_peaks_;     // slow paths: the peak shown
    bool peaks_reset_ = false;
    mutable std::unordered_map<uint32_t, std::string> titles_;  // read once per process
    std::deque<uint32_t> exited_;              // shown, oldest first
    std::unordered_set<uint32_t> exited_seen_, hidden_;
    uint64_t last_prune_ns_ = 0;
};

}  // namespace pmt
