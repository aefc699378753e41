// The allocator probes: loads memtrace.bpf.c configured for one PHP binary and
// attaches it to every exported entry point of the Zend memory manager.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attach/bpf_handles.h"
#include "attach/process_links.h"
#include "attach/uprobe_multi.h"
#include "model/profile.h"
#include "target/php_binary.h"
#include "util/result.h"

struct memtrace_bpf;

namespace pmt {

// One probed function of the Zend memory manager and the programs that serve it.
struct AllocatorProbe {
    std::string function;
    uint32_t kind;           // enum pmt_probe_kind
    uint32_t arg;            // fixed size N of _emalloc_N / _efree_N
    const char* entry;       // program run at entry
    const char* exit;        // program run at return, nullptr: entry only
    bool required;           // missing symbol is an error
};

// Every exported allocator entry point phpmemtrace probes (wrappers that call or
// jump to these are not probed, so nothing is counted twice).
std::vector<AllocatorProbe> allocator_probes();

// Where a probe goes in `php` (file offset) and its cookie; nullopt when its
// function is absent and not required, an error when it is required.
Result<std::optional<UprobeMultiTarget>> resolve_probe_target(const PhpBinary& php, const AllocatorProbe& probe);

struct ProbeOptions {
    uint32_t max_frames = PMT_DEFAULT_FRAMES;
    uint32_t ringbuf_mb = 16;
    bool follow_forks = true;
    // One multi-uprobe link per program (fast attach and detach) when the kernel
    // has them; otherwise one perf-event link per probe.
    bool use_uprobe_multi = true;
};

class MemtraceProbes {
public:
    static Result<std::unique_ptr<MemtraceProbes>> load(const PhpBinary& php, const ProbeOptions& options);
    ~MemtraceProbes();
    MemtraceProbes(const MemtraceProbes&) = delete;
    MemtraceProbes& operator=(const MemtraceProbes&) = delete;

    // The process events (fork, exit and exec raw tracepoints), once per session.
    Status attach_process_events();
    // Puts every allocator probe on process `pid` only (a PID filter): no other
    // process of the binary takes a trap. Fails if a mandatory probe cannot be
    // attached. Called for the target and for each child it forks.
    Status attach_to(pid_t pid);
    // Detaches the probes of a process that has exited.
    void detach_from(pid_t pid) { process_links_.drop(pid); }
    // Starts recording a process (and, with follow_forks, its future children).
    // `running`: attached mid-run, so allocations outside PHP frames are not start-up.
    Status trace_process(pid_t tgid, bool running = false);
    // Fold the kernel-side counters into `counters`.
    void read_counters(Counters& counters) const;
    int ring_buffer_fd() const;
    bool uses_uprobe_multi() const { return options_.use_uprobe_multi; }
    memtrace_bpf* skeleton() { return skel_.get(); }

private:
    MemtraceProbes() = default;
    Status attach_uprobe(const char* program, const AllocatorProbe& probe, bool retprobe, pid_t pid,
                         ProbeLinks& into);
    Status attach_multi(const std::vector<AllocatorProbe>& probes, pid_t pid, ProbeLinks& into);

    struct SkelDeleter {
        void operator()(memtrace_bpf* skel) const;
    };
    std::unique_ptr<memtrace_bpf, SkelDeleter> skel_;
    std::vector<BpfLink> event_links_;  // raw tracepoints; declared after skel_: destroyed first
    ProcessLinks process_links_;
    const PhpBinary* php_ = nullptr;
    ProbeOptions options_;
};

// Raises libbpf's log level only for errors, with a short prefix.
void quiet_libbpf_logging(bool verbose);

}  // namespace pmt
