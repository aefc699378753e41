// --max-overhead: the agent holds its estimated cost under a budget by taking
// probes off the busiest processes, in a stated order, and puts them back when
// the estimate is well below (docs/agent.md, "The budget").
//
// What costs is the trap itself (a breakpoint hit costs the process whether or
// not the BPF program does anything), so every step removes breakpoints: each
// level detaches one more group of links from one process (attach/process_links.h).
// This class only decides; the agent applies the changes to the sessions.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "phpmemtrace.h"

namespace pmt {

// The agent's link groups (ProbeOptions::trap_group), in the order they are
// given up: level L has the groups below kTrapGroups - L attached.
enum AgentTrapGroup : uint8_t {
    kGaugeGroup = 0,   // request boundaries, heap resets, chunks, GC, errors: per request
    kHugeGroup = 1,    // zend_mm_alloc_huge / zend_mm_free_huge
    kLargeGroup = 2,   // zend_mm_alloc_large, _emalloc_large, zend_mm_free_pages_ex
    kRefillGroup = 3,  // zend_mm_alloc_small_slow
};
inline constexpr int kTrapGroups = PMT_TRAP_GROUPS;
static_assert(kRefillGroup == kTrapGroups - 1);
inline constexpr int kFullLevel = 0;
inline constexpr int kOffLevel = kTrapGroups;  // no probe left: the process is not observed

// The group of each probe kind (for ProbeOptions::trap_group).
std::array<uint8_t, PMT_PROBE__MAX> agent_trap_groups();
// What a process at `level` no longer shows ("" at full level).
std::string level_loss(int level);
// The group a process at `level` gives up at its next step (level < kOffLevel).
inline int group_shed_at(int level) { return kTrapGroups - 1 - level; }

// One process over one control period.
struct ProcessPeriod {
    pid_t pid = 0;
    std::string pool;
    double cpu_s = 0;                              // its CPU time in the period
    std::array<double, kTrapGroups> trap_s{};      // estimated trap time per group
    bool can_restore = true;                       // its next group may be attached again now
};

struct LevelChange {
    pid_t pid;
    int from, to;
};

class OverheadBudget {
public:
    // budget: a fraction (0.01 = 1%).
    explicit OverheadBudget(double budget) : budget_(budget) {}
    double budget() const { return budget_; }

    // One period of every watched process (those at kOffLevel too: the budget is
    // a share of the CPU time of all of them). Returns the level changes to apply.
    std::vector<LevelChange> decide(const std::vector<ProcessPeriod>& period);
    // A change could not be applied: the process stays at `level`.
    void set_level(pid_t pid, int level) { state_[pid].level = level; }

    int level_of(pid_t pid) const;
    // The estimate over the last period: trap time over CPU time (0 if no CPU time).
    double estimate() const { return estimate_; }

    // Above the budget: shed until the projection is under this share of it.
    static constexpr double kShedTarget = 0.75;
    // A step is put back only if the estimate with it stays under this share...
    static constexpr double kRestoreMark = 0.5;
    // ...for this many periods in a row.
    static constexpr int kCalmPeriods = 3;
    // A process shed again within this many periods of a restore waits twice as
    // long before the next one (from kCalmPeriods to kMaxHold).
    static constexpr int kFlapPeriods = 10;
    static constexpr int kMaxHold = 120;

private:
    struct State {
        int level = kFullLevel;
        // Trap time per CPU second of each group when it was shed: what putting
        // it back is expected to cost.
        std::array<double, kTrapGroups> shed_rate{};
        uint64_t changed_at = 0;  // period of the last change
        bool restored_last = false;
        int hold = kCalmPeriods;
    };
    void shed(const std::vector<ProcessPeriod>& period, double total_trap_s, double total_cpu_s,
              std::vector<LevelChange>& changes);
    void restore(const std::vector<ProcessPeriod>& period, double total_trap_s, double total_cpu_s,
                 std::vector<LevelChange>& changes);

    double budget_;
    std::map<pid_t, State> state_;
    uint64_t period_ = 0;
    int calm_ = 0;
    double estimate_ = 0;
};

}  // namespace pmt
