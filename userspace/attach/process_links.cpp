#include "attach/process_links.h"

#include <thread>

namespace pmt {

void ProcessLinks::clear() {
    std::vector<BpfLink> perf;
    std::vector<UprobeMultiLink> multi;
    for (auto& [pid, links] : by_pid_) {
        for (auto& l : links.perf) perf.push_back(std::move(l));
        for (auto& l : links.multi) multi.push_back(std::move(l));
    }
    by_pid_.clear();
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
