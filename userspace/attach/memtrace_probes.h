// The allocation object (memtrace.bpf.c), configured for one PHP binary: the
// allocator and request probes of the probe table, the process events, and the
// maps every other object of the session shares (ring buffer, traced set,
// counters, function-name cache).
#pragma once

#include <sys/types.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attach/bpf_handles.h"
#include "attach/bpf_load.h"
#include "attach/uprobe_attach.h"
#include "model/profile.h"
#include "target/php_binary.h"
#include "util/result.h"

struct memtrace_bpf;

namespace pmt {

struct ProbeOptions {
    uint32_t max_frames = PMT_DEFAULT_FRAMES;
    uint32_t ringbuf_mb = 16;
    bool follow_forks = true;
    // One multi-uprobe link per program (fast attach and detach) when the kernel
    // has them; otherwise one perf-event link per probe.
    bool use_uprobe_multi = true;
    // The agent: only the heap's slow paths (refills, large and huge blocks),
    // never a trap per allocation (probe_table.h, docs/agent.md).
    bool slow_paths_only = false;
    // The function-name cache (announced_funcs): for sessions that run for days
    // through processes that come and go (agent, top), an LRU that evicts the
    // names of processes long gone; the kernel preallocates and zeroes all of it
    // (~27 MB, 17-40 ms at load). A record session is bounded, so it gets a hash
    // that grows with use; if it fills, a function is announced again at each
    // use (names are never lost, records only cost more ring space).
    bool evicting_function_cache = true;
    // The links group of each probe kind (pmt_proc_state.traps): a session
    // attaches each group to a process as links of its own, so that one group can
    // be taken off one process (the agent's --max-overhead). All 0: one group.
    std::array<uint8_t, PMT_PROBE__MAX> trap_group{};
};

class MemtraceProbes {
public:
    // Opens and configures the object and creates the maps the session shares,
    // so that other objects can be loaded at the same time (the verifier's time
    // is most of a session's start). load_programs() loads it.
    static Result<std::unique_ptr<MemtraceProbes>> open(const PhpBinary& php, const ProbeOptions& options);
    Status load_programs();
    // open() and load_programs().
    static Result<std::unique_ptr<MemtraceProbes>> load(const PhpBinary& php, const ProbeOptions& options);
    ~MemtraceProbes();
    MemtraceProbes(const MemtraceProbes&) = delete;
    MemtraceProbes& operator=(const MemtraceProbes&) = delete;

    // The process events (fork, exit and exec raw tracepoints), once per session.
    Status attach_process_events();
    // Its probes, for the session to attach per process.
    const std::vector<ResolvedProbe>& uprobes() const { return uprobes_; }
    // Starts recording a process (and, with follow_forks, its future children).
    // `running`: attached mid-run, so allocations outside PHP frames are not start-up.
    Status trace_process(pid_t tgid, bool running = false);
    // Empties the traced set: every program returns at its first lookup.
    void stop_tracing();
    // Fold the kernel-side counters into `counters`.
    void read_counters(Counters& counters) const;
    // Entry-probe hits of traced processes so far, indexed by enum pmt_probe_kind.
    std::vector<uint64_t> trap_counts() const;
    // One traced process's entry hits so far, per trap group; nullopt: not traced.
    std::optional<std::array<uint64_t, PMT_TRAP_GROUPS>> process_traps(pid_t tgid) const;
    int ring_buffer_fd() const;
    // What the other objects of the session load with and share.
    const pmt_config& config() const { return config_; }
    SharedMaps shared_maps() const;
    const ProbeOptions& options() const { return options_; }

private:
    MemtraceProbes() = default;

    struct SkelDeleter {
        void operator()(memtrace_bpf* skel) const;
    };
    std::unique_ptr<memtrace_bpf, SkelDeleter> skel_;
    std::vector<BpfLink> event_links_;  // raw tracepoints; declared after skel_: destroyed first
    std::vector<ResolvedProbe> uprobes_;
    const PhpBinary* php_ = nullptr;
    pmt_config config_{};
    ProbeOptions options_;
};

// Raises libbpf's log level only for errors, with a short prefix.
void quiet_libbpf_logging(bool verbose);

}  // namespace pmt
