// Owns heap.bpf.c: configured for one PHP binary, sharing the allocation object's
// ring buffer, process set, counters and function-name cache, and attached to the
// heap's chunk functions, the garbage collector, zend_error_zstr_at and the request
// boundaries. Links are destroyed before the object, on every path.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attach/bpf_handles.h"
#include "attach/memtrace_probes.h"
#include "attach/process_links.h"
#include "attach/uprobe_multi.h"
#include "heap/zend_heap_discovery.h"
#include "target/php_binary.h"
#include "util/result.h"

struct heap_bpf;

namespace pmt {

struct HeapProbeOptions {
    uint32_t max_frames = PMT_DEFAULT_FRAMES;
    bool follow_forks = true;
    bool use_uprobe_multi = true;  // one multi-uprobe link per program when the kernel has them
};

class HeapProbes {
public:
    // Loads the object and finds the probe points. Probes whose function is
    // missing are skipped and listed in missing() (e.g. no chunk functions
    // recognised: no chunk records).
    static Result<std::unique_ptr<HeapProbes>> start(const PhpBinary& php, MemtraceProbes& shared,
                                                     const HeapProbeOptions& options);
    // Puts the heap probes on process `pid` only (see MemtraceProbes::attach_to).
    Status attach_to(pid_t pid);
    void detach_from(pid_t pid) { process_links_.drop(pid); }
    ~HeapProbes();
    HeapProbes(const HeapProbes&) = delete;
    HeapProbes& operator=(const HeapProbes&) = delete;

    const ZendHeapProbePoints& points() const { return points_; }
    const std::vector<std::string>& missing() const { return missing_; }

private:
    HeapProbes() = default;
    struct Probe {
        uint64_t vaddr;    // link-time address of the probed function
        std::string what;  // its name, for messages
        uint32_t kind;     // cookie kind: which handler of the dispatcher runs
        bool has_return;   // also a return probe
    };
    Status attach_all(pid_t pid, ProbeLinks& into);

    struct SkelDeleter {
        void operator()(heap_bpf* skel) const;
    };
    std::unique_ptr<heap_bpf, SkelDeleter> skel_;
    ProcessLinks process_links_;  // declared after skel_: destroyed first
    std::vector<Probe> present_;  // the probe points found in the binary
    bool use_multi_ = false;
    const PhpBinary* php_ = nullptr;
    ZendHeapProbePoints points_;
    std::vector<std::string> missing_;
};

}  // namespace pmt
