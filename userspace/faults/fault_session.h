// `phpmemtrace record --faults`: the page-fault module of a session.
//
// start() loads faults.bpf.c sharing the allocation object's maps (traced set,
// ring buffer, counters, function-name cache) and routes fault, request, fork,
// exit and restore records to a FaultCollector, which asks the Collector's
// process models whether a fault hit a huge block; each fault's figures go on
// its PHP stack in the Collector (Collector::add_fault). finish() puts the
// FaultReport in Profile::faults and releases the object. When the PHP binary has
// snapshot-restore functions (restore_functions.h), each restore is measured too.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "faults/fault_collector.h"
#include "phpmemtrace.h"
#include "session/session_module.h"

namespace pmt {

struct FaultSessionOptions {
    uint32_t max_frames = PMT_FAULT_DEFAULT_FRAMES;
    bool vma_lookup = true;  // see FaultTracerOptions::vma_lookup
};

std::unique_ptr<SessionModule> make_fault_module(const FaultSessionOptions& options);

// Routes every record kind `faults` needs from the session's Collector to it, and
// each fault with a PHP stack to `on_fault` (the stack's id in the Collector, the
// fault's kernel time). The session does this; the record fuzzer wires the same way.
void route_fault_records(Collector& collector, FaultCollector& faults,
                         std::function<void(uint32_t stack, uint64_t ns)> on_fault);

}  // namespace pmt
