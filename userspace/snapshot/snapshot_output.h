// Where a snapshot can be written: .json (snapshot_json.h), .db (snapshot_db.h) and
// .txt, the top holders (snapshot_text.h), and .svg, the retention flame graph
// (snapshot_flame.h).
#pragma once

#include <string>

#include "snapshot/take_snapshot.h"
#include "util/result.h"

namespace pmt {

// A known extension and a writable place (check_output_path()), before the
// target is touched.
Status check_snapshot_output(const std::string& path);
Status write_snapshot_output(const Snapshot& snapshot, const std::string& path);

}  // namespace pmt
