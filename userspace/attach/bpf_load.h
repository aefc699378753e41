// Loading a BPF object into the kernel, in one place for every object, so that
// what the verifier says about each program can be collected (tests check every
// program's stack against the verifier's 512-byte limit).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/result.h"

struct bpf_object;

namespace pmt {

// What the verifier reported for one program (log level BPF_LOG_STATS).
struct VerifierStats {
    std::string object;                  // e.g. "heap.bpf.o"
    std::string program;                 // e.g. "heap_return"
    std::vector<uint32_t> stack_depths;  // main program first, then each subprogram / callback
    uint64_t processed_insns = 0;
    uint64_t verification_us = 0;        // the verifier's own time for it
};

// Loads `object` by calling `load` (the skeleton's __load, which also maps its
// data sections); `what` names it in errors. While a sink is set (tests), every
// program is loaded with verifier statistics, which are appended to the sink.
Status load_bpf_object(bpf_object* object, const std::string& what, const std::function<int()>& load);

// Collect the verifier statistics of every object loaded from now on into `sink`
// (nullptr: stop). Not thread-safe; meant for tests and diagnostics.
void collect_verifier_stats(std::vector<VerifierStats>* sink);

// The maps every BPF object of a session shares with the allocation object
// (memtrace.bpf.c), so that all records are ordered in one ring buffer, one
// process set filters every program and function names are announced once.
struct SharedMaps {
    int events = -1;
    int traced = -1;
    int counters = -1;
    int announced_funcs = -1;
};

// Makes `object` (opened, not loaded) use the shared maps, by name; -1 fds are
// left as the object's own. `what` names the object in errors.
Status share_maps(bpf_object* object, const SharedMaps& maps, const std::string& what);

// Programs attached through multi-uprobe links must be loaded with that attach type.
void set_uprobe_multi_attach_type(bpf_object* object, const std::vector<std::string>& programs);

// Parses "stack depth 24+88" and "processed 123 insns" out of a verifier log.
VerifierStats parse_verifier_stats(const std::string& log);

}  // namespace pmt
