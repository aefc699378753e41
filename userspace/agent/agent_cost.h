// What the agent (and top) cost the processes they trace: the uprobe hits
// counted in BPF (trap_counts, per probe kind), times the price of one hit of
// that kind calibrated at start-up on this host, against the traced processes'
// CPU time from /proc.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "attach/memtrace_probes.h"
#include "target/elf_file.h"
#include "util/result.h"

namespace pmt {

// The price of one uprobe hit on this host, in nanoseconds, by how the kernel
// runs the probed instruction once the breakpoint has trapped:
// - emulated: some instructions are done by the kernel itself (a push of a
//   register, on the kernels that emulate it; branches); a return probe's
//   trampoline costs about the same;
// - stepped: the others are copied out of line and single-stepped, which takes
//   a second, debug, exception. Under a hypervisor that one is dear: about ten
//   times an emulated hit on the project's VMs (docs/agent.md).
// Each is a timed loop over a private function of this process whose first
// instruction is of that kind, untraced and then with the allocation object's
// entry program attached (this process is not in the traced set, so the program
// returns after its lookup): a lower bound for a traced hit, which also walks
// the PHP stack.
struct TrapPrices {
    double emulated_ns = 0;
    double stepped_ns = 0;
};
Result<TrapPrices> calibrate_trap_prices(const MemtraceProbes& allocations);

// What one hit of each probe kind costs (indexed by kind; a kind with a return
// probe costs its entry plus one return): each probe's first instruction, read
// from `binary`, priced as emulated or stepped.
struct KindPrice {
    double entry_ns = 0;
    double return_ns = 0;  // 0: no return probe
};
std::vector<KindPrice> prices_by_kind(const TrapPrices& prices, const MemtraceProbes& allocations,
                                      const ElfFile& binary);

// CPU seconds of a process: its threads' run time in the scheduler
// (/proc/PID/task/*/schedstat, in nanoseconds), or utime + stime from
// /proc/PID/stat (10 ms ticks) when that is larger (threads that have exited)
// or missing. nullopt if gone.
std::optional<double> process_cpu_seconds(pid_t pid);
// When a process started, in seconds since boot (CLOCK_BOOTTIME, /proc/PID/stat's
// starttime); nullopt if gone.
std::optional<double> process_started_s(pid_t pid);
double seconds_since_boot();

// Traps per probe kind: entry hits, and return hits for the kinds whose return
// is probed too (from the probe table).
uint64_t traps_of(uint32_t kind, uint64_t entries);
// "small_refill", "alloc_large", ... for metrics labels.
std::string probe_kind_name(uint32_t kind);

class CostMeter {
public:
    explicit CostMeter(std::vector<KindPrice> prices);
    // One interval: the sessions' entry hits per kind (summed), the traced processes.
    void update(const std::vector<uint64_t>& trap_counts, const std::vector<pid_t>& traced);
    // The mean price of the traps so far (before any: the dearest kind's entry).
    double mean_trap_ns() const;
    double interval_ratio() const { return ratio_; }
    double interval_cpu_seconds() const { return interval_cpu_s_; }
    double trap_seconds_total() const { return trap_s_total_; }
    double target_cpu_seconds_total() const { return cpu_s_total_; }
    uint64_t traps_total() const { return traps_total_; }
    // What one entry hit of each kind costs, its return included.
    double kind_ns(uint32_t kind) const {
        return kind < prices_.size() ? prices_[kind].entry_ns + prices_[kind].return_ns : 0;
    }

private:
    std::vector<KindPrice> prices_;
    double started_s_;  // CLOCK_BOOTTIME, the clock of /proc/PID/stat's starttime
    std::vector<uint64_t> last_counts_;
    std::map<pid_t, double> last_cpu_;
    double ratio_ = 0, interval_cpu_s_ = 0, trap_s_total_ = 0, cpu_s_total_ = 0;
    uint64_t traps_total_ = 0;
};

}  // namespace pmt
