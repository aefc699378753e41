// --max-overhead's decisions (agent/overhead_budget.h) on made-up periods: the
// order in which probes are taken off, that the busiest process goes first,
// that the budget is met when it can be, and the hysteresis of the way back.
#include <gtest/gtest.h>

#include "agent/overhead_budget.h"

namespace pmt {
namespace {

// A process with `cpu_s` CPU seconds in the period and these trap seconds per
// group per CPU second (gauges, huge, large, refills), minus what its level has
// taken off.
ProcessPeriod busy(pid_t pid, const OverheadBudget& b, std::array<double, kTrapGroups> cost, double cpu_s = 1) {
    ProcessPeriod p;
    p.pid = pid;
    p.pool = "www";
    p.cpu_s = cpu_s;
    const int level = b.level_of(pid);
    for (int g = 0; g < kTrapGroups - level; ++g) p.trap_s[g] = cost[g] * cpu_s;
    return p;
}

TEST(OverheadBudget, GroupsFollowTheStatedOrder) {
    const auto groups = agent_trap_groups();
    EXPECT_EQ(groups[PMT_PROBE_SMALL_REFILL], kRefillGroup);
    EXPECT_EQ(groups[PMT_PROBE_ALLOC_LARGE], kLargeGroup);
    EXPECT_EQ(groups[PMT_PROBE_FREE_PAGES], kLargeGroup);
    EXPECT_EQ(groups[PMT_PROBE_EMALLOC_SIZED], kLargeGroup);
    EXPECT_EQ(groups[PMT_PROBE_ALLOC_HUGE], kHugeGroup);
    EXPECT_EQ(groups[PMT_PROBE_FREE_HUGE], kHugeGroup);
    EXPECT_EQ(groups[PMT_PROBE_REQUEST_STARTUP], kGaugeGroup);
    EXPECT_EQ(groups[PMT_PROBE_REQUEST_SHUTDOWN], kGaugeGroup);
    // Level 1 gives up the refills, 2 the large blocks, 3 the huge, 4 the gauges.
    EXPECT_EQ(group_shed_at(0), kRefillGroup);
    EXPECT_EQ(group_shed_at(1), kLargeGroup);
    EXPECT_EQ(group_shed_at(2), kHugeGroup);
    EXPECT_EQ(group_shed_at(3), kGaugeGroup);
    EXPECT_EQ(level_loss(0), "");
    EXPECT_NE(level_loss(2).find("large"), std::string::npos);
}

TEST(OverheadBudget, UnderTheBudgetNothingChanges) {
    OverheadBudget b(0.01);
    for (int i = 0; i < 20; ++i) {
        auto changes = b.decide({busy(1, b, {0.001, 0, 0.002, 0.001}), busy(2, b, {0.001, 0, 0, 0})});
        EXPECT_TRUE(changes.empty());
    }
    EXPECT_NEAR(b.estimate(), 0.005 / 2, 1e-12);
    EXPECT_EQ(b.level_of(1), kFullLevel);
}

TEST(OverheadBudget, TheBusiestProcessGivesUpProbesFirstAndTheBudgetIsMet) {
    OverheadBudget b(0.01);
    // Process 1 costs 5% (mostly large blocks), process 2 costs 0.4%.
    const std::array<double, kTrapGroups> heavy{0.002, 0, 0.04, 0.008}, light{0.002, 0, 0.001, 0.001};
    auto changes = b.decide({busy(1, b, heavy), busy(2, b, light)});
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].pid, 1);
    EXPECT_EQ(changes[0].from, 0);
    EXPECT_EQ(changes[0].to, 2);  // refills, then large blocks: then it fits
    EXPECT_EQ(b.level_of(2), kFullLevel);
    // The next period measures what is left: under the budget, no change.
    changes = b.decide({busy(1, b, heavy), busy(2, b, light)});
    EXPECT_TRUE(changes.empty());
    EXPECT_LE(b.estimate(), 0.01);
}

TEST(OverheadBudget, GaugesGoLastAndTheFloorIsSaid) {
    OverheadBudget b(0.001);
    // Even the request gauges cost 1%: every process ends up not observed.
    const std::array<double, kTrapGroups> cost{0.01, 0.001, 0.01, 0.01};
    auto changes = b.decide({busy(1, b, cost), busy(2, b, cost)});
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(b.level_of(1), kOffLevel);
    EXPECT_EQ(b.level_of(2), kOffLevel);
    changes = b.decide({busy(1, b, cost), busy(2, b, cost)});
    EXPECT_TRUE(changes.empty());
    EXPECT_EQ(b.estimate(), 0.0);
}

TEST(OverheadBudget, ComesBackOnlyWhenTheRestoredStepFitsWellUnder) {
    OverheadBudget b(0.01);
    const std::array<double, kTrapGroups> heavy{0.001, 0, 0.03, 0.001};
    b.decide({busy(1, b, heavy)});
    ASSERT_EQ(b.level_of(1), 2);
    // Still as busy: restoring the large blocks would cost 3% again. It stays.
    for (int i = 0; i < 30; ++i) EXPECT_TRUE(b.decide({busy(1, b, heavy)}).empty());
    EXPECT_EQ(b.level_of(1), 2);
    // Idle (no CPU time): the steps come back, one per calm streak.
    int periods = 0;
    while (b.level_of(1) != kFullLevel && periods < 100) {
        b.decide({busy(1, b, heavy, 0)});
        ++periods;
    }
    EXPECT_EQ(b.level_of(1), kFullLevel);
    EXPECT_GT(periods, OverheadBudget::kCalmPeriods);  // two steps, a calm streak between them
}

TEST(OverheadBudget, AProcessThatFlapsWaitsLongerEachTime) {
    OverheadBudget b(0.01);
    const std::array<double, kTrapGroups> heavy{0.001, 0, 0, 0.05};
    auto periods_to_restore = [&] {
        int n = 0;
        while (b.level_of(1) != kFullLevel && n < 1000) {
            b.decide({busy(1, b, heavy, 0)});
            ++n;
        }
        return n;
    };
    b.decide({busy(1, b, heavy)});
    ASSERT_EQ(b.level_of(1), 1);
    const int first = periods_to_restore();
    b.decide({busy(1, b, heavy)});  // busy again right away: shed again
    ASSERT_EQ(b.level_of(1), 1);
    const int second = periods_to_restore();
    EXPECT_GT(second, first);
}

TEST(OverheadBudget, ForgetsProcessesThatAreGone) {
    OverheadBudget b(0.01);
    b.decide({busy(7, b, {0, 0, 0.5, 0})});
    EXPECT_GT(b.level_of(7), 0);
    b.decide({});
    EXPECT_EQ(b.level_of(7), kFullLevel);  // a new process with that PID starts fully probed
}

}  // namespace
}  // namespace pmt
