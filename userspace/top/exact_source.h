// top's exact source: the session core with every allocation traced (what
// `record` does). Costs one uprobe trap per allocator call in the traced
// processes; cost() says how many there are and what they are estimated to cost.
#pragma once

#include <sys/types.h>

#include <deque>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "session/session_core.h"
#include "top/live_table.h"
#include "top/top_source.h"

namespace pmt {

struct ExactSourceOptions {
    std::vector<pid_t> pids;  // running processes of one PHP binary (the first is the main one)
    bool faults = false;      // load the page-fault module too
    ProbeOptions probes;
    size_t max_stacks = StackTable::kDefaultMaxStacks;
};

// Estimated cost of one uprobe trap: measured on the project's VMs
// (docs/environment.md: ~10.5 us per hit; about 0.3 us on bare metal). The
// header says which figure it uses, so the estimate can be judged.
inline constexpr double kTrapCostSeconds = 10.5e-6;

class ExactSource : public TopSource {
public:
    // Loads and attaches everything before returning: an error is one line.
    static Result<std::unique_ptr<ExactSource>> open(const ExactSourceOptions& options);

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

    // Traces a PHP process started since (top --all); its pid must run the binary.
    Status add_process(pid_t pid);
    bool traces(pid_t pid) const { return session_->traces(pid); }
    const std::string& image() const { return session_->php().path(); }

private:
    ExactSource() = default;
    uint64_t used_bytes(const ProcessHeap& p) const;
    // FPM's dynamic and ondemand pools replace workers all day: only the last
    // kExitedShown exited processes keep their row and their table.
    void prune_exited();
    static constexpr size_t kExitedShown = 32;

    std::unique_ptr<Session> session_;
    LiveTable live_;
    bool faults_ = false;
    // cost(): the record counts at the previous call.
    uint64_t last_traps_ = 0;
    uint64_t last_cost_ns_ = 0;
    mutable std::unordered_map<uint32_t, std::string> titles_;  // read once per process
    std::deque<uint32_t> exited_;              // shown, oldest first
    std::unordered_set<uint32_t> exited_seen_, hidden_;
    uint64_t last_prune_ns_ = 0;
};

}  // namespace pmt
