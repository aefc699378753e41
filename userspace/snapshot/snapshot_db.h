// The snapshot as an SQLite file: a `snapshot` row with the heap's figures and
// one `blocks` row per allocated block (docs/snapshot.md has queries).
#pragma once

#include <string>

#include "snapshot/take_snapshot.h"
#include "util/result.h"

namespace pmt {

Status save_snapshot_db(const Snapshot& snapshot, const std::string& path);

}  // namespace pmt
