// Per-process figures top needs and the Collector does not keep: each process's
// allocation and release totals, its peak, its GC runs, and its own per-stack
// figures (the Collector's stack figures are summed over every process). Fed by
// the Collector's block observer, so it costs a hash lookup per block.
#pragma once

#include <tsl/robin_map.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace pmt {

class LiveTable {
public:
    struct StackLive {
        uint64_t live_bytes = 0, live_count = 0;
        uint64_t alloc_bytes = 0, alloc_count = 0;
    };
    // The highest peak of a URI's requests in a process (FPM), and how many there were.
    struct UriPeak {
        uint64_t peak_bytes = 0;
        uint64_t requests = 0;
    };
    // URIs kept per process; the rest count under kOtherUris (query strings are
    // not part of the URI, but a site can still have many).
    static constexpr size_t kMaxUris = 200;
    static constexpr const char* kOtherUris = "[other URIs]";
    struct ProcessLive {
        uint64_t alloc_count = 0, alloc_bytes = 0;
        uint64_t free_count = 0, free_bytes = 0;
        uint64_t peak_used = 0;
        uint64_t gc_runs = 0;
        tsl::robin_map<uint32_t, StackLive> stacks;
        std::unordered_map<std::string, UriPeak> uri_peaks;
    };

    // A block added to (or removed from) a process's model; `used_now` is the
    // process's heap size with the change.
    void on_block(uint32_t pid, uint32_t stack, uint64_t size, bool added, uint64_t used_now);
    void on_gc_run(uint32_t pid) { ++processes_[pid].gc_runs; }
    // PHP's own peak (heap->peak) of a process attached mid-run.
    void note_peak(uint32_t pid, uint64_t peak) {
        auto& p = processes_[pid];
        if (peak > p.peak_used) p.peak_used = peak;
    }
    // A request ended (its script did): its URI and the heap's peak during it.
    void on_request_end(uint32_t pid, const std::string& uri, uint64_t peak_bytes);
    // Totals and peaks from zero (peaks from what is used now); live figures stay.
    void reset(const std::unordered_map<uint32_t, uint64_t>& used_now);

    void forget(uint32_t pid) { processes_.erase(pid); }
    const ProcessLive* find(uint32_t pid) const;
    const std::unordered_map<uint32_t, ProcessLive>& processes() const { return processes_; }
    // Calls fn on each of these processes that the table knows, or on every
    // process when `pids` is empty (the view's "all processes").
    template <typename Fn>
    void for_each_of(const std::vector<uint32_t>& pids, Fn&& fn) const {
        if (pids.empty()) {
            for (const auto& [pid, p] : processes_) fn(p);
            return;
        }
        for (uint32_t pid : pids)
            if (const ProcessLive* p = find(pid)) fn(*p);
    }

private:
    std::unordered_map<uint32_t, ProcessLive> processes_;
};

}  // namespace pmt
