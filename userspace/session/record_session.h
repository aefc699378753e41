// One `phpmemtrace record` session: find the target, load and attach the probes,
// stream records into the collector until the target ends, the duration is over
// or the user presses Ctrl-C, and produce the Profile.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "attach/memtrace_probes.h"
#include "collect/collector.h"
#include "model/profile.h"
#include "util/result.h"

namespace pmt {

struct RecordOptions {
    std::optional<pid_t> pid;             // attach to a running process
    std::vector<std::string> command;     // or launch this command
    std::optional<double> duration_s;     // stop after this long
    ProbeOptions probes;
    size_t max_stacks = StackTable::kDefaultMaxStacks;  // bound of the collector's stack table
    bool verbose = false;
    // Written (with the word "ready") once every probe is attached: scripts and
    // tests that attach to a running server wait for it before sending requests.
    std::string ready_file;
};

// Lets other tracers (page faults, heap structure) join a session: before_start
// is called after the allocator probes are loaded and before the target runs;
// attach_to puts the tracer's uprobes on one process (the target, then each child
// it forks), detach_from takes them off one that exited.
struct SessionHooks {
    std::function<Status(MemtraceProbes&, Collector&, const PhpBinary&)> before_start;
    std::function<Status(pid_t)> attach_to;
    std::function<void(pid_t)> detach_from;
    std::function<void(Profile&)> finish;
};

Result<Profile> run_record_session(const RecordOptions& options, const std::vector<SessionHooks>& hooks = {});

// Set by SIGINT/SIGTERM handlers; ends the session cleanly.
void request_session_stop();

}  // namespace pmt
