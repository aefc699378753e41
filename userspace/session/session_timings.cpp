#include "session/session_timings.h"

#include <cstdio>
#include <string>

namespace pmt {

void write_record_timings(const RecordTimings& t, std::ostream& out) {
    const SessionPhases& p = t.session;
    const struct {
        const char* name;
        uint64_t ns;
    } phases[] = {
        {"binary", p.binary_ns},      // the PHP binary read
        {"loaded", p.loaded_ns},      // BPF objects loaded and verified, modules started
        {"attached", p.attached_ns},  // every uprobe on the target
        {"released", p.released_ns},  // the launched command let go to exec
        {"ended", p.ended_ns},        // the target seen to end
        {"drained", p.drained_ns},    // the last records handled
        {"finished", p.finished_ns},  // the profile made
        {"outputs", t.outputs_ns},    // the files written
        {"detached", p.detached_ns},  // the links closed, or handed to the closer process
    };
    out << "phpmemtrace: timings (ms since record started, +ms since the phase before)\n";
    uint64_t before = t.start_ns;
    for (const auto& phase : phases) {
        if (!phase.ns) continue;
        char line[96];
        snprintf(line, sizeof(line), "  %-9s %9.1f  +%.1f", phase.name, double(phase.ns - t.start_ns) / 1e6,
                 double(int64_t(phase.ns - before)) / 1e6);
        out << line;
        if (std::string(phase.name) == "detached" && p.detached_in_background)
            out << "  (links closed by a closer process after record exits)";
        out << "\n";
        before = phase.ns;
    }
    // The objects are verified on two threads at once: these add up to more than "loaded".
    for (const auto& v : t.verifier) {
        char line[160];
        snprintf(line, sizeof(line), "  verifier: %s %s %.1f ms, %llu insns processed\n", v.object.c_str(),
                 v.program.c_str(), double(v.verification_us) / 1e3, static_cast<unsigned long long>(v.processed_insns));
        out << line;
    }
}

}  // namespace pmt
