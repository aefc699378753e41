#include "agent/profile_push.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <regex>

namespace pmt {
namespace {

using Clock = std::chrono::steady_clock;

// Connecting is quick on a working network; a stuck endpoint costs the sender
// thread at most these, never the tracing loop.
constexpr int kConnectTimeoutS = 2;
constexpr int kTransferTimeoutS = 10;
constexpr double kFirstBackoffS = 0.5;

// Pyroscope's label values: letters, digits and these; anything else becomes '_'
// (a ',', '=', '{' or '}' would end the value in its `name` syntax).
std::string label_value(const std::string& text) {
    std::string out = text;
    for (char& c : out)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '/' && c != ':')
            c = '_';
    return out.empty() ? "_" : out;
}

}  // namespace

Result<PushUrl> parse_push_url(const std::string& text) {
    static const std::regex form(R"(^(https?)://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:(\d{1,5}))?(/[^?#]*)?$)");
    std::smatch m;
    if (!std::regex_match(text, m, form))
        return Error{"--push: not http[s]://HOST[:PORT][/PATH] (e.g. http://127.0.0.1:4040): " + text};
    if (m[4].matched) {
        const long port = std::stol(m[4].str());
        if (port < 1 || port > 65535) return Error{"--push: port out of range: " + text};
    }
    PushUrl url;
    url.scheme_host_port = m[1].str() + "://" + m[2].str() + m[3].str();
    url.path_prefix = m[5].str();
    while (!url.path_prefix.empty() && url.path_prefix.back() == '/') url.path_prefix.pop_back();
    return url;
}

std::string pyroscope_name(const std::string& app, const std::map<std::string, std::string>& labels) {
    std::string out = app + "{";
    bool first = true;
    for (const auto& [key, value] : labels) {
        out += (first ? "" : ",") + key + "=" + label_value(value);
        first = false;
    }
    return out + "}";
}

ProfilePusher::ProfilePusher(PushUrl url, PushOptions options, OnChange on_change)
    : url_(std::move(url)), options_(std::move(options)), on_change_(std::move(on_change)) {
    thread_ = std::thread([this] { run(); });
}

ProfilePusher::~ProfilePusher() { stop(0); }

void ProfilePusher::enqueue(PushItem item) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        counts_.queued_bytes += item.pprof_gz.size();
        ++counts_.queued;
        queue_.push_back(std::move(item));
        drop_oldest_over_bound();
    }
    wake_.notify_one();
    changed();
}

void ProfilePusher::stop(double drain_s) {
    {
        std::lock_guard lock(mutex_);
        if (!thread_.joinable()) return;
        stopping_ = true;
        drain_s_ = drain_s;
    }
    wake_.notify_one();
    thread_.join();
}

PushCounts ProfilePusher::counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

// The newest profile stays even past the bound: it is the one worth sending.
void ProfilePusher::drop_oldest_over_bound() {
    while (counts_.queued_bytes > options_.max_queued_bytes && queue_.size() > 1) {
        counts_.queued_bytes -= queue_.front().pprof_gz.size();
        --counts_.queued;
        ++counts_.dropped;
        queue_.pop_front();
    }
}

void ProfilePusher::changed() {
    if (on_change_) on_change_(counts());
}

void ProfilePusher::run() {
    double backoff_s = 0;
    bool failing = false;
    uint64_t outage_failures = 0;
    std::optional<Clock::time_point> drain_until;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_ && !drain_until)
            drain_until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(drain_s_));
        if (queue_.empty() || (drain_until && Clock::now() >= *drain_until)) break;
        PushItem item = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        std::string error;
        const bool ok = send(item, error);
        lock.lock();
        if (ok) {
            ++counts_.sent;
            counts_.queued_bytes -= item.pprof_gz.size();
            --counts_.queued;
            if (failing)
                std::cerr << "phpmemtrace agent: --push " << url_.scheme_host_port << ": delivering again after "
                          << outage_failures << " failed attempts\n";
            failing = false;
            backoff_s = 0;
        } else {
            ++counts_.failures;
            if (!failing) {
                std::cerr << "phpmemtrace agent: --push " << url_.scheme_host_port << ": " << error
                          << " (retrying with back-off; the oldest profiles go when the queue is full)\n";
                outage_failures = 0;
            }
            ++outage_failures;
            failing = true;
            queue_.push_front(std::move(item));  // still counted as queued
            drop_oldest_over_bound();
            if (stopping_) break;  // no waiting at the end: the rest is dropped
            backoff_s = backoff_s == 0 ? kFirstBackoffS : std::min(backoff_s * 2, options_.max_backoff_s);
            lock.unlock();
            changed();
            lock.lock();
            wake_.wait_for(lock, std::chrono::duration<double>(backoff_s), [&] { return stopping_; });
            continue;
        }
        lock.unlock();
        changed();
        lock.lock();
    }
    counts_.dropped += queue_.size();
    counts_.queued = counts_.queued_bytes = 0;
    queue_.clear();
    lock.unlock();
    changed();
}

bool ProfilePusher::send(const PushItem& item, std::string& error) {
    httplib::Client client(url_.scheme_host_port);
    client.set_connection_timeout(kConnectTimeoutS);
    client.set_read_timeout(kTransferTimeoutS);
    client.set_write_timeout(kTransferTimeoutS);
    // sampleRate only means something for CPU profiles; Pyroscope's default.
    const std::string path = url_.path_prefix + "/ingest?format=pprof&spyName=phpmemtrace&sampleRate=100" +
                             "&name=" + httplib::detail::encode_query_param(pyroscope_name(options_.app, item.labels)) +
                             "&from=" + std::to_string(item.from_s) + "&until=" + std::to_string(item.until_s);
    // multipart/form-data with the pprof as "profile": what Pyroscope's own
    // clients send, and what every Pyroscope-compatible receiver reads.
    const httplib::MultipartFormDataItems form = {{"profile", item.pprof_gz, "profile.pprof", "application/octet-stream"}};
    auto res = client.Post(path, form);
    if (!res) {
        error = "cannot send (cpp-httplib: " + httplib::to_string(res.error()) + " error)";
        return false;
    }
    if (res->status < 200 || res->status >= 300) {
        error = "HTTP " + std::to_string(res->status) + " " + res->body.substr(0, 200);
        error.erase(std::remove(error.begin(), error.end(), '\n'), error.end());
        return false;
    }
    return true;
}

}  // namespace pmt
