// Page-fault figures (record --faults, Profile::faults) in a session file: the
// `faults` and `fault_regions` tables. Kept apart from session_store.cpp as the
// pattern for data that later issues add to sessions.
#pragma once

#include "model/profile.h"
#include "store/sqlite_db.h"
#include "util/result.h"

namespace pmt {

// Writes nothing when the profile has no fault report.
Status save_session_faults(sqlite::Database& db, const Profile& profile);
// Leaves profile.faults empty when the tables are missing (older files) or empty.
Status load_session_faults(sqlite::Database& db, Profile& profile);

}  // namespace pmt
