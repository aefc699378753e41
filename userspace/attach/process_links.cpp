#include "attach/process_links.h"

#include <algorithm>

namespace pmt {

bool ProcessLinks::has_group(pid_t pid, uint32_t group) const {
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end() || group >= PMT_TRAP_GROUPS) return false;
    const ProbeLinks& links = it->second[group];
    return !links.perf.empty() || !links.multi.empty();
}

bool ProcessLinks::closing(pid_t pid, uint32_t group) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closing_.count({pid, int(group)}) != 0;
}

void ProcessLinks::hand_to_closer(Retired retired) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (retired.group >= 0) closing_.insert({retired.pid, retired.group});
        retired_.push_back(std::move(retired));
    }
    if (!closer_.joinable()) closer_ = std::thread([this] { close_retired(); });
    wake_.notify_one();
}

void ProcessLinks::retire(pid_t pid) {
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) return;
    Retired all;
    for (ProbeLinks& group : it->second) {
        for (auto& l : group.perf) all.links.perf.push_back(std::move(l));
        for (auto& l : group.multi) all.links.multi.push_back(std::move(l));
    }
    by_pid_.erase(it);
    hand_to_closer(std::move(all));
}

void ProcessLinks::retire_group(pid_t pid, uint32_t group) {
    if (!has_group(pid, group)) return;
    ProbeLinks& links = by_pid_[pid][group];
    Retired one{std::move(links), pid, int(group)};
    links = {};
    // Attached returns first (uprobe_attach.h): closed in the other order.
    std::reverse(one.links.perf.begin(), one.links.perf.end());
    std::reverse(one.links.multi.begin(), one.links.multi.end());
    hand_to_closer(std::move(one));
}

void ProcessLinks::close_retired() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || !retired_.empty(); });
        if (retired_.empty()) return;  // stopping, nothing left
        Retired retired = std::move(retired_.front());
        retired_.pop_front();
        lock.unlock();
        // The grace periods, outside the lock; in order within the vectors.
        for (auto& l : retired.links.perf) l.reset();
        for (auto& l : retired.links.multi) l = UprobeMultiLink();
        lock.lock();
        if (retired.group >= 0) {
            auto it = closing_.find({retired.pid, retired.group});
            if (it != closing_.end()) closing_.erase(it);
        }
    }
}

void ProcessLinks::clear() {
    std::vector<BpfLink> perf;
    std::vector<UprobeMultiLink> multi;
    auto take = [&](ProbeLinks& links) {
        for (auto& l : links.perf) perf.push_back(std::move(l));
        for (auto& l : links.multi) multi.push_back(std::move(l));
    };
    for (auto& [pid, groups] : by_pid_)
        for (ProbeLinks& links : groups) take(links);
    by_pid_.clear();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& retired : retired_) take(retired.links);
        retired_.clear();
        closing_.clear();
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
