// Owns the page-fault BPF object (faults.bpf.c) and what attaches it: two
// tracepoints and two software perf events per online CPU. Everything is released
// in the destructor (links first, which close their perf events, then the object).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/faults.h"
#include "phpmemtrace.h"
#include "util/result.h"

struct faults_bpf;
struct bpf_link;

namespace pmt {

struct FaultTracerOptions {
    pmt_config config{};  // the same configuration as the allocation object's
    uint32_t max_frames = PMT_FAULT_DEFAULT_FRAMES;  // PHP frames per fault (<= config.max_frames)
    // File descriptors of the allocation object's maps to share (bpf_map__fd of
    // memtrace's `traced`, `events`, `counters`, `announced_funcs`); -1: use this
    // object's own map (standalone use, tests).
    int traced_fd = -1;
    int events_fd = -1;
    int counters_fd = -1;
    int announced_funcs_fd = -1;
    uint32_t own_ringbuf_bytes = 16u << 20;  // when events_fd == -1
    // Look the VMA up in BPF (exact, ~0.5 us per fault here); false: user space
    // classifies from /proc/PID/maps (a forked child that exited: its parent's).
    bool vma_lookup = true;
};

class FaultTracer {
public:
    // Opens, configures, loads and attaches. The error is one line saying which
    // facility is missing (tracepoint, perf event, BPF program type).
    static Result<std::unique_ptr<FaultTracer>> start(const FaultTracerOptions& options);
    ~FaultTracer();
    FaultTracer(const FaultTracer&) = delete;
    FaultTracer& operator=(const FaultTracer&) = delete;

    // Uprobes on the target's snapshot-restore functions (restore_functions.h):
    // entry and return of each, for processes in the traced set. pid -1: every
    // process running `binary`. The attach cookie is the function's index.
    Status attach_restore_functions(const std::string& binary, const std::vector<uint64_t>& file_offsets,
                                    int pid = -1);

    // The maps in use (shared ones, or this object's own).
    int traced_fd() const;
    int events_fd() const;
    // Sums of faults.bpf.c's per-CPU counters.
    FaultCounters counters() const;
    size_t perf_event_count() const { return perf_links_; }

private:
    FaultTracer() = default;
    Status attach(const FaultTracerOptions& options);

    faults_bpf* skel_ = nullptr;
    std::vector<bpf_link*> links_;
    size_t perf_links_ = 0;
};

// CPUs listed in /sys/devices/system/cpu/online ("0-3,5").
std::vector<int> online_cpus();
std::vector<int> parse_cpu_list(const std::string& text);

}  // namespace pmt
