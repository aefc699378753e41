// One profile per service and interval, from the session snapshots.
//
// Every stack of a traced process has the root frame "[service NAME]" (the
// Collector's service_of): the snapshots of every session (one per PHP binary)
// are split by it, the frame dropped, the services' stacks merged across binaries,
// and the allocation figures turned from totals since the start into this
// interval's (inuse figures are what is held at the interval's end).
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/profile.h"

namespace pmt {

// The stacks of `from` under each service root frame, that frame removed,
// added to the service's profile in `into` (symbols re-interned).
void split_by_service(const Profile& from, std::map<std::string, Profile>& into);

// Keeps each service's stack totals of the previous interval.
class IntervalDeltas {
public:
    // alloc_count/alloc_bytes/free_* of `profile` become the change since the
    // last call for this service; stacks with nothing new and nothing held go.
    void to_interval(const std::string& service, Profile& profile);

private:
    struct Totals {
        uint64_t alloc_count = 0, alloc_bytes = 0, free_count = 0, free_bytes = 0;
    };
    std::map<std::string, std::unordered_map<std::string, Totals>> previous_;
};

// A stack's identity across snapshots: its frames' names, files and lines.
std::string stack_key(const Profile& profile, const Stack& stack);

}  // namespace pmt
