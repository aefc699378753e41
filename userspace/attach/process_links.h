// The uprobe links of each traced process. Uprobes are attached per process
// (a PID filter), so that no other process running the same PHP binary takes a
// single trap: each traced process, and each child it forks, gets its own links.
//
// Closing a link waits for an SRCU grace period (tens of milliseconds here).
// The links of a process that exited are inert, so they are closed by a
// background thread (retire), never in the record loop; everything still open
// is closed in parallel at the end (clear).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "attach/bpf_handles.h"
#include "attach/uprobe_multi.h"

namespace pmt {

struct ProbeLinks {
    std::vector<BpfLink> perf;             // one perf-event uprobe per function (no multi links)
    std::vector<UprobeMultiLink> multi;    // or one multi-uprobe link per program
};

class ProcessLinks {
public:
    ProcessLinks() = default;
    ProcessLinks(const ProcessLinks&) = delete;
    ProcessLinks& operator=(const ProcessLinks&) = delete;
    ~ProcessLinks() { clear(); }

    ProbeLinks& of(pid_t pid) { return by_pid_[pid]; }
    bool has(pid_t pid) const { return by_pid_.count(pid) != 0; }
    // Detaches the probes of one process now (an attach that failed half-way).
    void drop(pid_t pid) { by_pid_.erase(pid); }
    // Detaches the probes of a process that exited, in the background.
    void retire(pid_t pid);
    size_t processes() const { return by_pid_.size(); }
    std::vector<pid_t> pids() const {
        std::vector<pid_t> out;
        for (const auto& entry : by_pid_) out.push_back(entry.first);
        return out;
    }
    // Detaches every link, retired ones included, and waits for it: the waits for
    // the grace periods are shared between threads.
    void clear();

private:
    void close_retired();

    std::unordered_map<pid_t, ProbeLinks> by_pid_;
    std::mutex mutex_;  // guards retired_ and stopping_
    std::condition_variable wake_;
    std::deque<ProbeLinks> retired_;
    bool stopping_ = false;
    std::thread closer_;  // started at the first retire()
};

}  // namespace pmt
