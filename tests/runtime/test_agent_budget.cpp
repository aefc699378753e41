// --max-overhead on a real FPM pool behind nginx (docs/agent.md, "The budget"):
// a page that makes ten large blocks a request, under wrk and a tiny budget,
// makes the agent take probes off the pool's workers until its estimate is
// under the budget, and the workers' trap counters (counted in BPF, per process)
// stop growing while the pages are still served: the breakpoints are gone, not
// just skipped. Once the load stops the probes come back. A page of CPU work and almost no allocation keeps every probe
// under the default budget. Read through the metrics endpoint, and the
// profiles' comments must say which pool's figures are partial.
#include <signal.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "agent_test_helpers.h"
#include "fpm_stack.h"

namespace pmt::testing {
namespace {

const std::string kDocroot = std::string(PMT_SOURCE_DIR) + "/tests/php/agent";

struct AgentRun {
    std::string out, log;
    int metrics_port = -1;
    OwnedProcess process;
};

void start_agent(const FpmStack& stack, const std::vector<std::string>& extra, AgentRun& run) {
    run.out = stack.dir.file("profiles");
    ASSERT_EQ(mkdir(run.out.c_str(), 0700), 0);
    run.metrics_port = free_loopback_port();
    run.log = stack.dir.file("agent.log");
    const std::string ready = stack.dir.file("agent.ready");
    std::vector<std::string> argv = {phpmemtrace_binary(), "agent", "--pid", std::to_string(stack.fpm.pid()), "--out",
                                     run.out, "--interval", "1", "--metrics",
                                     "127.0.0.1:" + std::to_string(run.metrics_port), "--ready-file", ready};
    argv.insert(argv.end(), extra.begin(), extra.end());
    run.process = OwnedProcess::spawn(argv, run.log);
    ASSERT_TRUE(wait_for_file(ready, 60)) << read_file(run.log);
}

// How many of the pool's profiles carry `text` in a comment (pprof keeps
// comments verbatim in its string table).
int profiles_saying(const std::string& out, const std::string& pool, const std::string& text) {
    int n = 0;
    for (const std::string& file : files_with_prefix(out, pool + "-"))
        n += run_command({"sh", "-c", "gzip -dc '" + file + "' | grep -qF '" + text + "'"}).exit_code == 0;
    return n;
}

void send_requests(const FpmStack& stack, const std::string& path, int n) {
    for (int i = 0; i < n; ++i) ASSERT_FALSE(script_value(http_get(stack.port, path), "PID").empty()) << path;
}

TEST(AgentBudget, ABusyPoolIsDegradedUntilTheEstimateIsUnderTheBudget) {
    PMT_REQUIRE_ROOT();
    ASSERT_NO_FATAL_FAILURE(require_web_stack());
    ASSERT_EQ(run_command({"sh", "-c", "command -v wrk"}).exit_code, 0) << "wrk is not installed (tools/install-deps.sh)";
    FpmStack stack;
    ASSERT_NO_FATAL_FAILURE(start_stack(stack, 1, {{"alpha", kDocroot, 4, false}}));
    AgentRun agent;
    ASSERT_NO_FATAL_FAILURE(start_agent(stack, {"--max-overhead", "0.1"}, agent));
    const int m = agent.metrics_port;
    EXPECT_EQ(scraped(m, "phpmemtrace_agent_overhead_budget_ratio"), 0.001);
    // At first every probe is on: the pages' large blocks are counted (at the next control period).
    ASSERT_NO_FATAL_FAILURE(send_requests(stack, "/alpha/blocks.php", 3));
    ASSERT_TRUE(eventually(30, [&] {
        return scraped(m, "phpmemtrace_requests_total", "pool=\"alpha\"") == 3.0 &&
               scraped(m, "phpmemtrace_agent_pool_traps_total", "group=\"large\",pool=\"alpha\"").value_or(0) > 0;
    })) << http_get(m, "/metrics") << read_file(agent.log);

    // ~40 traps a request on a page that does little else: tens of percent.
    OwnedProcess wrk = OwnedProcess::spawn(
        {"wrk", "-t2", "-c4", "-d600s", "http://127.0.0.1:" + std::to_string(stack.port) + "/alpha/blocks.php"},
        stack.dir.file("wrk.log"));
    const std::string pool = "pool=\"alpha\"";
    auto all_degraded = [&] {
        const auto processes = scraped(m, "phpmemtrace_traced_processes", pool);
        const auto degraded = scraped(m, "phpmemtrace_agent_degraded_processes", pool);
        return processes && degraded && *processes == 4 && *degraded == *processes;
    };
    ASSERT_TRUE(eventually(120, all_degraded)) << http_get(m, "/metrics") << read_file(agent.log);
    EXPECT_GE(scraped(m, "phpmemtrace_agent_degradation_level", pool).value_or(0), 1.0);
    EXPECT_GE(scraped(m, "phpmemtrace_agent_level_changes_total", "direction=\"shed\"," + pool).value_or(0), 4.0);
    // Under load, the estimate is back under the budget (the workers still busy).
    ASSERT_TRUE(eventually(60, [&] {
        const auto estimate = scraped(m, "phpmemtrace_agent_overhead_window_ratio");
        return estimate && *estimate <= 0.001;
    })) << http_get(m, "/metrics");

    // The degraded groups' trap counters stop: a stretch of 40 pages served
    // (these requests' own answers say so) with no restore in between, and not
    // one more large-block or refill trap. Were the breakpoints only skipped in
    // BPF, every request would still count (the counting is the first thing the
    // program does for a traced process).
    const std::string large = "group=\"large\"," + pool, refills = "group=\"refills\"," + pool,
                      restores = "direction=\"restore\"," + pool;
    int stretches = 0;
    ASSERT_TRUE(eventually(120, [&] {
        ++stretches;
        const auto large_before = scraped(m, "phpmemtrace_agent_pool_traps_total", large);
        const auto refills_before = scraped(m, "phpmemtrace_agent_pool_traps_total", refills);
        const double restores_before = scraped(m, "phpmemtrace_agent_level_changes_total", restores).value_or(0);
        if (!all_degraded()) return false;
        send_requests(stack, "/alpha/blocks.php", 40);
        if (!all_degraded() || scraped(m, "phpmemtrace_agent_level_changes_total", restores).value_or(0) != restores_before)
            return false;
        return scraped(m, "phpmemtrace_agent_pool_traps_total", large) == large_before &&
               scraped(m, "phpmemtrace_agent_pool_traps_total", refills) == refills_before;
    })) << "after " << stretches << " stretches\n" << http_get(m, "/metrics") << read_file(agent.log);
    // The load gone, the workers are cheap again: their probes come back, step
    // by step, and the pages' large blocks are counted again.
    wrk.stop(SIGINT);
    ASSERT_TRUE(eventually(120, [&] { return scraped(m, "phpmemtrace_agent_degraded_processes", pool) == 0.0; }))
        << http_get(m, "/metrics") << read_file(agent.log);
    EXPECT_EQ(scraped(m, "phpmemtrace_agent_degradation_level", pool), 0.0);
    EXPECT_GE(scraped(m, "phpmemtrace_agent_level_changes_total", restores).value_or(0), 4.0);
    const double large_idle = scraped(m, "phpmemtrace_agent_pool_traps_total", large).value_or(0);
    ASSERT_NO_FATAL_FAILURE(send_requests(stack, "/alpha/blocks.php", 2));
    EXPECT_TRUE(eventually(30, [&] {
        return scraped(m, "phpmemtrace_agent_pool_traps_total", large).value_or(0) >= large_idle + 2 * 10;  // ten large blocks a page, each a hit at least
    })) << http_get(m, "/metrics");
    ASSERT_EQ(agent.process.stop(SIGTERM), 0) << read_file(agent.log);
    // Nothing lost silently: the pool's profiles say they are partial, and the log why.
    EXPECT_GE(profiles_saying(agent.out, "alpha", "PARTIAL: up to 4 of 4 processes degraded"), 1) << read_file(agent.log);
    EXPECT_NE(read_file(agent.log).find("pool alpha: estimate"), std::string::npos) << read_file(agent.log);
}

TEST(AgentBudget, AQuietPoolKeepsEveryProbeUnderTheDefaultBudget) {
    PMT_REQUIRE_ROOT();
    ASSERT_NO_FATAL_FAILURE(require_web_stack());
    ASSERT_EQ(run_command({"sh", "-c", "command -v wrk"}).exit_code, 0) << "wrk is not installed (tools/install-deps.sh)";
    FpmStack stack;
    ASSERT_NO_FATAL_FAILURE(start_stack(stack, 1, {{"alpha", kDocroot, 2, false}}));
    AgentRun agent;
    ASSERT_NO_FATAL_FAILURE(start_agent(stack, {}, agent));
    const int m = agent.metrics_port;
    EXPECT_EQ(scraped(m, "phpmemtrace_agent_overhead_budget_ratio"), 0.01);
    // Both workers kept busy for 6 s (control periods of 1 s) by a page of ~25 ms
    // of CPU work and a few dozen slow paths.
    CommandResult wrk = run_command(
        {"wrk", "-t1", "-c2", "-d6s", "http://127.0.0.1:" + std::to_string(stack.port) + "/alpha/quiet.php"});
    ASSERT_EQ(wrk.exit_code, 0) << wrk.err;
    const std::string pool = "pool=\"alpha\"";
    // The last requests' records and one more export reach the metrics.
    ASSERT_NO_FATAL_FAILURE(send_requests(stack, "/alpha/quiet.php", 1));
    ASSERT_TRUE(eventually(30, [&] {
        return scraped(m, "phpmemtrace_agent_target_cpu_seconds").value_or(0) > 1 &&
               scraped(m, "phpmemtrace_request_peak_by_uri_bytes_count", "pool=\"alpha\",uri=\"/alpha/quiet.php\"")
                       .value_or(0) >= 1;
    })) << http_get(m, "/metrics") << read_file(agent.log);
    const std::string scrape = http_get(m, "/metrics");
    // The probes were on and cost something, well under the budget...
    EXPECT_GT(metric(scrape, "phpmemtrace_agent_pool_traps_total", "group=\"refills\"," + pool).value_or(0), 0.0)
        << scrape;
    const double estimate = metric(scrape, "phpmemtrace_agent_trap_seconds", "").value_or(1) /
                            metric(scrape, "phpmemtrace_agent_target_cpu_seconds", "").value_or(1);
    EXPECT_GT(estimate, 0.0) << scrape;
    EXPECT_LT(estimate, 0.01) << scrape;
    // ...so nothing was taken off.
    EXPECT_EQ(metric(scrape, "phpmemtrace_agent_degradation_level", pool), 0.0) << scrape;
    EXPECT_EQ(metric(scrape, "phpmemtrace_agent_degraded_processes", pool), 0.0) << scrape;
    EXPECT_EQ(metric(scrape, "phpmemtrace_agent_level_changes_total", "direction=\"shed\"," + pool), std::nullopt)
        << scrape;
    ASSERT_EQ(agent.process.stop(SIGTERM), 0) << read_file(agent.log);
    EXPECT_GE(profiles_saying(agent.out, "alpha", "every process fully probed all interval"), 1);
    EXPECT_EQ(profiles_saying(agent.out, "alpha", "PARTIAL"), 0);
}

}  // namespace
}  // namespace pmt::testing
