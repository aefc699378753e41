// Soak: a php-fpm pool behind nginx under wrk, traced for a long time
// (PMT_SOAK_SECONDS, 600 by default). The tracer's resident set must
// stay flat (its tables are bounded, and grow with live blocks and stacks, not
// with events), no record may be lost, and every checkpoint must be exact.
// Built as its own binary, run by `make soak`, not by ctest; CI runs a 2-minute
// form (make soak SOAK_SECONDS=120).
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "../runtime/fpm_stack.h"

namespace pmt::testing {
namespace {

uint64_t rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    return 0;
}

double soak_seconds() {
    const char* v = std::getenv("PMT_SOAK_SECONDS");
    return v ? std::stod(v) : 600.0;
}

TEST(Soak, FpmBehindNginxUnderWrkStaysFlatExactAndLossless) {
    PMT_REQUIRE_ROOT();
    ASSERT_NO_FATAL_FAILURE(require_web_stack());
    const double seconds = soak_seconds();
    ASSERT_GE(seconds, 30.0) << "PMT_SOAK_SECONDS: at least 30";
    FpmStack stack;
    ASSERT_NO_FATAL_FAILURE(start_stack(stack, 4));
    const std::string json = stack.dir.file("soak.json");
    OwnedProcess tracer = start_tracer(stack, json, {});
    ASSERT_TRUE(tracer.running()) << read_file(json + ".log");

    // Two clients on two pages, for the whole soak.
    const std::string base = "http://127.0.0.1:" + std::to_string(stack.port);
    const std::string duration = std::to_string(static_cast<int>(seconds)) + "s";
    OwnedProcess small = OwnedProcess::spawn({"wrk", "-t1", "-c2", "-d" + duration, base + "/small.php"},
                                             stack.dir.file("wrk-small.out"));
    OwnedProcess large = OwnedProcess::spawn({"wrk", "-t1", "-c2", "-d" + duration, base + "/large.php?id=7"},
                                             stack.dir.file("wrk-large.out"));
    // The tracer's resident set, every 2 s.
    std::vector<uint64_t> rss;
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end && tracer.running()) {
        rss.push_back(rss_kib(tracer.pid()));
        std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    ASSERT_TRUE(tracer.running()) << read_file(json + ".log");
    EXPECT_EQ(small.stop(SIGINT), 0);
    EXPECT_EQ(large.stop(SIGINT), 0);
    ASSERT_EQ(tracer.stop(SIGINT), 0) << read_file(json + ".log");
    const std::string wrk = read_file(stack.dir.file("wrk-small.out")) + read_file(stack.dir.file("wrk-large.out"));
    std::printf("%s\n", wrk.c_str());

    // Flat: after the first quarter (the stacks seen once, the heap timeline's
    // bounded lists filled: at full load they fill in ~10 s), the resident set grows
    // by less than 4 MiB to the end. What is left to grow then is the checkpoint list
    // (the first 20,000, ~90 B each), ~1 MiB at most in a 10-minute run.
    ASSERT_GE(rss.size(), 8u);
    const uint64_t settled = *std::max_element(rss.begin(), rss.begin() + rss.size() / 4);
    const uint64_t last = *std::max_element(rss.begin() + rss.size() * 3 / 4, rss.end());
    std::printf("tracer RSS: %llu KiB at the start, %llu KiB highest in the first quarter, %llu KiB highest in the "
                "last quarter, %llu KiB at the end, %zu samples\n",
                (unsigned long long)rss.front(), (unsigned long long)settled, (unsigned long long)last,
                (unsigned long long)rss.back(), rss.size());
    EXPECT_LT(last, settled + 4 * 1024) << "the tracer's memory grows with the events";

    const nlohmann::json report = read_json(json);
    const auto& c = report["counters"];
    EXPECT_EQ(c["lost_events"], 0) << c;
    EXPECT_EQ(c["lost_function_names"], 0) << c;
    EXPECT_EQ(c["checkpoints_not_kept_inexact"], 0) << c;
    const uint64_t checkpoints = report["checkpoints"].size() + c["checkpoints_not_kept"].get<uint64_t>();
    EXPECT_GT(checkpoints, 100u) << "few requests were served";
    for (const auto& k : report["checkpoints"]) EXPECT_EQ(k["php_memory_usage"], k["traced_live_bytes"]) << k;
    std::printf("requests kept %zu, not kept %llu; checkpoints %llu, all exact\n", report["requests"].size(),
                (unsigned long long)c["requests_not_kept"].get<uint64_t>(), (unsigned long long)checkpoints);
    // What the bounded lists hold at the end, and what they left out.
    const auto& t = report["heap_timeline"];
    std::printf("kept: %zu heap samples (%llu thinned out), %zu chunk/huge events (%llu not kept), %zu GC runs "
                "(%llu not kept), %zu checkpoints (%llu not kept)\n",
                t["samples"].size(), (unsigned long long)t["samples_dropped"].get<uint64_t>(), t["map_events"].size(),
                (unsigned long long)t["map_events_dropped"].get<uint64_t>(), report["gc"]["runs_detail"].size(),
                (unsigned long long)c["gc_runs_not_kept"].get<uint64_t>(), report["checkpoints"].size(),
                (unsigned long long)c["checkpoints_not_kept"].get<uint64_t>());
}

}  // namespace
}  // namespace pmt::testing
