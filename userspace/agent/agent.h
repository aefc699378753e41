// `phpmemtrace agent`: every PHP process of the host, always on, at a cost that
// does not grow with the allocation rate (docs/agent.md).
//
// One Session (session/session_core.h) per PHP binary, in slow-path mode: the
// heap's refills, large and huge blocks and request/GC boundaries, never a trap
// per allocation. Processes are found by a /proc scan (and the children of
// traced ones through the fork events); every interval one pprof per service
// goes to the output folder (and to --push's endpoint), and the metrics endpoint
// is kept current.
#pragma once

#include <optional>
#include <string>

#include "agent/process_filter.h"
#include "agent/profile_files.h"
#include "agent/profile_push.h"
#include "attach/memtrace_probes.h"
#include "util/result.h"

namespace pmt {

struct AgentOptions {
    ProcessFilter filter;
    ProfileFilesOptions files;
    double interval_s = 60;
    double rescan_s = 5;                   // /proc scans for unrelated new processes
    std::optional<std::string> metrics_address;
    std::optional<PushOptions> push;       // --push URL: each profile also to Pyroscope's /ingest
    std::optional<double> duration_s;      // stop after this long (tests, trials)
    ProbeOptions probes;
    double max_overhead = 0.01;            // --max-overhead, a fraction (overhead_budget.h)
    std::string ready_file;                // "ready" once the first scan's processes are traced
    bool verbose = false;
};

Status run_agent(const AgentOptions& options);

// Signal handlers: SIGINT/SIGTERM end the agent after a last interval, SIGHUP
// re-checks the output folder and rescans now.
void request_agent_stop();
void request_agent_reopen();

}  // namespace pmt
