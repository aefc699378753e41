#include "agent/budget_enforcer.h"

#include <algorithm>
#include <iostream>
#include <sstream>

namespace pmt {
namespace {

// The kinds the allocation object counts in slow-path mode (the heap module's
// probes are not counted: chunks, GC runs and errors are rarer still).
constexpr uint32_t kCountedKinds[] = {PMT_PROBE_REQUEST_STARTUP, PMT_PROBE_REQUEST_SHUTDOWN, PMT_PROBE_MM_SHUTDOWN,
                                      PMT_PROBE_SMALL_REFILL,    PMT_PROBE_ALLOC_LARGE,      PMT_PROBE_EMALLOC_SIZED,
                                      PMT_PROBE_FREE_PAGES,      PMT_PROBE_ALLOC_HUGE,       PMT_PROBE_FREE_HUGE};

const char* group_name(int group) {
    switch (group) {
        case kGaugeGroup: return "gauges";
        case kHugeGroup: return "huge";
        case kLargeGroup: return "large";
        case kRefillGroup: return "refills";
    }
    return "other";
}

std::string percent(double ratio) {
    std::ostringstream out;
    out << ratio * 100 << "%";
    return out.str();
}

}  // namespace

// The mean price of an entry hit of each group in this period, from the kinds
// that were hit (a group not hit: its dearest kind).
std::array<double, kTrapGroups> BudgetEnforcer::group_prices_ns(const std::vector<uint64_t>& deltas,
                                                                const CostMeter& cost) {
    const auto groups = agent_trap_groups();
    std::array<double, kTrapGroups> ns{}, hits{}, dearest{};
    for (uint32_t kind : kCountedKinds) {
        const int g = groups[kind];
        dearest[g] = std::max(dearest[g], cost.kind_ns(kind));
        if (kind < deltas.size()) {
            ns[g] += double(deltas[kind]) * cost.kind_ns(kind);
            hits[g] += double(deltas[kind]);
        }
    }
    std::array<double, kTrapGroups> price{};
    for (int g = 0; g < kTrapGroups; ++g) price[g] = hits[g] > 0 ? ns[g] / hits[g] : dearest[g];
    return price;
}

void BudgetEnforcer::run_period(const std::map<std::string, std::unique_ptr<Session>>& sessions,
                                const CostMeter& cost, const ServiceOf& service_of) {
    std::vector<uint64_t> counts(PMT_PROBE__MAX, 0);
    for (const auto& [image, session] : sessions) {
        const auto c = session->allocations().trap_counts();
        for (size_t k = 0; k < c.size() && k < counts.size(); ++k) counts[k] += c[k];
    }
    std::vector<uint64_t> deltas(counts.size(), 0);
    for (size_t k = 0; k < counts.size(); ++k)
        deltas[k] = k < last_kind_counts_.size() && counts[k] >= last_kind_counts_[k] ? counts[k] - last_kind_counts_[k] : 0;
    last_kind_counts_ = counts;
    const auto price_ns = group_prices_ns(deltas, cost);

    std::vector<ProcessPeriod> period;
    std::map<pid_t, Session*> session_of;
    std::map<pid_t, std::string> pool_of;
    std::map<pid_t, ProcessSeen> now;
    std::map<std::string, std::array<uint64_t, kTrapGroups>> pool_traps;
    for (const auto& [image, session] : sessions)
        for (pid_t pid : session->traced_processes()) {
            auto traps = session->allocations().process_traps(pid);
            auto cpu = process_cpu_seconds(pid);
            if (!traps || !cpu) continue;  // gone (its exit record is on its way)
            ProcessSeen& seen = now[pid];
            seen = {*traps, *cpu};
            ProcessPeriod p;
            p.pid = pid;
            p.pool = service_of(pid, image);
            auto before = seen_.find(pid);
            ProcessSeen born;  // zero traps and CPU time
            const ProcessSeen* base = before != seen_.end() ? &before->second : nullptr;
            if (!base && process_started_s(pid).value_or(0) >= started_s_) base = &born;
            if (base) {
                p.cpu_s = std::max(0.0, seen.cpu_s - base->cpu_s);
                for (int g = 0; g < kTrapGroups; ++g) {
                    const uint64_t d = seen.traps[g] >= base->traps[g] ? seen.traps[g] - base->traps[g] : 0;
                    p.trap_s[g] = double(d) * price_ns[g] / 1e9;
                    pool_traps[p.pool][g] += d;
                }
            }
            session_of[pid] = session.get();
            pool_of[pid] = p.pool;
            period.push_back(std::move(p));
        }
    seen_ = std::move(now);

    for (const LevelChange& change : budget_.decide(period)) apply(*session_of[change.pid], change, pool_of[change.pid]);

    // Per pool: the worst level, how many processes are below full, the traps.
    struct PoolNow {
        int level = 0;
        size_t degraded = 0, processes = 0;
    };
    std::map<std::string, PoolNow> pools;
    for (const ProcessPeriod& p : period) {
        PoolNow& pool = pools[p.pool];
        const int level = budget_.level_of(p.pid);
        pool.level = std::max(pool.level, level);
        pool.degraded += level > kFullLevel;
        ++pool.processes;
    }
    for (const auto& [name, traps] : pool_traps)
        for (int g = 0; g < kTrapGroups; ++g) metrics_.add_pool_traps(name, group_name(g), traps[g]);
    for (const auto& [name, pool] : pools) {
        metrics_.set_degradation(name, pool.level, pool.degraded);
        PoolInterval& in = interval_[name];
        in.max_level = std::max(in.max_level, pool.level);
        in.max_degraded = std::max(in.max_degraded, pool.degraded);
        in.processes = std::max(in.processes, pool.processes);
        // Said when the pool's worst level or its number of degraded processes changes.
        auto& logged = pool_logged_[name];
        if (logged != std::make_pair(pool.level, pool.degraded))
            std::cerr << "phpmemtrace agent: pool " << name << ": estimate " << percent(budget_.estimate())
                      << " of the budget " << percent(budget_.budget()) << ": " << pool.degraded << " of "
                      << pool.processes << " processes degraded, at worst to level " << pool.level
                      << (pool.level ? " (not seen: " + level_loss(pool.level) + ")" : "") << "\n";
        logged = {pool.level, pool.degraded};
    }
    metrics_.set_budget_estimate(budget_.estimate());
}

void BudgetEnforcer::apply(Session& session, const LevelChange& change, const std::string& pool) {
    if (change.to > change.from) {
        for (int level = change.from; level < change.to; ++level) session.detach_group(change.pid, group_shed_at(level));
        metrics_.count_level_change(pool, "shed");
        return;
    }
    for (int level = change.from; level > change.to; --level)
        if (!session.attach_group(change.pid, group_shed_at(level - 1))) {
            budget_.set_level(change.pid, level);  // tried again at a later period
            break;
        }
    metrics_.count_level_change(pool, "restore");
}

std::string BudgetEnforcer::interval_comment(const std::string& pool) {
    const PoolInterval in = interval_[pool];
    interval_[pool] = {};
    const std::string head = "overhead budget " + percent(budget_.budget()) + " (--max-overhead): ";
    if (in.max_level == kFullLevel) return head + "every process fully probed all interval";
    return head + "PARTIAL: up to " + std::to_string(in.max_degraded) + " of " + std::to_string(in.processes) +
           " processes degraded, at worst to level " + std::to_string(in.max_level) + " of " +
           std::to_string(kOffLevel) + "; not seen for them: " + level_loss(in.max_level) + " (docs/agent.md)";
}

}  // namespace pmt
