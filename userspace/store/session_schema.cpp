#include "store/session_schema.h"

namespace pmt {

// `session.value` has no declared type on purpose: SQLite then keeps each value as
// written (integer, real or text), so durations round-trip bit for bit.
const char* const kSessionSchemaSql = R"sql(
CREATE TABLE session (
    key   TEXT PRIMARY KEY,
    value
);
CREATE TABLE target_pids (
    idx INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL
);
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE symbols (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('user', 'internal', 'pseudo', 'unknown')),
    function   TEXT NOT NULL,
    class      TEXT,
    file       TEXT NOT NULL,
    line_start INTEGER NOT NULL
);
CREATE TABLE stacks (
    id              INTEGER PRIMARY KEY,
    alloc_count     INTEGER NOT NULL,
    alloc_bytes     INTEGER NOT NULL,
    free_count      INTEGER NOT NULL,
    free_bytes      INTEGER NOT NULL,
    live_count      INTEGER NOT NULL,
    live_bytes      INTEGER NOT NULL,
    peak_live_count INTEGER NOT NULL,
    peak_live_bytes INTEGER NOT NULL,
    fault_count     INTEGER NOT NULL DEFAULT 0,
    fault_ns        INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE stack_frames (
    stack_id  INTEGER NOT NULL REFERENCES stacks(id),
    depth     INTEGER NOT NULL,
    symbol_id INTEGER NOT NULL REFERENCES symbols(id),
    line      INTEGER NOT NULL,
    PRIMARY KEY (stack_id, depth)
) WITHOUT ROWID;
CREATE INDEX stack_frames_by_symbol ON stack_frames(symbol_id);
CREATE TABLE checkpoints (
    id                INTEGER PRIMARY KEY,
    t_s               REAL NOT NULL,
    pid               INTEGER NOT NULL,
    real              INTEGER NOT NULL,
    php_memory_usage  INTEGER NOT NULL,
    php_real_usage    INTEGER,
    traced_live_bytes INTEGER NOT NULL,
    traced_real_bytes INTEGER
);
-- record --faults: one row per key ("count", "latency_p50", "counter.starts",
-- "histogram.3", ...) and one row per region. No rows: faults were not traced.
CREATE TABLE faults (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE fault_regions (
    region      TEXT PRIMARY KEY,
    count       INTEGER NOT NULL,
    cow         INTEGER NOT NULL,
    first_touch INTEGER NOT NULL,
    major       INTEGER NOT NULL,
    ns_total    INTEGER NOT NULL
);
-- Faults while a snapshot-restore function ran and after it, per restore call.
CREATE TABLE fault_restores (
    id               INTEGER PRIMARY KEY,
    pid              INTEGER NOT NULL,
    function         TEXT NOT NULL,
    t_s              REAL NOT NULL,
    duration_ns      INTEGER NOT NULL,
    faults_during    INTEGER NOT NULL,
    ns_during        INTEGER NOT NULL,
    faults_after     INTEGER NOT NULL,
    cow_after        INTEGER NOT NULL,
    pages_after      INTEGER NOT NULL,
    ns_after         INTEGER NOT NULL,
    break_even_pages INTEGER NOT NULL
);
-- Faults between php_request_startup() and php_request_shutdown(), per request.
CREATE TABLE fault_requests (
    id          INTEGER PRIMARY KEY,
    pid         INTEGER NOT NULL,
    t_s         REAL NOT NULL,
    faults      INTEGER NOT NULL,
    cow         INTEGER NOT NULL,
    first_touch INTEGER NOT NULL,
    pages       INTEGER NOT NULL,
    ns          INTEGER NOT NULL
);
-- record's heap tracer (Profile::heap_timeline). No heap_timeline rows: not traced.
CREATE TABLE heap_timeline (
    key   TEXT PRIMARY KEY,
    value
);
CREATE TABLE heap_samples (
    id         INTEGER PRIMARY KEY,
    t_s        REAL NOT NULL,
    pid        INTEGER NOT NULL,
    used_bytes INTEGER NOT NULL,
    real_bytes INTEGER NOT NULL,
    chunks     INTEGER NOT NULL,
    huge_bytes INTEGER NOT NULL
);
-- Stacks of heap events (map/unmap, GC, memory_limit), apart from `stacks`, which
-- hold the allocation figures.
CREATE TABLE event_stack_frames (
    event_stack_id INTEGER NOT NULL,
    depth          INTEGER NOT NULL,
    symbol_id      INTEGER NOT NULL REFERENCES symbols(id),
    line           INTEGER NOT NULL,
    PRIMARY KEY (event_stack_id, depth)
) WITHOUT ROWID;
CREATE TABLE heap_map_events (
    id             INTEGER PRIMARY KEY,
    t_s            REAL NOT NULL,
    pid            INTEGER NOT NULL,
    huge           INTEGER NOT NULL,
    mapped         INTEGER NOT NULL,
    addr           INTEGER NOT NULL,
    size           INTEGER NOT NULL,
    event_stack_id INTEGER NOT NULL
);
CREATE TABLE gc_runs (
    id                INTEGER PRIMARY KEY,
    pid               INTEGER NOT NULL,
    start_s           REAL NOT NULL,
    duration_s        REAL NOT NULL,
    collected         INTEGER NOT NULL,
    freed_bytes       INTEGER NOT NULL,
    heap_before_bytes INTEGER NOT NULL,
    heap_after_bytes  INTEGER NOT NULL
);
-- Bytes per allocation stack for a GC run (owner 'gc', owner_id = gc_runs.id) or
-- the memory_limit event (owner 'limit', owner_id 0), in the recorded order.
CREATE TABLE heap_stack_bytes (
    owner          TEXT NOT NULL,
    owner_id       INTEGER NOT NULL,
    idx            INTEGER NOT NULL,
    event_stack_id INTEGER NOT NULL,
    bytes          INTEGER NOT NULL,
    count          INTEGER NOT NULL,
    PRIMARY KEY (owner, owner_id, idx)
);
CREATE TABLE requests (
    id                INTEGER PRIMARY KEY,
    pid               INTEGER NOT NULL,
    uri               TEXT NOT NULL,
    method            TEXT NOT NULL,
    query             TEXT NOT NULL,
    start_s           REAL NOT NULL,
    duration_s        REAL NOT NULL,
    peak_bytes        INTEGER NOT NULL,
    php_peak_bytes    INTEGER NOT NULL,
    alloc_bytes       INTEGER NOT NULL,
    live_at_end_bytes INTEGER NOT NULL,
    real_peak_bytes   INTEGER NOT NULL
);
-- At most one row: the memory_limit as read, and whether it was hit or neared.
CREATE TABLE memory_limit (
    limit_bytes  INTEGER,
    hit          INTEGER NOT NULL,
    near         INTEGER NOT NULL,
    margin_bytes INTEGER NOT NULL,
    at_s         REAL NOT NULL,
    pid          INTEGER NOT NULL,
    trigger      TEXT NOT NULL,
    message      TEXT NOT NULL,
    used_bytes   INTEGER NOT NULL,
    real_bytes   INTEGER NOT NULL
);
CREATE VIEW leaf_frames AS
    SELECT f.stack_id, f.depth, f.symbol_id, f.line
    FROM stack_frames f
    WHERE f.depth = (SELECT MAX(g.depth) FROM stack_frames g WHERE g.stack_id = f.stack_id);
)sql";

}  // namespace pmt
