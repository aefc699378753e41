// The allocator probes: loads memtrace.bpf.c configured for one PHP binary and
// attaches it to every exported entry point of the Zend memory manager.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attach/bpf_handles.h"
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
    // Attach the uprobes for this process only (-1: every process running the binary;
    // the BPF side still only records processes in the `traced` map).
    pid_t uprobe_pid = -1;
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

    // Attaches every probe; fails if a mandatory one cannot be attached.
    Status attach();
    // Starts recording a process (and, with follow_forks, its future children).
    // `running`: attached mid-run, so allocations outside PHP frames are not start-up.
    Status trace_process(pid_t tgid, bool running = false);
    // Fold the kernel-side counters into `counters`.
    void read_counters(Counters& counters) const;
    int ring_buffer_fd() const;
    size_t attached_probes() const { return attached_probes_; }
    bool uses_uprobe_multi() const { return options_.use_uprobe_multi; }
    memtrace_bpf* skeleton() { return skel_.get(); }

private:
    MemtraceProbes() = default;
    Status attach_uprobe(const char* program, const AllocatorProbe& probe, bool retprobe);
    Status attach_multi(const std::vector<AllocatorProbe>& probes);
    Status attach_process_tracepoints();  // raw tracepoints: fork and exit

    struct SkelDeleter {
        void operator()(memtrace_bpf* skel) const;
    };
    std::unique_ptr<memtrace_bpf, SkelDeleter> skel_;
    std::vector<BpfLink> links_;
    std::vector<UprobeMultiLink> multi_links_;
    size_t attached_probes_ = 0;
    const PhpBinary* php_ = nullptr;
    ProbeOptions options_;
};

// Raises libbpf's log level only for errors, with a short prefix.
void quiet_libbpf_logging(bool verbose);

}  // namespace pmt
