// Joins the heap tracer (heap.bpf.c + HeapTracker) to a record session.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "heap/heap_tracker.h"
#include "session/record_session.h"

namespace pmt {

struct HeapSessionOptions {
    HeapTrackerOptions tracker;
    uint32_t max_frames = PMT_DEFAULT_FRAMES;
    bool follow_forks = true;
    bool use_uprobe_multi = true;     // record --no-uprobe-multi turns it off
    std::optional<pid_t> attach_pid;  // attach mode: read what is mapped already
};

// before_start loads and attaches the heap probes and routes their records to a
// HeapTracker; finish stores the HeapTimeline in the Profile.
SessionHooks make_heap_session_hooks(const HeapSessionOptions& options);

}  // namespace pmt
