// What the agent costs the processes it traces: the uprobe hits counted in BPF
// (trap_counts, per probe kind), times the cost of one hit calibrated at start-up
// on this host, against the traced processes' CPU time from /proc/PID/stat.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "attach/memtrace_probes.h"
#include "util/result.h"

namespace pmt {

// Nanoseconds of one uprobe hit on this host: a timed loop over a private
// function of the agent, untraced and then with the allocation object's entry
// program attached to it (the agent is not in the traced set, so the program
// returns after its lookup). A lower bound for a traced hit, which also walks
// the PHP stack; docs/agent.md says by how much.
Result<double> calibrate_trap_ns(const MemtraceProbes& allocations);

// User + system CPU seconds of a process (utime + stime), nullopt if gone.
std::optional<double> process_cpu_seconds(pid_t pid);

// Traps per probe kind: entry hits, and return hits for the kinds whose return
// is probed too (from the probe table).
uint64_t traps_of(uint32_t kind, uint64_t entries);
// "small_refill", "alloc_large", ... for metrics labels.
std::string probe_kind_name(uint32_t kind);

class CostMeter {
public:
    explicit CostMeter(double trap_ns);
    // One interval: the sessions' trap counts (summed), the traced processes.
    void update(const std::vector<uint64_t>& trap_counts, const std::vector<pid_t>& traced);
    double trap_ns() const { return trap_ns_; }
    double interval_ratio() const { return ratio_; }
    double interval_cpu_seconds() const { return interval_cpu_s_; }
    double trap_seconds_total() const { return trap_s_total_; }
    double target_cpu_seconds_total() const { return cpu_s_total_; }
    uint64_t traps_total() const { return traps_total_; }

private:
    double trap_ns_;
    double started_s_;  // CLOCK_BOOTTIME, the clock of /proc/PID/stat's starttime
    std::vector<uint64_t> last_counts_;
    std::map<pid_t, double> last_cpu_;
    double ratio_ = 0, interval_cpu_s_ = 0, trap_s_total_ = 0, cpu_s_total_ = 0;
    uint64_t traps_total_ = 0;
};

}  // namespace pmt
