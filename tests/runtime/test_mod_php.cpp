// PHP embedded in Apache (mod_php, libphp8.2.so in prefork workers), started
// here on loopback with its own configuration in a temp dir. `record -p PARENT`
// must find the library in the workers' mappings, follow the workers forked
// before it attached, and attribute every string the page keeps to its PHP
// function, with each request's URI and peak and every checkpoint exact.
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "heap_test_helpers.h"

namespace pmt::testing {
namespace {

constexpr const char* kModules = "/usr/lib/apache2/modules";

struct ApacheStack {
    TempDir dir;
    int port = -1;
    OwnedProcess apache;
};

// Prefork with two workers, as Debian's mod_php needs (an NTS PHP: no threads).
void start_apache(ApacheStack& s) {
    const std::string d = s.dir.path();
    const std::string www = d + "/www";
    std::filesystem::create_directories(www);
    std::filesystem::copy_file(std::string(PMT_SOURCE_DIR) + "/tests/php/mod_php/alloc.php", www + "/alloc.php");
    // The workers run as nobody: they must be able to read the page.
    for (const std::string& path : {d, www}) chmod(path.c_str(), 0755);
    chmod((www + "/alloc.php").c_str(), 0644);
    s.port = free_loopback_port();
    ASSERT_GT(s.port, 0);
    const std::string m = kModules;
    std::ofstream(d + "/apache2.conf")
        << "ServerRoot " << d << "\nServerName 127.0.0.1\nListen 127.0.0.1:" << s.port << "\nPidFile " << d
        << "/apache2.pid\nErrorLog " << d << "/error.log\nDefaultRuntimeDir " << d << "\nMutex file:" << d
        << " default\nUser nobody\nGroup nogroup\n"
        << "LoadModule mpm_prefork_module " << m << "/mod_mpm_prefork.so\n"
        << "LoadModule authz_core_module " << m << "/mod_authz_core.so\n"
        << "LoadModule php_module " << m << "/libphp8.2.so\n"
        << "StartServers 2\nMinSpareServers 2\nMaxSpareServers 2\nMaxRequestWorkers 2\n"
        << "DocumentRoot " << www << "\n<Directory " << www << ">\n  Require all granted\n</Directory>\n<FilesMatch \"\\.php$\">\n  SetHandler application/x-httpd-php\n</FilesMatch>\n";
    // In a session of its own: on SIGTERM Apache signals its whole process group,
    // which would otherwise be the test's. (setsid execs in place: the same PID.)
    s.apache = OwnedProcess::spawn({"setsid", "/usr/sbin/apache2", "-f", d + "/apache2.conf", "-DFOREGROUND"},
                                   d + "/apache2.out");
    ASSERT_GT(s.apache.pid(), 0);
    ASSERT_TRUE(wait_for_port(s.port, 20)) << read_file(d + "/apache2.out") << read_file(d + "/error.log");
}

TEST(ModPhp, PreforkWorkersTracedByTheirParent) {
    PMT_REQUIRE_ROOT();
    ASSERT_TRUE(std::filesystem::exists(std::string(kModules) + "/libphp8.2.so") &&
                std::filesystem::exists("/usr/sbin/apache2"))
        << "apache2 or libapache2-mod-php8.2 is not installed (tools/install-deps.sh installs them)";
    ApacheStack stack;
    ASSERT_NO_FATAL_FAILURE(start_apache(stack));
    // A first request before the tracer: the workers exist and have served.
    const std::string first = http_get(stack.port, "/alloc.php");
    ASSERT_EQ(script_value(first, "COUNT"), "2000")
        << first << read_file(stack.dir.file("error.log")) << read_file(stack.dir.file("apache2.out"));

    const std::string json = stack.dir.file("mod_php.json");
    const std::string ready = json + ".ready";
    OwnedProcess tracer = OwnedProcess::spawn({phpmemtrace_binary(), "record", "-q", "-p",
                                               std::to_string(stack.apache.pid()), "-o", json, "--ready-file", ready},
                                              json + ".log");
    ASSERT_TRUE(wait_for_file(ready, 60)) << read_file(json + ".log");
    constexpr int kRequests = 4;
    std::vector<uint64_t> php_peaks;
    for (int i = 0; i < kRequests; ++i) {
        const std::string body = http_get(stack.port, "/alloc.php?n=" + std::to_string(i));
        ASSERT_EQ(script_value(body, "COUNT"), "2000") << body;
        php_peaks.push_back(std::stoull(script_value(body, "PEAK")));
    }
    ASSERT_EQ(tracer.stop(SIGINT), 0) << read_file(json + ".log");
    const nlohmann::json report = read_json(json);

    EXPECT_NE(report["target"]["binary"].get<std::string>().find("libphp8.2.so"), std::string::npos)
        << report["target"];
    // Every string build_list() made, in every request, on its PHP stack.
    uint64_t strings = 0;
    for (const auto& s : report["stacks"]) {
        const auto& frames = s["frames"];
        if (frames.size() >= 2 && frame_name(frames[frames.size() - 1]) == "str_repeat" &&
            frame_name(frames[frames.size() - 2]) == "build_list")
            strings += s["alloc_count"].get<uint64_t>();
    }
    EXPECT_EQ(strings, uint64_t(2000 * kRequests));
    // The requests, with their URI and PHP's own peak.
    const auto& requests = report["requests"];
    ASSERT_EQ(requests.size(), size_t(kRequests));
    for (int i = 0; i < kRequests; ++i) {
        SCOPED_TRACE("request " + std::to_string(i));
        EXPECT_EQ(requests[i]["uri"], "/alloc.php");
        EXPECT_EQ(requests[i]["query"], "n=" + std::to_string(i));
        // heap->peak at the request's end: what the page printed, plus the few
        // bytes its last lines allocated while its list was still held.
        EXPECT_GE(requests[i]["php_peak_bytes"].get<uint64_t>(), php_peaks[i]);
        EXPECT_LE(requests[i]["php_peak_bytes"].get<uint64_t>(), php_peaks[i] + 1024);
        EXPECT_NEAR(requests[i]["peak_bytes"].get<double>(), double(php_peaks[i]), 0.01 * double(php_peaks[i]) + 16384);
        EXPECT_NE(requests[i]["pid"].get<int64_t>(), stack.apache.pid());  // a worker, forked before the tracer
    }
    size_t checkpoints = 0;
    for (const auto& c : report["checkpoints"]) {
        if (c["real"].get<bool>()) continue;
        ++checkpoints;
        EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;
    }
    EXPECT_EQ(checkpoints, size_t(kRequests));
    for (const char* counter : {"lost_events", "unreadable_frames", "unknown_frees", "untraced_children"})
        EXPECT_EQ(report["counters"][counter].get<uint64_t>(), 0u) << counter;
}

}  // namespace
}  // namespace pmt::testing
