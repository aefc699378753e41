// The one path by which every uprobe of a session is attached, to one process.
//
// Return probes are attached before entry probes, always: a call entered while
// only its entry probe existed would leave an entry whose return is never seen.
// With multi-uprobe links (kernel 6.6+) each program gets one link for all its
// functions; otherwise each function gets its own perf-event link.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "attach/process_links.h"
#include "util/result.h"

struct bpf_program;

namespace pmt {

// One function of the binary and the programs that serve it.
struct ResolvedProbe {
    std::string what;                 // the function's name, for messages
    uint64_t file_offset = 0;         // where in the file the uprobe goes
    uint64_t cookie = 0;              // PMT_COOKIE(kind, arg, vaddr)
    bpf_program* entry = nullptr;     // run at entry
    bpf_program* ret = nullptr;       // run at return (nullptr: not probed)
};

// Attaches every probe to process `pid` of `binary`, returns first. On error
// the links made so far stay in `into`; the caller drops them.
Status attach_probes(const std::string& binary, pid_t pid, const std::vector<ResolvedProbe>& probes,
                     bool use_uprobe_multi, ProbeLinks& into);

}  // namespace pmt
