// A loopback stand-in for a Pyroscope server's POST /ingest (cpp-httplib's
// server), for the agent's --push tests: it keeps every request's query and
// profile, and answers 200 as Pyroscope does.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// Only ingest_receiver.cpp includes <httplib.h>, with its build flags.
namespace httplib {
class Server;
}

namespace pmt::testing {

struct IngestRequest {
    std::string name, from, until, format;
    bool multipart = false;  // the profile came as the form field "profile"
    std::string profile;     // the pprof as sent (gzipped)
};

class IngestReceiver {
public:
    // Listens on 127.0.0.1:port; ok() says whether it does.
    explicit IngestReceiver(int port);
    ~IngestReceiver();
    IngestReceiver(const IngestReceiver&) = delete;
    IngestReceiver& operator=(const IngestReceiver&) = delete;

    bool ok() const { return listening_; }
    std::vector<IngestRequest> requests() const;
    // Waits (up to `seconds`) until at least `n` requests arrived.
    bool wait_for(size_t n, double seconds) const;

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    bool listening_ = false;
    mutable std::mutex mutex_;
    mutable std::condition_variable arrived_;
    std::vector<IngestRequest> got_;
};

}  // namespace pmt::testing
