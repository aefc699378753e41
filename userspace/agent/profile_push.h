// --push URL: the agent's profiles to a Pyroscope-compatible ingest endpoint
// (POST URL/ingest?format=pprof&name=APP{labels}&from=..&until=..), sent by a
// thread of its own (cpp-httplib's client) so that tracing never waits on the
// network. The queue is bounded in bytes: when the endpoint is down the oldest
// profiles go first, counted. A failed send is retried with exponential
// back-off; nothing is lost silently (the counters are in the metrics and in
// the summary at the end).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "util/result.h"

namespace pmt {

// "http://host:port[/prefix]" (or https): where /ingest is.
struct PushUrl {
    std::string scheme_host_port;  // "http://127.0.0.1:4040"
    std::string path_prefix;       // "" or "/pyroscope" (no trailing slash)
};
// One line on failure, naming what is wrong.
Result<PushUrl> parse_push_url(const std::string& text);

struct PushOptions {
    std::string url;
    std::string app = "phpmemtrace";  // Pyroscope's application (service_name)
    uint64_t max_queued_bytes = 64ull << 20;
    double max_backoff_s = 30;
};

// One profile to send: its labels (host, pool, binary, php_version), the
// interval it covers and the gzipped pprof.
struct PushItem {
    std::map<std::string, std::string> labels;
    int64_t from_s = 0, until_s = 0;
    std::string pprof_gz;
};

struct PushCounts {
    uint64_t sent = 0;      // profiles the endpoint accepted (2xx)
    uint64_t failures = 0;  // attempts that failed (no connection, timeout, non-2xx)
    uint64_t dropped = 0;   // profiles never sent: pushed out of a full queue, or left at stop
    uint64_t queued = 0;
    uint64_t queued_bytes = 0;
};

// `name` of the ingest call: "app{k=v,...}", values reduced to the characters
// Pyroscope's label syntax allows.
std::string pyroscope_name(const std::string& app, const std::map<std::string, std::string>& labels);

class ProfilePusher {
public:
    // Called by the sender thread after each attempt and drop (the metrics).
    using OnChange = std::function<void(const PushCounts&)>;
    ProfilePusher(PushUrl url, PushOptions options, OnChange on_change);
    ~ProfilePusher();  // stop(0) if not stopped
    ProfilePusher(const ProfilePusher&) = delete;
    ProfilePusher& operator=(const ProfilePusher&) = delete;

    // Never blocks on the network.
    void enqueue(PushItem item);
    // Sends what is queued for at most `drain_s` seconds (no back-off waits:
    // the first failure ends it), then ends the thread; the rest is dropped.
    void stop(double drain_s);
    PushCounts counts() const;

private:
    void run();
    bool send(const PushItem& item, std::string& error);
    void drop_oldest_over_bound();  // mutex held
    void changed();                 // mutex not held

    const PushUrl url_;
    const PushOptions options_;
    const OnChange on_change_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<PushItem> queue_;
    PushCounts counts_;
    bool stopping_ = false;
    double drain_s_ = 0;
    std::thread thread_;
};

}  // namespace pmt
