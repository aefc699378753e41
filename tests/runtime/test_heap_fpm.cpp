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

#include "heap_test_helpers.h"

namespace pmt::testing {
namespace {

struct FpmStack {
    TempDir dir;
    int port = -1;
    OwnedProcess fpm;    // declared before nginx: nginx stops first
    OwnedProcess nginx;
};

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Starts php-fpm8.2 (two static workers, unix socket) and nginx on 127.0.0.1:port.
void start_stack(FpmStack& s) {
    const std::string d = s.dir.path();
    write_file(d + "/fpm.conf", "[global]\npid = " + d + "/fpm.pid\nerror_log = " + d +
                                    "/fpm.log\ndaemonize = no\n[www]\nlisten = " + d +
                                    "/fpm.sock\nlisten.mode = 0666\npm = static\npm.max_children = 2\n"
                                    "clear_env = no\n");
    s.port = free_loopback_port();
    ASSERT_GT(s.port, 0);
    const std::string docroot = std::string(PMT_SOURCE_DIR) + "/tests/php/fpm";
    write_file(d + "/nginx.conf",
               "worker_processes 1;\nuser root;\npid " + d + "/nginx.pid;\nerror_log " + d +
                   "/nginx_error.log;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n"
                   "  client_body_temp_path " + d + "/body;\n  fastcgi_temp_path " + d + "/fcgi;\n"
                   "  proxy_temp_path " + d + "/proxy;\n  uwsgi_temp_path " + d + "/uwsgi;\n"
                   "  scgi_temp_path " + d + "/scgi;\n  server {\n    listen 127.0.0.1:" + std::to_string(s.port) +
                   ";\n    root " + docroot + ";\n    location ~ \\.php$ {\n      fastcgi_pass unix:" + d +
                   "/fpm.sock;\n"
                   "      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
                   "      fastcgi_param SCRIPT_NAME $fastcgi_script_name;\n"
                   "      fastcgi_param REQUEST_URI $request_uri;\n"
                   "      fastcgi_param REQUEST_METHOD $request_method;\n"
                   "      fastcgi_param QUERY_STRING $query_string;\n"
                   "      fastcgi_param DOCUMENT_ROOT $document_root;\n"
                   "      fastcgi_param SERVER_PROTOCOL $server_protocol;\n"
                   "      fastcgi_param GATEWAY_INTERFACE CGI/1.1;\n    }\n  }\n}\n");
    // -n: no php.ini (no opcache); -R: allowed to run as root (the test runs as root).
    s.fpm = OwnedProcess::spawn({"php-fpm8.2", "-n", "-R", "-y", d + "/fpm.conf", "-F"}, d + "/fpm.out");
    ASSERT_GT(s.fpm.pid(), 0);
    ASSERT_TRUE(wait_for_file(d + "/fpm.sock", 20)) << read_file(d + "/fpm.out") << read_file(d + "/fpm.log");
    s.nginx = OwnedProcess::spawn({"nginx", "-c", d + "/nginx.conf", "-g", "daemon off;"}, d + "/nginx.out");
    ASSERT_GT(s.nginx.pid(), 0);
    ASSERT_TRUE(wait_for_port(s.port, 20)) << read_file(d + "/nginx.out") << read_file(d + "/nginx_error.log");
}

// Starts `record -p MASTER` and waits until its probes are attached.
OwnedProcess start_tracer(const FpmStack& s, const std::string& json, const std::vector<std::string>& extra) {
    const std::string ready = json + ".ready";
    std::vector<std::string> argv = {phpmemtrace_binary(), "record", "-q", "-p", std::to_string(s.fpm.pid()),
                                     "-o", json, "--ready-file", ready};
    argv.insert(argv.end(), extra.begin(), extra.end());
    OwnedProcess tracer = OwnedProcess::spawn(argv, json + ".log");
    EXPECT_TRUE(wait_for_file(ready, 60)) << read_file(json + ".log");
    return tracer;
}

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

// php-fpm8.2 and nginx come from tools/install-deps.sh; say so rather than fail.
#define PMT_REQUIRE_WEB_STACK()                                                                        \
    do {                                                                                               \
        if (run_command({"sh", "-c", "command -v php-fpm8.2 && command -v nginx"}).exit_code != 0)     \
            GTEST_SKIP() << "php-fpm8.2 or nginx is not installed (tools/install-deps.sh installs them)"; \
    } while (0)

TEST(HeapFpm, RequestsBehindNginxWithTheirOwnPeaks) {
    PMT_REQUIRE_ROOT();
    PMT_REQUIRE_WEB_STACK();
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
    PMT_REQUIRE_WEB_STACK();
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
