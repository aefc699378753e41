// `record --timings`: when each phase of the session ended, so that a user (and
// bench/run_bench.py) sees where the fixed cost of a session goes.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "attach/bpf_load.h"

#include "session/session_core.h"

namespace pmt {

struct RecordTimings {
    uint64_t start_ns = 0;    // record's command line parsed (after exec and dynamic loading)
    SessionPhases session;    // the session core's phases
    uint64_t outputs_ns = 0;  // every output file written
    std::vector<VerifierStats> verifier;  // each program's verification (what dominates "loaded")
};

// One line per phase reached, in order: milliseconds since start_ns and since
// the phase before. Written to stderr by record, after the teardown is started.
void write_record_timings(const RecordTimings& timings, std::ostream& out);

}  // namespace pmt
