// Owns the page-fault BPF object (faults.bpf.c) and what attaches it: two
// tracepoints and two software perf events per online CPU. Everything is released
// in the destructor (links first, which close their perf events, then the object).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attach/bpf_handles.h"
#include "attach/bpf_load.h"
#include "attach/process_links.h"
#include "attach/uprobe_attach.h"
#include "model/faults.h"
#include "phpmemtrace.h"
#include "util/result.h"

struct faults_bpf;

namespace pmt {

struct FaultTracerOptions {
    pmt_config config{};  // the same configuration as the allocation object's
    uint32_t max_frames = PMT_FAULT_DEFAULT_FRAMES;  // PHP frames per fault (<= config.max_frames)
    // The allocation object's maps; -1: this object's own (standalone use, tests).
    SharedMaps shared;
    uint32_t own_ringbuf_bytes = 16u << 20;  // when shared.events == -1
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

    // The uprobes on a target's snapshot-restore functions (restore_functions.h),
    // entry and return of each, for the session to attach per process. The
    // cookie's argument is the function's index.
    std::vector<ResolvedProbe> restore_probes(const std::vector<uint64_t>& file_offsets) const;
    // Standalone use (tests): attaches them to `pid` of `binary` (-1: every process).
    Status attach_restore_functions(const std::string& binary, const std::vector<uint64_t>& file_offsets,
                                    pid_t pid = -1);

    // The maps in use (shared ones, or this object's own).
    int traced_fd() const;
    int events_fd() const;
    // Sums of faults.bpf.c's per-CPU counters.
    FaultCounters counters() const;
    size_t perf_event_count() const { return perf_links_; }

private:
    FaultTracer() = default;
    Status attach(const FaultTracerOptions& options);

    struct SkelDeleter {
        void operator()(faults_bpf* skel) const;
    };
    std::unique_ptr<faults_bpf, SkelDeleter> skel_;
    // Declared after skel_: destroyed first.
    std::vector<BpfLink> links_;  // raw tracepoints and perf events
    ProbeLinks restore_links_;    // standalone restore probes
    size_t perf_links_ = 0;
};

// CPUs listed in /sys/devices/system/cpu/online ("0-3,5").
std::vector<int> online_cpus();
std::vector<int> parse_cpu_list(const std::string& text);

}  // namespace pmt
