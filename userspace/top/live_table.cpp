#include "top/live_table.h"

#include <algorithm>

namespace pmt {

void LiveTable::on_block(uint32_t pid, uint32_t stack, uint64_t size, bool added, uint64_t used_now) {
    ProcessLive& p = processes_[pid];
    StackLive& s = p.stacks[stack];
    if (added) {
        p.alloc_count += 1;
        p.alloc_bytes += size;
        s.alloc_count += 1;
        s.alloc_bytes += size;
        s.live_count += 1;
        s.live_bytes += size;
    } else {
        p.free_count += 1;
        p.free_bytes += size;
        // A block counted before a reset can be released after it: live only.
        s.live_count -= std::min<uint64_t>(s.live_count, 1);
        s.live_bytes -= std::min(s.live_bytes, size);
    }
    p.peak_used = std::max(p.peak_used, used_now);
}

void LiveTable::on_request_end(uint32_t pid, const std::string& uri, uint64_t peak_bytes) {
    auto& peaks = processes_[pid].uri_peaks;
    auto it = peaks.find(uri);
    if (it == peaks.end()) it = peaks.size() < kMaxUris ? peaks.try_emplace(uri).first : peaks.try_emplace(kOtherUris).first;
    it->second.peak_bytes = std::max(it->second.peak_bytes, peak_bytes);
    it->second.requests += 1;
}

void LiveTable::reset(const std::unordered_map<uint32_t, uint64_t>& used_now) {
    for (auto& [pid, p] : processes_) {
        p.alloc_count = p.alloc_bytes = p.free_count = p.free_bytes = 0;
        p.gc_runs = 0;
        p.uri_peaks.clear();
        auto used = used_now.find(pid);
        p.peak_used = used == used_now.end() ? 0 : used->second;
        for (auto it = p.stacks.begin(); it != p.stacks.end(); ++it) {
            it.value().alloc_bytes = 0;
            it.value().alloc_count = 0;
        }
    }
}

const LiveTable::ProcessLive* LiveTable::find(uint32_t pid) const {
    auto it = processes_.find(pid);
    return it == processes_.end() ? nullptr : &it->second;
}

}  // namespace pmt
