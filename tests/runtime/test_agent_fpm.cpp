// `phpmemtrace agent` on a real web stack: php-fpm with two pools behind nginx
// (alpha: 4 static workers; beta: pm = dynamic, from one worker up to 4, so
// workers are forked while the agent runs), loaded with sequential requests and
// wrk. Checked against independent truths: the pages' own known allocations
// (read back with `go tool pprof -raw`), the requests the test sent, the
// workers /proc lists, `promtool check metrics` on a scrape, and for --push a
// loopback receiver whose bodies must be the profile files, byte for byte, and
// carry the host, pool, binary and PHP version that the system reports.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent_test_helpers.h"
#include "fpm_stack.h"
#include "ingest_receiver.h"

namespace pmt::testing {
namespace {


// The children of this test's FPM master whose title says they are workers of
// `pool`. Only its children: other FPMs of the host (other tests running at the
// same time) may have a pool of that name too.
std::set<pid_t> pool_workers(pid_t master, const std::string& pool) {
    std::set<pid_t> out;
    const std::string m = std::to_string(master);
    std::istringstream children(read_file("/proc/" + m + "/task/" + m + "/children"));
    const std::string head = "php-fpm: pool " + pool;
    for (pid_t pid; children >> pid;) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
        std::string title;
        std::getline(in, title, '\0');
        if (title.rfind(head, 0) == 0 && (title.size() == head.size() || title[head.size()] == ' ')) out.insert(pid);
    }
    return out;
}

TEST(AgentFpm, TwoPoolsProfilesAndMetrics) {
    PMT_REQUIRE_ROOT();
    ASSERT_NO_FATAL_FAILURE(require_web_stack());
    ASSERT_EQ(run_command({"sh", "-c", "command -v wrk && command -v promtool"}).exit_code, 0)
        << "wrk or promtool is not installed (tools/install-deps.sh installs them)";
    const std::string docroot = std::string(PMT_SOURCE_DIR) + "/tests/php/agent";
    FpmStack stack;
    ASSERT_NO_FATAL_FAILURE(start_stack(stack, 1, {{"alpha", docroot, 4, false}, {"beta", docroot, 4, true}}));
    const std::string out = stack.dir.file("profiles");
    ASSERT_EQ(mkdir(out.c_str(), 0700), 0);
    const int metrics_port = free_loopback_port();
    const int ingest_port = free_loopback_port();
    IngestReceiver receiver(ingest_port);
    ASSERT_TRUE(receiver.ok()) << "cannot listen on 127.0.0.1:" << ingest_port;
    const std::string ready = stack.dir.file("agent.ready"), log = stack.dir.file("agent.log");
    // --pid: the test's own FPM only, never the other PHP processes of the host.
    // --max-overhead 100: every probe stays on, whatever the load costs (the
    // figures checked here are the exact ones; test_agent_budget.cpp checks the budget).
    OwnedProcess agent = OwnedProcess::spawn(
        {phpmemtrace_binary(), "agent", "--pid", std::to_string(stack.fpm.pid()), "--out", out, "--interval", "0.5",
         "--max-overhead", "100",
         "--metrics", "127.0.0.1:" + std::to_string(metrics_port), "--push",
         "http://127.0.0.1:" + std::to_string(ingest_port), "--ready-file", ready},
        log);
    ASSERT_TRUE(wait_for_file(ready, 60)) << read_file(log);

    // alpha: one request holding 4 blocks across interval ends, then 12 making 10 each.
    EXPECT_FALSE(script_value(http_get(stack.port, "/alpha/hold.php?ms=3000"), "PEAK").empty());
    constexpr int kBlockRequests = 12;
    for (int i = 0; i < kBlockRequests; ++i)
        ASSERT_FALSE(script_value(http_get(stack.port, "/alpha/blocks.php"), "PID").empty());
    // beta: concurrent load (FPM forks workers for it), then three huge arrays.
    CommandResult wrk = run_command(
        {"wrk", "-t2", "-c6", "-d3s", "http://127.0.0.1:" + std::to_string(stack.port) + "/beta/churn.php"});
    ASSERT_EQ(wrk.exit_code, 0) << wrk.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(wrk.out, m, std::regex(R"((\d+) requests in)"))) << wrk.out;
    long wrk_requests = std::stol(m[1].str());
    // Answers nginx gave without PHP (a full listen queue) never reach a worker.
    if (std::regex_search(wrk.out, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))"))) wrk_requests -= std::stol(m[1].str());
    ASSERT_GT(wrk_requests, 0);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(script_value(http_get(stack.port, "/beta/array.php"), "COUNT"), "100000");
    const std::set<pid_t> beta_workers = pool_workers(stack.fpm.pid(), "beta");
    // Two more intervals: the last requests' figures reach the metrics.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));

