// The heap-structure module (heap.bpf.c + HeapTracker) of a session.
#pragma once

#include <memory>

#include "heap/heap_tracker.h"
#include "session/session_module.h"

namespace pmt {

struct HeapSessionOptions {
    HeapTrackerOptions tracker;
};

// Loads heap.bpf.c and routes its records (and the request records) to a
// HeapTracker; its finish stores the HeapTimeline in the Profile.
std::unique_ptr<SessionModule> make_heap_module(const HeapSessionOptions& options);

}  // namespace pmt
