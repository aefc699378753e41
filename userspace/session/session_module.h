// The interface by which a feature (heap structure, page faults, and whatever
// top and the agent add) joins a session's one pipeline.
//
// The session core owns the target, the allocation object (memtrace.bpf.c, whose
// maps every object shares), the Collector and its per-process model, and the
// uprobe links of every process. A module loads its own BPF object configured and
// sharing maps as the core says, registers the record kinds it wants with the
// Collector (which decodes each record once), declares its uprobes (rows of the
// probe table), and adds its results to the Profile at the end.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include "attach/memtrace_probes.h"
#include "attach/uprobe_attach.h"
#include "collect/collector.h"
#include "model/profile.h"
#include "target/php_binary.h"
#include "util/result.h"

namespace pmt {

struct SessionContext {
    const PhpBinary& php;
    const MemtraceProbes& allocations;  // config(), shared_maps(), options()
    Collector& collector;
    // Attached to running processes (else launched): these, which already have
    // a heap the tracer did not see being built.
    std::vector<pid_t> running_processes;
};

class SessionModule {
public:
    virtual ~SessionModule() = default;
    // Loads the module's BPF object and routes its records; before the target runs.
    virtual Status start(SessionContext& context) = 0;
    // Its uprobes: the session attaches them to each traced process.
    virtual std::vector<ResolvedProbe> uprobes() const { return {}; }
    // A running process joins the session (top --all): what it has already, like
    // SessionContext::running_processes at the start. Before its uprobes.
    virtual void add_running_process(pid_t /*pid*/) {}
    // After the last record: the module's part of the Profile. The session has
    // detached every uprobe; the module may release its BPF object.
    virtual void finish(Profile& profile) = 0;
};

}  // namespace pmt
