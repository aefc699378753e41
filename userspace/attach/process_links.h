// The uprobe links of each traced process. Uprobes are attached per process
// (a PID filter), so that no other process running the same PHP binary takes a
// single trap: each traced process, and each child it forks, gets its own links.
//
// Closing a link waits for an SRCU grace period (tens of milliseconds here).
// The links of a process that exited are inert, so they are closed by a
// background thread (retire), never in the record loop; everything still open
// is closed in parallel at the end (clear).
//
// A process's probes are attached in groups (ProbeOptions::trap_group), each its
// own links, so that one group can be taken off one running process
// (retire_group: its breakpoints go, the process stays traced) and put back
// once those links are closed.
#pragma once

#include <sys/types.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <set>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "attach/bpf_handles.h"
#include "attach/uprobe_multi.h"
#include "phpmemtrace.h"

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

    // One group's links of a process (the process is known from then on).
    ProbeLinks& of(pid_t pid, uint32_t group = 0) { return by_pid_[pid][group]; }
    bool has(pid_t pid) const { return by_pid_.count(pid) != 0; }
    bool has_group(pid_t pid, uint32_t group) const;
    // Detaches one group of a running process in the background, entry probes
    // first (a call entered meanwhile still finds its return probe).
    void retire_group(pid_t pid, uint32_t group);
    // A group retired from `pid` whose links are not closed yet: attaching it
    // again now would run its programs twice per hit.
    bool closing(pid_t pid, uint32_t group) const;
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
    using Groups = std::array<ProbeLinks, PMT_TRAP_GROUPS>;
    struct Retired {
        ProbeLinks links;
        pid_t pid = 0;
        int group = -1;  // -1: a whole process that exited
    };
    void close_retired();
    void hand_to_closer(Retired retired);

    std::unordered_map<pid_t, Groups> by_pid_;
    mutable std::mutex mutex_;  // guards retired_, closing_ and stopping_
    std::condition_variable wake_;
    std::deque<Retired> retired_;
    std::multiset<std::pair<pid_t, int>> closing_;  // groups retired, not closed yet
    bool stopping_ = false;
    std::thread closer_;  // started at the first retire()
};

}  // namespace pmt
