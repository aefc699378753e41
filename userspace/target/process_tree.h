// Processes below a process, from /proc: the FPM workers a master forked before
// the tracer attached (those forked later are followed by the fork tracepoint).
#pragma once

#include <sys/types.h>

#include <vector>

namespace pmt {

// Children, grandchildren, ... of `pid` (not pid itself), parents before children.
std::vector<pid_t> descendant_processes(pid_t pid);

}  // namespace pmt
