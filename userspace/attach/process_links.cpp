#include "attach/process_links.h"

namespace pmt {

void ProcessLinks::retire(pid_t pid) {
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        retired_.push_back(std::move(it->second));
    }
    by_pid_.erase(it);
    if (!closer_.joinable()) closer_ = std::thread([this] { close_retired(); });
    wake_.notify_one();
}

void ProcessLinks::close_retired() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || !retired_.empty(); });
        if (retired_.empty()) return;  // stopping, nothing left
        ProbeLinks links = std::move(retired_.front());
        retired_.pop_front();
        lock.unlock();
        links = {};  // the grace periods, outside the lock
        lock.lock();
    }
}

void ProcessLinks::clear() {
    std::vector<BpfLink> perf;
    std::vector<UprobeMultiLink> multi;
    auto take = [&](ProbeLinks& links) {
        for (auto& l : links.perf) perf.push_back(std::move(l));
        for (auto& l : links.multi) multi.push_back(std::move(l));
    };
    for (auto& [pid, links] : by_pid_) take(links);
    by_pid_.clear();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& links : retired_) take(links);
        retired_.clear();
        stopping_ = true;
    }
    wake_.notify_one();
    if (closer_.joinable()) closer_.join();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = false;  // usable again
    }
    constexpr size_t kThreads = 16;
    std::vector<std::thread> threads;
    for (size_t t = 0; t < kThreads && t < perf.size() + multi.size(); ++t)
        threads.emplace_back([&, t] {
            for (size_t i = t; i < perf.size(); i += kThreads) perf[i].reset();
            for (size_t i = t; i < multi.size(); i += kThreads) multi[i] = UprobeMultiLink();
        });
    for (auto& th : threads) th.join();
}

}  // namespace pmt
