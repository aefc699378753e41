// Requests of a real PHP-FPM pool behind nginx, both started here on loopback
// with their own configuration in a temp dir. `record -p MASTER` must find the
// workers forked before it attached, and report every request with its URI and
// its own peak, checked against what each page says about itself
// (memory_get_peak_usage() in the response).
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "fpm_stack.h"
#include "heap_test_helpers.h"

namespace pmt::testing {
namespace {

struct Sent {
    std::string uri, query;
    uint64_t php_peak = 0;
};

const std::vector<std::pair<std::string, std::string>> kRequests = {
    {"/small.php", ""}, {"/medium.php", ""}, {"/large.php", ""},
    {"/small.php", "id=2"}, {"/medium.php", "id=2"}, {"/large.php", "id=2"},
};

std::vector<Sent> send_requests(const FpmStack& s) {
    std::vector<Sent> sent;
    for (const auto& [uri, query] : kRequests) {
        const std::string body = http_get(s.port, query.empty() ? uri : uri + "?" + query);
        Sent one{uri, query, 0};
        const std::string peak = script_value(body, "PEAK");
        EXPECT_FALSE(peak.empty()) << "no answer for " << uri << ": " << body;
        if (!peak.empty()) one.php_peak = std::stoull(peak);
        sent.push_back(one);
    }
    return sent;
}


TEST(HeapFpm, RequestsBehindNginxWithTheirOwnPeaks) {
    PMT_REQUIRE_ROOT();
    ASSERT_NO_FATAL_FAILURE(require_web_stack());
    FpmStack stack;
    ASSERT_NO_FATAL_FAILURE(start_stack(stack));
    const std::string json = stack.dir.file("fpm.json");
    OwnedProcess tracer = start_tracer(stack, json, {});
    const std::vector<Sent> sent = send_requests(stack);
    ASSERT_EQ(tracer.stop(SIGINT), 0) << read_file(json + ".log");
    const nlohmann::json report = read_json(json);

    const auto& requests = report["requests"];
    ASSERT_EQ(requests.size(), sent.size());
    // Requests were served one at a time, so the report's order (by start time) is the sending order.
    for (size_t i = 0; i < sent.size(); ++i) {
        SCOPED_TRACE(sent[i].uri + "?" + sent[i].query);
        const auto& r = requests[i];
        EXPECT_EQ(r["uri"], sent[i].uri);
        EXPECT_EQ(r["query"], sent[i].query);
        EXPECT_EQ(r["method"], "GET");
        EXPECT_GT(r["duration_s"].get<double>(), 0.0);
        // The tracer's own peak (PHP's heap size at request start + the blocks it saw
        // allocated and freed since) against the page's memory_get_peak_usage().
        const double peak = r["peak_bytes"].get<double>();
        EXPECT_NEAR(peak, double(sent[i].php_peak), 0.01 * double(sent[i].php_peak) + 16384);
        EXPECT_EQ(r["php_peak_bytes"].get<uint64_t>(), sent[i].php_peak);
        EXPECT_GE(r["alloc_bytes"].get<uint64_t>(), r["live_at_end_bytes"].get<uint64_t>());
        EXPECT_GT(r["live_at_end_bytes"].get<uint64_t>(), 0u);
    }
    // Each URI has its own peak: small < medium < large by megabytes.
    std::map<std::string, double> peak_by_uri;
    for (const auto& r : requests) peak_by_uri[r["uri"]] = r["peak_bytes"].get<double>();
    EXPECT_GT(peak_by_uri["/medium.php"], peak_by_uri["/small.php"] + 1.0e6);
    EXPECT_GT(peak_by_uri["/large.php"], peak_by_uri["/medium.php"] + 3.0e6);
    // The workers were forked before the tracer attached: found from /proc.
    std::set<int64_t> worker_pids;
    for (const auto& r : requests) worker_pids.insert(r["pid"].get<int64_t>());
    for (int64_t pid : worker_pids) EXPECT_NE(pid, stack.fpm.pid());

    // Each page calls memory_get_usage(): across requests and workers (forked
    // before the tracer attached, heap emptied by zend_mm_shutdown between
    // requests) the tracer's live bytes equal PHP's, to the byte.
    size_t checkpoints = 0;
    for (const auto& c : report["checkpoints"]) {
        if (c["real"].get<bool>()) continue;
        ++checkpoints;
        EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;
    }
    EXPECT_GE(checkpoints, sent.size());
    EXPECT_GT(report["counters"]["wiped_blocks"].get<uint64_t>(), 0u);
    EXPECT_EQ(report["heap_timeline"]["request_source"].get<std::string>().rfind("SG(request_info)", 0), 0u);
}

TEST(HeapFpm, RequestFilterKeepsMatchingUris) {
    PMT_REQUIRE_ROOT();
    ASSERT_NO_FATAL_FAILURE(require_web_stack());
    FpmStack stack;
    ASSERT_NO_FATAL_FAILURE(start_stack(stack));
    const std::string json = stack.dir.file("fpm.json");
    OwnedProcess tracer = start_tracer(stack, json, {"--request-filter", "^/medium\\.php"});
    const std::vector<Sent> sent = send_requests(stack);
    ASSERT_EQ(tracer.stop(SIGINT), 0) << read_file(json + ".log");
    const nlohmann::json report = read_json(json);
    const auto medium = std::count_if(sent.begin(), sent.end(), [](const Sent& s) { return s.uri == "/medium.php"; });
    ASSERT_EQ(report["requests"].size(), size_t(medium));
    for (const auto& r : report["requests"]) EXPECT_EQ(r["uri"], "/medium.php");
    EXPECT_EQ(report["heap_timeline"]["requests_filtered"].get<size_t>(), sent.size() - medium);
}

}  // namespace
}  // namespace pmt::testing