    const std::string scrape = http_get(metrics_port, "/metrics");
    ASSERT_FALSE(scrape.empty()) << read_file(log);
    {
        std::ofstream(stack.dir.file("scrape.txt")) << scrape;
    }
    CommandResult check = run_command({"sh", "-c", "promtool check metrics < " + stack.dir.file("scrape.txt")});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err << scrape;
    // Every request ended in a traced worker: the dynamic pool's new ones too.
    // Known gap (docs/agent.md): a worker forked during the test runs untraced
    // until the agent has read its fork record and attached its probes, so it
    // may lose the requests it serves in that window. Seen here: 0 to 6 of about
    // 1,800 (not all explained by the fork window yet); workers left untraced
    // would lose hundreds. Bounded at 1% until the binary-wide attach closes it.
    EXPECT_EQ(metric(scrape, "phpmemtrace_requests_total", "pool=\"alpha\""), double(kBlockRequests + 1)) << scrape;
    EXPECT_EQ(metric(scrape, "phpmemtrace_request_peak_bytes_count", "pool=\"alpha\""), double(kBlockRequests + 1));
    const auto beta_requests = metric(scrape, "phpmemtrace_requests_total", "pool=\"beta\"");
    ASSERT_TRUE(beta_requests) << scrape;
    EXPECT_GE(beta_workers.size(), 2u) << "FPM forked no worker for the load";
    EXPECT_GE(*beta_requests, 0.99 * double(wrk_requests + 3)) << scrape;
    EXPECT_LE(*beta_requests, double(wrk_requests + 3 + 6)) << scrape;  // + wrk's 6 connections still in flight
    EXPECT_EQ(metric(scrape, "phpmemtrace_traced_processes", "pool=\"beta\""), double(beta_workers.size())) << scrape;
    EXPECT_EQ(metric(scrape, "phpmemtrace_traced_processes", "pool=\"alpha\""), 4.0) << scrape;
    for (const char* gauge : {"phpmemtrace_heap_used_bytes", "phpmemtrace_heap_real_bytes", "phpmemtrace_heap_peak_bytes",
                              "phpmemtrace_memory_limit_bytes"})
        EXPECT_GT(metric(scrape, gauge, "pool=\"beta\"").value_or(0), 0.0) << gauge << "\n" << scrape;
    EXPECT_GT(metric(scrape, "phpmemtrace_agent_trap_cost_seconds", "").value_or(0), 0.0) << scrape;
    EXPECT_GT(metric(scrape, "phpmemtrace_agent_traps", "probe=\"alloc_large\"").value_or(0), 0.0) << scrape;
    EXPECT_EQ(metric(scrape, "phpmemtrace_dropped_events", ""), 0.0) << scrape;

    ASSERT_EQ(agent.stop(SIGTERM), 0) << read_file(log);

