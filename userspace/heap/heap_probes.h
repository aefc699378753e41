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
#include "heap/zend_heap_discovery.h"
#include "target/php_binary.h"
#include "util/result.h"

struct heap_bpf;

namespace pmt {

struct HeapProbeOptions {
    uint32_t max_frames = PMT_DEFAULT_FRAMES;
    bool follow_forks = true;
};

class HeapProbes {
public:
    // Loads and attaches. Probes whose function is missing are skipped and listed
    // in missing() (e.g. no chunk functions recognised: no chunk records).
    static Result<std::unique_ptr<HeapProbes>> start(const PhpBinary& php, MemtraceProbes& shared,
                                                     const HeapProbeOptions& options);
    ~HeapProbes();
    HeapProbes(const HeapProbes&) = delete;
    HeapProbes& operator=(const HeapProbes&) = delete;

    const ZendHeapProbePoints& points() const { return points_; }
    const std::vector<std::string>& missing() const { return missing_; }

private:
    HeapProbes() = default;
    Status attach(const char* program, uint64_t vaddr, const std::string& what, uint32_t kind, bool retprobe);

    struct SkelDeleter {
        void operator()(heap_bpf* skel) const;
    };
    std::unique_ptr<heap_bpf, SkelDeleter> skel_;
    std::vector<BpfLink> links_;  // declared after skel_: destroyed first
    const PhpBinary* php_ = nullptr;
    ZendHeapProbePoints points_;
    std::vector<std::string> missing_;
};

}  // namespace pmt
