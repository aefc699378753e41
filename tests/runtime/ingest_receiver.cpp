#include "ingest_receiver.h"

#include <httplib.h>

#include <chrono>

#include "heap_test_helpers.h"

namespace pmt::testing {

IngestReceiver::IngestReceiver(int port) : server_(std::make_unique<httplib::Server>()) {
    server_->Post("/ingest", [this](const httplib::Request& req, httplib::Response& res) {
        IngestRequest r;
        r.name = req.get_param_value("name");
        r.from = req.get_param_value("from");
        r.until = req.get_param_value("until");
        r.format = req.get_param_value("format");
        r.multipart = req.is_multipart_form_data() && req.has_file("profile");
        r.profile = r.multipart ? req.get_file_value("profile").content : req.body;
        {
            std::lock_guard lock(mutex_);
            got_.push_back(std::move(r));
        }
        arrived_.notify_all();
        res.status = 200;
    });
    if (!server_->bind_to_port("127.0.0.1", port)) return;
    listening_ = true;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    listening_ = wait_for_port(port, 10);
}

IngestReceiver::~IngestReceiver() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
}

std::vector<IngestRequest> IngestReceiver::requests() const {
    std::lock_guard lock(mutex_);
    return got_;
}

bool IngestReceiver::wait_for(size_t n, double seconds) const {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return got_.size() >= n; });
}

}  // namespace pmt::testing
