// The SQL that creates a session file's tables. One place, so the schema in
// docs/session-schema.md can be checked against it.
#pragma once

namespace pmt {

// Statements that create every table, index and view of schema version 1.
// Later issues append their own tables (heap timeline, gc, requests, ...) here;
// readers of older files find those tables missing and treat them as empty.
extern const char* const kSessionSchemaSql;

}  // namespace pmt
