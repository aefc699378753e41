// The heap timeline (record's heap tracer, Profile::heap_timeline) in a session
// file: heap_timeline, heap_samples, heap_map_events, gc_runs, heap_stack_bytes,
// requests, memory_limit and the event_stack_frames they point to.
#pragma once

#include "model/profile.h"
#include "store/sqlite_db.h"
#include "util/result.h"

namespace pmt {

// Writes nothing when the profile has no heap timeline.
Status save_session_heap(sqlite::Database& db, const Profile& profile);
// Leaves profile.heap_timeline empty when the tables are missing or empty.
Status load_session_heap(sqlite::Database& db, Profile& profile);

}  // namespace pmt
