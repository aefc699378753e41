// The snapshot as JSON, schema "phpmemtrace-snapshot/1" (docs/snapshot.md).
#pragma once

#include <nlohmann/json.hpp>

#include "snapshot/take_snapshot.h"

namespace pmt {

nlohmann::json snapshot_json(const Snapshot& snapshot);

}  // namespace pmt
