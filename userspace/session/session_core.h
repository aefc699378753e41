// The one pipeline of record (and of top and the agent): find the target, load
// and attach the probes of the core and of each module, follow the processes,
// stream records into the Collector, and produce the Profile.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attach/bpf_handles.h"
#include "attach/memtrace_probes.h"
#include "attach/process_links.h"
#include "collect/collector.h"
#include "model/profile.h"
#include "session/session_module.h"
#include "target/launcher.h"
#include "target/php_binary.h"
#include "util/result.h"
#include "util/unique_fd.h"

namespace pmt {

struct SessionOptions {
    std::optional<pid_t> pid;             // attach to a running process
    std::vector<std::string> command;     // or launch this command
    // Attach by PID: more running processes of the same PHP binary (top -p A B ...);
    // `pid` stays the main one (its exit is target_ended()).
    std::vector<pid_t> more_pids;
    ProbeOptions probes;
    size_t max_stacks = StackTable::kDefaultMaxStacks;  // bound of the collector's stack table
    // false: attach everything but never register the target in the traced set, so
    // every program returns at its first lookup (benchmarks: the dispatch's cost).
    bool trace_target = true;
    // Freeze the figures when the main process's script ends (record: what it
    // held then). The agent runs on: never.
    bool freeze_at_script_end = true;
    // The agent: the service of each process (CollectorOptions::service_of).
    std::function<std::string(uint32_t tgid)> service_of;
};

// When each phase of a session ended (monotonic_ns(); 0: not reached).
struct SessionPhases {
    uint64_t binary_ns = 0;    // the PHP binary read (symbols, offsets, heap layout)
    uint64_t loaded_ns = 0;    // every BPF object loaded (the verifier), every module started
    uint64_t attached_ns = 0;  // every uprobe on the target
    uint64_t released_ns = 0;  // a launched command let go to exec (release_target())
    uint64_t ended_ns = 0;     // the target was seen to end (target_ended())
    uint64_t drained_ns = 0;   // the last records handled
    uint64_t finished_ns = 0;  // the Profile made, every module's part in it
    uint64_t detached_ns = 0;  // every uprobe link closed here, or handed to the closer
    bool detached_in_background = false;  // by the closer process (detach_after_exit())
};

// Monotonic nanoseconds, the clock of bpf_ktime_get_ns().
uint64_t monotonic_ns();

class Session {
public:
    // Everything up to the start: binary, probes, collector, modules, every
    // uprobe on the target (a launched command is held before exec).
    static Result<std::unique_ptr<Session>> open(const SessionOptions& options,
                                                 std::vector<std::unique_ptr<SessionModule>> modules);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Sees every raw record before the Collector (capture tools).
    void set_record_tap(std::function<void(const void* data, size_t size)> tap) { tap_ = std::move(tap); }
    // Lets a launched command exec (nothing to do when attached by PID).
    Status release_target();
    // Waits up to timeout_ms, or until the target ends, then handles what arrived.
    Status poll(int timeout_ms);
    // The launched command exited or the attached process is gone.
    bool target_ended();
    // Attach by PID: traces one more running process of the session's binary (top
    // --all, the agent: a PHP process found since), with every probe of the session,
    // its children too. Its heap before now is its baseline.
    Status add_running_process(pid_t pid);
    bool traces(pid_t pid) const { return links_.has(pid); }
    // The agent's budget: one group of probes (ProbeOptions::trap_group) taken
    // off a traced process (its breakpoints go, in the background; the process
    // stays traced) and put back. Putting back fails while the group's earlier
    // links are still being closed (try again later).
    void detach_group(pid_t pid, uint32_t group);
    Status attach_group(pid_t pid, uint32_t group);
    // What has been seen so far, the session running on (top's writes): the
    // Collector's figures and the kernel's counters. Module parts (heap timeline,
    // fault report) are only made by finish(). Costs a copy of the stack and
    // symbol tables (bounded by max_stacks / max_symbols).
    Profile snapshot() const;
    // The kernel side's counters (lost records, ...) as of now.
    void read_kernel_counters(Counters& counters) const { allocations_->read_counters(counters); }
    // Handles what is left in the ring buffer, stops tracing (the programs return
    // at their first lookup) and returns the profile with every module's part and
    // the kernel's counters. Then the Collector and the modules are released (the
    // profile holds their results); the uprobes stay attached until detach().
    Profile finish();
    std::vector<pid_t> traced_processes() const { return links_.pids(); }
    const MemtraceProbes& allocations() const { return *allocations_; }
    // Closes every uprobe link (SRCU grace periods): after the outputs are
    // written, off the user's critical path. The destructor does it otherwise.
    void detach();
    // Hands the links to a closer process that detaches them once this process
    // has exited (attach/link_teardown.h), so that neither the user's command nor
    // the target waits for the grace periods. Closes them here if it cannot.
    void detach_after_exit();

    pid_t main_pid() const { return main_pid_; }
    bool launched() const { return child_.has_value(); }
    const PhpBinary& php() const { return *php_; }
    const std::string& image() const { return image_; }
    std::optional<int> wait_status() const { return wait_status_; }
    Collector& collector() { return *collector_; }  // until finish()
    uint64_t start_ns() const { return start_ns_; }
    const SessionPhases& phases() const { return phases_; }

private:
    Session() = default;
    Status open_target(const SessionOptions& options);
    Status load_probes(const SessionOptions& options);
    Status attach_target(const SessionOptions& options);
    Status attach_to(pid_t pid);
    Status attach_group_links(pid_t pid, uint32_t group);
    uint32_t trap_group_of(const ResolvedProbe& probe) const;
    Status same_php_image(pid_t pid) const;
    void detach_from(pid_t pid);
    void follow_processes();
    static int on_ring_record(void* ctx, void* data, size_t size);

    std::string image_;
    std::unique_ptr<PhpBinary> php_;
    std::optional<HeldChild> child_;
    pid_t main_pid_ = 0;
    std::vector<pid_t> running_;  // attached by PID: the processes already running
    bool waiting_for_target_ = false;  // target_fd_ is in wait_fd_'s set
    uint64_t start_ns_ = 0;
    SessionPhases phases_;
    std::optional<int> wait_status_;
    std::unique_ptr<MemtraceProbes> allocations_;
    std::vector<std::unique_ptr<SessionModule>> modules_;
    std::unique_ptr<Collector> collector_;
    std::vector<ResolvedProbe> uprobes_;  // every object's, attached per process
    ProcessLinks links_;                  // declared after the objects: destroyed first
    RingBuffer ring_;
    // Woken by the ring buffer (when the BPF side wakes it) or by the target's exit.
    UniqueFd target_fd_;  // pidfd of the main target
    UniqueFd wait_fd_;    // epoll: the ring's epoll fd and target_fd_
    std::function<void(const void*, size_t)> tap_;
    bool finished_ = false;
};

}  // namespace pmt
