// The agent's exports to the systems teams run, on a real FPM pool behind nginx:
// --push to an ingest endpoint that is down at first (the agent keeps tracing,
// counts the failures and drops, and delivers once it is up), and a real
// Prometheus server (Debian's `prometheus`) scraping --metrics, asked through
// its query API whether the per-pool series are there and follow the requests
// the test sent.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <tuple>

#include "agent_test_helpers.h"
#include "fpm_stack.h"
#include "ingest_receiver.h"

namespace pmt::testing {
namespace {

const std::string kDocroot = std::string(PMT_SOURCE_DIR) + "/tests/php/agent";

// `n` requests of `path`; `peak_sum` (if given) adds up what each page's own
// memory_get_peak_usage() said.
void send_requests(const FpmStack& stack, const std::string& path, int n, double* peak_sum = nullptr) {
    for (int i = 0; i < n; ++i) {
        const std::string page = http_get(stack.port, path);
        ASSERT_FALSE(script_value(page, "PID").empty()) << path << ": " << page;
        const std::string peak = script_value(page, "PEAK");
        ASSERT_FALSE(peak.empty()) << path << ": " << page;
        if (peak_sum) *peak_sum += std::stod(peak);
    }
}

TEST(AgentExport, PushRetriesUntilTheReceiverComesUp) {
    PMT_REQUIRE_ROOT();
    ASSERT_NO_FATAL_FAILURE(require_web_stack());
    FpmStack stack;
    ASSERT_NO_FATAL_FAILURE(start_stack(stack, 1, {{"alpha", kDocroot, 2, false}}));
    const std::string out = stack.dir.file("profiles");
    ASSERT_EQ(mkdir(out.c_str(), 0700), 0);
    const int metrics_port = free_loopback_port(), ingest_port = free_loopback_port();
    const std::string ready = stack.dir.file("agent.ready"), log = stack.dir.file("agent.log");
    // Nothing listens on ingest_port yet. A queue of one byte keeps only the
    // newest profile: the older ones must be counted as dropped.
    OwnedProcess agent = OwnedProcess::spawn(
        {phpmemtrace_binary(), "agent", "--pid", std::to_string(stack.fpm.pid()), "--out", out, "--interval", "0.5",
         "--max-overhead", "100",  // every probe stays on: the counts below are exact
         "--metrics", "127.0.0.1:" + std::to_string(metrics_port), "--push",
         "http://127.0.0.1:" + std::to_string(ingest_port), "--push-queue", "1", "--push-retry-max", "1",
         "--ready-file", ready},
        log);
    ASSERT_TRUE(wait_for_file(ready, 60)) << read_file(log);

    ASSERT_NO_FATAL_FAILURE(send_requests(stack, "/alpha/blocks.php", 3));
    ASSERT_TRUE(eventually(60, [&] {
        return scraped(metrics_port, "phpmemtrace_push_failures_total").value_or(0) >= 2 &&
               scraped(metrics_port, "phpmemtrace_push_dropped_total").value_or(0) >= 1;
    })) << http_get(metrics_port, "/metrics") << read_file(log);
    EXPECT_EQ(scraped(metrics_port, "phpmemtrace_push_sent_total"), 0.0);
    // Tracing went on while the endpoint was down: the requests are all counted.
    EXPECT_EQ(scraped(metrics_port, "phpmemtrace_requests_total", "pool=\"alpha\""), 3.0);
    ASSERT_TRUE(agent.running()) << read_file(log);

    IngestReceiver receiver(ingest_port);
    ASSERT_TRUE(receiver.ok()) << "cannot listen on 127.0.0.1:" << ingest_port;
    ASSERT_NO_FATAL_FAILURE(send_requests(stack, "/alpha/blocks.php", 2));
    ASSERT_TRUE(receiver.wait_for(1, 60)) << read_file(log);
    ASSERT_TRUE(eventually(60, [&] { return scraped(metrics_port, "phpmemtrace_push_sent_total").value_or(0) >= 1; }))
        << http_get(metrics_port, "/metrics");
    ASSERT_EQ(agent.stop(SIGTERM), 0) << read_file(log);

    const std::string agent_log = read_file(log);
    EXPECT_NE(agent_log.find("retrying with back-off"), std::string::npos) << agent_log;
    EXPECT_NE(agent_log.find("delivering again after"), std::string::npos) << agent_log;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(agent_log, m, std::regex(R"(--push: (\d+) profiles sent, (\d+) failed attempts, (\d+) profiles dropped)")))
        << agent_log;
    const std::vector<IngestRequest> pushed = receiver.requests();
    EXPECT_EQ(std::stoul(m[1].str()), pushed.size()) << agent_log;
    EXPECT_GE(std::stoul(m[2].str()), 2u) << agent_log;
    EXPECT_GE(std::stoul(m[3].str()), 1u) << agent_log;
    // What arrived is pprof that go tool pprof reads, for the pool.
    std::vector<std::string> files;
    for (size_t i = 0; i < pushed.size(); ++i) {
        EXPECT_NE(pushed[i].name.find(",pool=alpha}"), std::string::npos) << pushed[i].name;
        files.push_back(stack.dir.file("pushed-" + std::to_string(i) + ".pb.gz"));
        std::ofstream(files.back(), std::ios::binary) << pushed[i].profile;
    }
    std::string raw_log;
    const PoolTotals totals = read_pool(files, "big_string", raw_log);
    EXPECT_FALSE(totals.sample_types.empty()) << raw_log;
}

// One instant-query value of Prometheus's HTTP API; nullopt when the result is empty.
std::optional<double> prometheus_value(int port, const std::string& query, std::string& last_answer) {
    last_answer = http_get(port, "/api/v1/query?query=" + url_encoded(query));
    const auto answer = nlohmann::json::parse(last_answer, nullptr, false);
    if (answer.is_discarded() || answer.value("status", "") != "success") return std::nullopt;
    const auto& result = answer["data"]["result"];
    if (!result.is_array() || result.size() != 1) return std::nullopt;
    return std::stod(result[0]["value"][1].get<std::string>());
}

TEST(AgentExport, PrometheusScrapesThePerPoolSeries) {
    PMT_REQUIRE_ROOT();
    ASSERT_NO_FATAL_FAILURE(require_web_stack());
    ASSERT_EQ(run_command({"sh", "-c", "command -v prometheus && command -v promtool"}).exit_code, 0)
        << "prometheus is not installed (tools/install-deps.sh installs it)";
    FpmStack stack;
    ASSERT_NO_FATAL_FAILURE(start_stack(stack, 1, {{"alpha", kDocroot, 2, false}, {"beta", kDocroot, 2, false}}));
    const std::string out = stack.dir.file("profiles");
    ASSERT_EQ(mkdir(out.c_str(), 0700), 0);
    const int metrics_port = free_loopback_port();
    const std::string ready = stack.dir.file("agent.ready"), log = stack.dir.file("agent.log");
    OwnedProcess agent = OwnedProcess::spawn(
        {phpmemtrace_binary(), "agent", "--pid", std::to_string(stack.fpm.pid()), "--out", out, "--interval", "0.5",
         "--max-overhead", "100",  // every probe stays on: the counts below are exact
         "--metrics", "127.0.0.1:" + std::to_string(metrics_port), "--ready-file", ready},
        log);
    ASSERT_TRUE(wait_for_file(ready, 60)) << read_file(log);

    // A Prometheus of the test's own: loopback, temp config and storage, scraping every second.
    const int prometheus_port = free_loopback_port();
    const std::string config = stack.dir.file("prometheus.yml"), data = stack.dir.file("prometheus-data");
    std::ofstream(config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                             "scrape_configs:\n  - job_name: phpmemtrace\n    static_configs:\n"
                             "      - targets: ['127.0.0.1:" << metrics_port << "']\n";
    OwnedProcess prometheus = OwnedProcess::spawn(
        {"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + data,
         "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
        stack.dir.file("prometheus.log"));
    ASSERT_TRUE(wait_for_port(prometheus_port, 60)) << read_file(stack.dir.file("prometheus.log"));
    std::string answer;
    ASSERT_TRUE(eventually(60, [&] { return prometheus_value(prometheus_port, "up{job=\"phpmemtrace\"}", answer) == 1.0; }))
        << answer << read_file(stack.dir.file("prometheus.log"));

    // Load in two steps; after each, Prometheus's figures are the requests sent.
    auto requests_of = [&](const std::string& pool) {
        return prometheus_value(prometheus_port, "phpmemtrace_requests_total{pool=\"" + pool + "\"}", answer);
    };
    auto allocated_of = [&](const std::string& pool) {
        return prometheus_value(prometheus_port, "phpmemtrace_slow_path_allocated_bytes_total{pool=\"" + pool + "\"}",
                                answer)
            .value_or(0);
    };
    double blocks_peaks = 0, array_peaks = 0, spike_peaks = 0;  // the pages' own memory_get_peak_usage()
    ASSERT_NO_FATAL_FAILURE(send_requests(stack, "/alpha/blocks.php", 5, &blocks_peaks));
    ASSERT_NO_FATAL_FAILURE(send_requests(stack, "/beta/array.php", 2, &array_peaks));
    ASSERT_NO_FATAL_FAILURE(send_requests(stack, "/beta/spike.php", 1, &spike_peaks));
    EXPECT_TRUE(eventually(60, [&] { return requests_of("alpha") == 5.0 && requests_of("beta") == 3.0; })) << answer;
    // Each blocks.php request makes ten large blocks, each seen exactly.
    EXPECT_TRUE(eventually(60, [&] { return allocated_of("alpha") >= 5 * 10 * large_block(100000); })) << answer;
    const double alpha_before = allocated_of("alpha");

    ASSERT_NO_FATAL_FAILURE(send_requests(stack, "/alpha/blocks.php", 7, &blocks_peaks));
    EXPECT_TRUE(eventually(60, [&] { return requests_of("alpha") == 12.0; })) << answer;
    EXPECT_TRUE(eventually(60, [&] { return allocated_of("alpha") >= alpha_before + 7 * 10 * large_block(100000); }))
        << answer;
    EXPECT_EQ(requests_of("beta"), 3.0) << answer;  // beta had no new load
    // The per-pool gauges are there for both pools, and the agent's own series.
    for (const std::string pool : {"alpha", "beta"})
        for (const char* name : {"phpmemtrace_heap_peak_bytes", "phpmemtrace_traced_processes"})
            EXPECT_GT(prometheus_value(prometheus_port, std::string(name) + "{pool=\"" + pool + "\"}", answer).value_or(0),
                      0.0)
                << name << " " << pool << ": " << answer;
    EXPECT_EQ(prometheus_value(prometheus_port, "phpmemtrace_traced_processes{pool=\"alpha\"}", answer), 2.0) << answer;
    EXPECT_EQ(prometheus_value(prometheus_port, "phpmemtrace_request_peak_bytes_count{pool=\"alpha\"}", answer), 12.0)
        << answer;
    EXPECT_GT(prometheus_value(prometheus_port, "phpmemtrace_agent_trap_cost_seconds", answer).value_or(0), 0.0)
        << answer;

    // Request peaks by URI: per endpoint, the heap's own figure at each request's
    // end against what the page itself said (the page prints before its last
    // bytes of output: within 1%). spike.php's peak is far above its use at the
    // end: a heap size taken for the peak would fail it.
    for (const auto& [pool, page, requests, peaks] :
         {std::tuple{"alpha", "blocks.php", 12, blocks_peaks}, std::tuple{"beta", "array.php", 2, array_peaks},
          std::tuple{"beta", "spike.php", 1, spike_peaks}}) {
        SCOPED_TRACE(page);
        const std::string series = std::string("{pool=\"") + pool + "\",uri=~\".*/" + page + "\"}";
        EXPECT_EQ(prometheus_value(prometheus_port, "phpmemtrace_request_peak_by_uri_bytes_count" + series, answer),
                  double(requests))
            << answer;
        const auto sum = prometheus_value(prometheus_port, "phpmemtrace_request_peak_by_uri_bytes_sum" + series, answer);
        ASSERT_TRUE(sum) << answer;
        EXPECT_NEAR(*sum / requests, peaks / requests, 0.01 * peaks / requests) << answer;
        std::cout << std::fixed << std::setprecision(0) << page << ": mean request peak " << *sum / requests << " bytes (agent, through Prometheus), "
                  << peaks / requests << " (the page's memory_get_peak_usage())\n";
    }

    // promtool on what the endpoint serves.
    const std::string scrape_file = stack.dir.file("scrape.txt");
    std::ofstream(scrape_file) << http_get(metrics_port, "/metrics");
    CommandResult check = run_command({"sh", "-c", "promtool check metrics < " + scrape_file});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err << read_file(scrape_file);

    EXPECT_EQ(prometheus.stop(SIGTERM), 0) << read_file(stack.dir.file("prometheus.log"));
    ASSERT_EQ(agent.stop(SIGTERM), 0) << read_file(log);
}

}  // namespace
}  // namespace pmt::testing
