// A session file: one Profile stored in SQLite, to render again later
// (`phpmemtrace report`), compare (`phpmemtrace diff`) or query by hand with
// `sqlite3`. The schema is documented in docs/session-schema.md.
#pragma once

#include <string>

#include "model/profile.h"
#include "util/result.h"

namespace pmt {

// Version of the tables written by this build. Adding tables or columns keeps the
// number (readers ignore what they do not know); changing the meaning of an
// existing column bumps it, and older builds then refuse the file.
inline constexpr int kSessionSchemaVersion = 1;

// Writes `profile` to `path`, replacing any file there. The file appears
// complete or not at all (written next to it, then renamed).
Status save_session(const Profile& profile, const std::string& path);

// Reads a session written by save_session(); load(save(p)) == p field for field.
Result<Profile> load_session(const std::string& path);

}  // namespace pmt
