// --max-overhead applied to the agent's sessions: every control period it reads
// each traced process's traps per link group (BPF, pmt_proc_state.traps) and CPU
// time (/proc), prices the traps as the calibration says, asks OverheadBudget
// what to change, and detaches or re-attaches those groups. The levels and the
// estimate go to the metrics; what each pool lost in an interval goes to its
// profile's comments.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_cost.h"
#include "agent/agent_metrics.h"
#include "agent/overhead_budget.h"
#include "session/session_core.h"

namespace pmt {

class BudgetEnforcer {
public:
    using ServiceOf = std::function<std::string(pid_t pid, const std::string& image)>;
    BudgetEnforcer(double budget, AgentMetrics& metrics)
        : budget_(budget), metrics_(metrics), started_s_(seconds_since_boot()) {
        metrics_.set_budget(budget);
    }

    // One control period. A process seen for the first time counts from its
    // start if it was born since the agent's start (a forked worker: its traps
    // were counted from its registration), else from now (attached mid-run).
    void run_period(const std::map<std::string, std::unique_ptr<Session>>& sessions, const CostMeter& cost,
                    const ServiceOf& service_of);

    // The comment for a pool's profile about the interval since the last call
    // for it (and starts the next one).
    std::string interval_comment(const std::string& pool);

    // Seconds between control periods.
    static constexpr double kPeriodS = 1.0;

private:
    struct ProcessSeen {
        std::array<uint64_t, kTrapGroups> traps{};
        double cpu_s = 0;
    };
    struct PoolInterval {
        int max_level = 0;
        size_t max_degraded = 0, processes = 0;
    };
    void apply(Session& session, const LevelChange& change, const std::string& pool);
    std::array<double, kTrapGroups> group_prices_ns(const std::vector<uint64_t>& kind_deltas, const CostMeter& cost);

    OverheadBudget budget_;
    AgentMetrics& metrics_;
    double started_s_;  // CLOCK_BOOTTIME
    std::vector<uint64_t> last_kind_counts_;
    std::map<pid_t, ProcessSeen> seen_;
    std::map<std::string, PoolInterval> interval_;
    std::map<std::string, std::pair<int, size_t>> pool_logged_;  // level, degraded processes as last logged
};

}  // namespace pmt