    const auto alpha = files_with_prefix(out, "alpha-"), beta = files_with_prefix(out, "beta-");
    ASSERT_GE(alpha.size(), 2u) << read_file(log);
    ASSERT_GE(beta.size(), 1u) << read_file(log);
    std::string raw_log;
    const PoolTotals blocks = read_pool(alpha, "big_string", raw_log);
    for (const char* type : {"alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"})
        EXPECT_TRUE(std::find(blocks.sample_types.begin(), blocks.sample_types.end(), type) != blocks.sample_types.end() ||
                    std::find(blocks.sample_types.begin(), blocks.sample_types.end(), std::string(type) + "[dflt]") !=
                        blocks.sample_types.end())
            << type;
    // Large blocks are exact: every one the pages made, in the interval it was made.
    EXPECT_EQ(blocks.alloc_objects, 10 * kBlockRequests) << raw_log;
    EXPECT_EQ(blocks.alloc_space, int64_t(10 * kBlockRequests * large_block(100000))) << raw_log;
    // Held across an interval's end: exactly the four blocks of hold.php.
    const PoolTotals held = read_pool(alpha, "hold_blocks", raw_log);
    EXPECT_EQ(held.max_inuse_objects, 4) << raw_log;
    EXPECT_EQ(held.max_inuse_space, int64_t(4 * large_block(200000))) << raw_log;
    // Huge blocks: each array is one block over 2 MiB (131072 slots of 16 bytes and more).
    std::string beta_log;
    const PoolTotals arrays = read_pool(beta, "build_array", beta_log);
    EXPECT_GE(arrays.alloc_objects, 3) << beta_log;
    EXPECT_GE(arrays.alloc_space, 3 * 2097152) << beta_log;
    // The pools are apart: beta's functions are not in alpha's profiles.
    EXPECT_EQ(read_pool(alpha, "build_array", raw_log).alloc_objects, 0);

    // --push: every profile reached the receiver, as the file it also wrote.
    const std::string agent_log = read_file(log);
    ASSERT_TRUE(std::regex_search(agent_log, m, std::regex(R"(--push: (\d+) profiles sent, (\d+) failed attempts, (\d+) profiles dropped)")))
        << agent_log;
    const std::vector<IngestRequest> pushed = receiver.requests();
    EXPECT_EQ(std::stoul(m[1].str()), pushed.size()) << agent_log;
    EXPECT_EQ(m[2].str(), "0") << agent_log;
    EXPECT_EQ(m[3].str(), "0") << agent_log;
    // The labels' truths: the host's name, FPM's executable and what it says its version is.
    char host[256] = {};
    ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
    const std::string fpm_exe = std::filesystem::read_symlink("/proc/" + std::to_string(stack.fpm.pid()) + "/exe");
    CommandResult version = run_command({fpm_exe, "-n", "-v"});
    ASSERT_TRUE(std::regex_search(version.out, m, std::regex(R"(^PHP (\d+\.\d+\.\d+))"))) << version.out;
    const std::string php_version = m[1].str();
    const std::string binary = std::filesystem::path(fpm_exe).filename();
    std::map<std::string, std::multiset<std::string>> pushed_bodies;
    std::map<std::string, std::vector<std::string>> pushed_files;
    const std::regex name_form(R"(^phpmemtrace\{binary=([^,]*),host=([^,]*),php_version=([^,]*),pool=([^,}]*)\}$)");
    for (size_t i = 0; i < pushed.size(); ++i) {
        const IngestRequest& r = pushed[i];
        SCOPED_TRACE(r.name);
        EXPECT_EQ(r.format, "pprof");
        EXPECT_TRUE(r.multipart);
        ASSERT_TRUE(std::regex_match(r.name, m, name_form));
        EXPECT_EQ(m[1].str(), binary);
        EXPECT_EQ(m[2].str(), host);
        EXPECT_EQ(m[3].str(), php_version);
        EXPECT_LE(std::stoll(r.from), std::stoll(r.until));
        const std::string pool = m[4].str();
        pushed_bodies[pool].insert(r.profile);
        const std::string path = stack.dir.file("pushed-" + pool + "-" + std::to_string(i) + ".pb.gz");
        std::ofstream(path, std::ios::binary) << r.profile;
        pushed_files[pool].push_back(path);
    }
    for (const auto& [pool, files] : std::map<std::string, std::vector<std::string>>{{"alpha", alpha}, {"beta", beta}}) {
        std::multiset<std::string> written;
        for (const auto& f : files) written.insert(read_file(f));
        EXPECT_TRUE(written == pushed_bodies[pool]) << pool << ": " << written.size() << " files, "
                                                    << pushed_bodies[pool].size() << " pushed";
    }
    // And go tool pprof reads the pushed bodies themselves.
    EXPECT_EQ(read_pool(pushed_files["alpha"], "big_string", raw_log).alloc_objects, 10 * kBlockRequests);
    EXPECT_GE(read_pool(pushed_files["beta"], "build_array", beta_log).alloc_objects, 3);
}

}  // namespace
}  // namespace pmt::testing
