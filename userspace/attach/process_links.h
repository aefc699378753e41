// The uprobe links of each traced process. Uprobes are attached per process
// (a PID filter), so that no other process running the same PHP binary takes a
// single trap: each traced process, and each child it forks, gets its own links.
#pragma once

#include <sys/types.h>

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
    // Detaches everything, in parallel (see clear()).
    ~ProcessLinks() { clear(); }

    ProbeLinks& of(pid_t pid) { return by_pid_[pid]; }
    bool has(pid_t pid) const { return by_pid_.count(pid) != 0; }
    // Detaches the probes of one process (it exited).
    void drop(pid_t pid) { by_pid_.erase(pid); }
    size_t processes() const { return by_pid_.size(); }
    // Detaches every link. Each detach waits for an SRCU grace period; waiting
    // for them from several threads shares the waits.
    void clear();

private:
    std::unordered_map<pid_t, ProbeLinks> by_pid_;
};

}  // namespace pmt
