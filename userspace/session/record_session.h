// One `phpmemtrace record` session: the session core (session_core.h) run until
// the target ends, the duration is over or the user presses Ctrl-C, with the
// target's description added to the Profile.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/profile.h"
#include "session/session_core.h"
#include "session/session_module.h"
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

Result<Profile> run_record_session(const RecordOptions& options,
                                   std::vector<std::unique_ptr<SessionModule>> modules = {});

// Set by SIGINT/SIGTERM handlers; ends the session cleanly.
void request_session_stop();

}  // namespace pmt
