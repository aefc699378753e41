// The top holders of a snapshot as plain text (`snapshot -o x.txt`): what a user
// reads first, in a terminal or a ticket. The same figures as the JSON's holders,
// cycle_garbage and unreached (snapshot_json.h), largest first.
#pragma once

#include <ostream>

#include "snapshot/take_snapshot.h"

namespace pmt {

// At most this many holders are listed (the JSON's bound too).
inline constexpr size_t kTextHolders = 100;

void write_snapshot_text(const Snapshot& snapshot, std::ostream& out);

}  // namespace pmt
