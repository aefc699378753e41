#include "agent/overhead_budget.h"

#include <algorithm>

namespace pmt {

std::array<uint8_t, PMT_PROBE__MAX> agent_trap_groups() {
    std::array<uint8_t, PMT_PROBE__MAX> groups{};  // everything else: the gauges
    groups[PMT_PROBE_SMALL_REFILL] = kRefillGroup;
    groups[PMT_PROBE_ALLOC_LARGE] = kLargeGroup;
    groups[PMT_PROBE_EMALLOC_SIZED] = kLargeGroup;  // _emalloc_large, in slow-path mode
    groups[PMT_PROBE_FREE_PAGES] = kLargeGroup;
    groups[PMT_PROBE_ALLOC_HUGE] = kHugeGroup;
    groups[PMT_PROBE_FREE_HUGE] = kHugeGroup;
    return groups;
}

std::string level_loss(int level) {
    switch (level) {
        case 0: return "";
        case 1: return "small-bin refills";
        case 2: return "small-bin refills, large blocks";
        case 3: return "small-bin refills, large and huge blocks";
    }
    return "everything (requests, heap gauges, GC runs, allocations)";
}

int OverheadBudget::level_of(pid_t pid) const {
    auto it = state_.find(pid);
    return it == state_.end() ? kFullLevel : it->second.level;
}

std::vector<LevelChange> OverheadBudget::decide(const std::vector<ProcessPeriod>& period) {
    ++period_;
    // Forget the processes that are gone: a PID may come back as another one.
    std::map<pid_t, State> kept;
    for (const ProcessPeriod& p : period) kept[p.pid] = state_[p.pid];
    state_ = std::move(kept);
    double trap_s = 0, cpu_s = 0;
    for (const ProcessPeriod& p : period) {
        cpu_s += p.cpu_s;
        for (double t : p.trap_s) trap_s += t;
    }
    estimate_ = cpu_s > 0 ? trap_s / cpu_s : 0;
    std::vector<LevelChange> changes;
    if (estimate_ > budget_) {
        calm_ = 0;
        shed(period, trap_s, cpu_s, changes);
    } else if (estimate_ <= budget_ * kRestoreMark) {
        if (++calm_ >= kCalmPeriods) restore(period, trap_s, cpu_s, changes);
    } else {
        calm_ = 0;  // between the marks: hold
    }
    return changes;
}

// The busiest process (by the traps it still takes) gives up its next group,
// again and again, until the projection is under kShedTarget of the budget.
void OverheadBudget::shed(const std::vector<ProcessPeriod>& period, double trap_s, double cpu_s,
                          std::vector<LevelChange>& changes) {
    std::vector<double> remaining(period.size(), 0);
    std::vector<int> from(period.size());
    for (size_t i = 0; i < period.size(); ++i) {
        from[i] = state_[period[i].pid].level;
        for (int g = 0; g < kTrapGroups - from[i]; ++g) remaining[i] += period[i].trap_s[g];
    }
    const double target = budget_ * kShedTarget * cpu_s;
    double projected = trap_s;
    while (projected > target) {
        size_t busiest = period.size();
        for (size_t i = 0; i < period.size(); ++i)
            if (state_[period[i].pid].level < kOffLevel && remaining[i] > 0 &&
                (busiest == period.size() || remaining[i] > remaining[busiest]))
                busiest = i;
        if (busiest == period.size()) break;  // every process at kOffLevel
        const ProcessPeriod& p = period[busiest];
        State& st = state_[p.pid];
        const int group = group_shed_at(st.level);
        st.shed_rate[group] = p.cpu_s > 0 ? p.trap_s[group] / p.cpu_s : 0;
        if (st.restored_last && period_ - st.changed_at <= uint64_t(kFlapPeriods))
            st.hold = std::min(st.hold * 2, kMaxHold);
        st.restored_last = false;
        st.changed_at = period_;
        ++st.level;
        projected -= p.trap_s[group];
        remaining[busiest] -= p.trap_s[group];
    }
    for (size_t i = 0; i < period.size(); ++i)
        if (state_[period[i].pid].level != from[i]) changes.push_back({period[i].pid, from[i], state_[period[i].pid].level});
}

// One step back for each degraded process whose expected cost (its shed group's
// trap time per CPU second then, times its CPU time now) still fits under
// kRestoreMark of the budget, the cheapest first.
void OverheadBudget::restore(const std::vector<ProcessPeriod>& period, double trap_s, double cpu_s,
                             std::vector<LevelChange>& changes) {
    struct Candidate {
        size_t index;
        double predicted_s;
    };
    std::vector<Candidate> candidates;
    for (size_t i = 0; i < period.size(); ++i) {
        const State& st = state_[period[i].pid];
        if (st.level == kFullLevel || !period[i].can_restore || period_ - st.changed_at < uint64_t(st.hold)) continue;
        candidates.push_back({i, st.shed_rate[group_shed_at(st.level - 1)] * period[i].cpu_s});
    }
    std::sort(candidates.begin(), candidates.end(),
              [](const Candidate& a, const Candidate& b) { return a.predicted_s < b.predicted_s; });
    // No CPU time at all (every process idle): putting probes back costs nothing now.
    const double mark = cpu_s > 0 ? budget_ * kRestoreMark * cpu_s : 1e300;
    double projected = trap_s;
    for (const Candidate& c : candidates) {
        if (projected + c.predicted_s > mark) break;
        projected += c.predicted_s;
        State& st = state_[period[c.index].pid];
        changes.push_back({period[c.index].pid, st.level, st.level - 1});
        --st.level;
        st.restored_last = true;
        st.changed_at = period_;
    }
    if (!changes.empty()) calm_ = 0;  // measure the new cost before the next step
}

}  // namespace pmt
