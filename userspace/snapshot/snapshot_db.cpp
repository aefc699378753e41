#include "snapshot/snapshot_db.h"

#include "snapshot/snapshot_json.h"
#include "store/sqlite_db.h"

namespace pmt {
namespace {

using sqlite::Database;

constexpr const char* kSchema = R"sql(
CREATE TABLE snapshot (
  schema TEXT NOT NULL,        -- 'phpmemtrace-snapshot/1'
  pid INTEGER NOT NULL, php_version TEXT NOT NULL,
  pause_ms REAL NOT NULL,
  heap_size INTEGER NOT NULL,  -- memory_get_usage() at the snapshot
  real_size INTEGER NOT NULL,  -- memory_get_usage(true)
  peak INTEGER NOT NULL,
  blocks_bytes INTEGER NOT NULL, blocks INTEGER NOT NULL,
  json TEXT NOT NULL           -- the whole JSON report
);
CREATE TABLE blocks (
  address INTEGER PRIMARY KEY, -- in the target
  size INTEGER NOT NULL,       -- as heap->size counts it
  kind TEXT NOT NULL,          -- small, large, huge
  bin INTEGER,                 -- small: the bin number (size = the bin's size)
  chunk INTEGER NOT NULL,      -- the 2 MiB chunk's address (huge: the block's own)
  page INTEGER NOT NULL        -- page within the chunk
);
)sql";

Status write_all(Database& db, const Snapshot& s) {
    PMT_TRY(db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;"));
    PMT_TRY(db.exec(kSchema));
    const HeapCensus& c = s.blocks->census();
    auto row = db.prepare("INSERT INTO snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!row) return row.error();
    PMT_TRY(row->bind(1, std::string("phpmemtrace-snapshot/1"))
                .bind(2, int64_t{s.pid})
                .bind(3, s.php_version)
                .bind(4, s.pause_ms)
                .bind(5, c.size)
                .bind(6, c.real_size)
                .bind(7, c.peak)
                .bind(8, c.blocks_bytes())
                .bind(9, c.blocks())
                .bind(10, snapshot_json(s).dump())
                .run());
    auto insert = db.prepare("INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)");
    if (!insert) return insert.error();
    Status status;
    s.blocks->for_each([&](const HeapBlock& b) {
        if (!status) return;
        const bool huge = b.kind == BlockKind::Huge;
        insert->bind(1, b.address).bind(2, b.size).bind(3, std::string(block_kind_name(b.kind)));
        if (b.kind == BlockKind::Small) insert->bind(4, int64_t{b.bin});
        else insert->bind_null(4);
        insert->bind(5, huge ? b.address : s.copy->chunks[b.chunk].address).bind(6, int64_t{b.page});
        status = insert->run();
    });
    if (!status) return status;
    return db.exec("CREATE INDEX blocks_by_size ON blocks(size); COMMIT;");
}

}  // namespace

Status save_snapshot_db(const Snapshot& s, const std::string& path) {
    // Block addresses and the process's figures: private, like a session.
    return sqlite::write_private_database(path, [&](Database& db) { return write_all(db, s); });
}

}  // namespace pmt
