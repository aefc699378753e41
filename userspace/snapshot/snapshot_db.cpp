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
  page INTEGER NOT NULL,       -- page within the chunk
  -- Reachability (NULL when not computed, see snapshot.json's reachability):
  type TEXT,                   -- string, array, array data, object, reference, engine;
                               -- unreached blocks: guessed from their header, with '?'
  class TEXT,                  -- objects: their class
  reached TEXT,                -- 'root', 'garbage' (from a cycle-garbage object), NULL: not reached
  root INTEGER,                -- roots.id of the root it was first reached from
  parent INTEGER,              -- the block it was first reached from (NULL: a root's own)
  idom INTEGER,                -- its immediate dominator's address (NULL: a root's own, or unreached)
  retained INTEGER,            -- bytes freed if it were: itself and every block it dominates
  retained_blocks INTEGER
);
CREATE TABLE roots (
  id INTEGER PRIMARY KEY,
  label TEXT NOT NULL,         -- $GLOBALS['cache'], Foo::$instances, frame 1 of main: $buf
  kind TEXT NOT NULL,          -- global, static, frame, engine, cycle garbage
  address INTEGER NOT NULL     -- the block it leads to
);
CREATE TABLE edges (           -- a pointer found by the walk: from_address holds to_address
  from_address INTEGER,        -- NULL: from a root
  to_address INTEGER NOT NULL
);
CREATE TABLE paths (           -- the shortest path from a root to each reached value
  address INTEGER PRIMARY KEY,
  path TEXT NOT NULL
);
)sql";

Status write_reachability(Database& db, const Reachability& r) {
    const auto& nodes = r.graph->nodes();
    auto address = [&](uint32_t v) { return r.index->block(v - 1).address; };
    auto roots = db.prepare("INSERT INTO roots VALUES (?, ?, ?, ?)");
    auto edges = db.prepare("INSERT INTO edges VALUES (?, ?)");
    auto paths = db.prepare("INSERT INTO paths VALUES (?, ?)");
    auto update = db.prepare(
        "UPDATE blocks SET type = ?, class = ?, reached = ?, root = ?, parent = ?, idom = ?, retained = ?, "
        "retained_blocks = ? WHERE address = ?");
    if (!roots) return roots.error();
    if (!edges) return edges.error();
    if (!paths) return paths.error();
    if (!update) return update.error();
    std::vector<uint64_t> root_address(r.graph->roots().size(), 0);
    for (uint32_t v = 1; v < nodes.size(); ++v)
        if (nodes[v].kind != NodeKind::Unreached && nodes[v].parent == kSuperRoot) root_address[nodes[v].root] = address(v);
    for (uint32_t i = 1; i < r.graph->roots().size(); ++i)
        PMT_TRY(roots->bind(1, int64_t{i})
                    .bind(2, r.graph->roots()[i].label)
                    .bind(3, r.graph->roots()[i].kind)
                    .bind(4, root_address[i])
                    .run());
    for (const auto& [from, to] : r.graph->edges()) {
        if (from == kSuperRoot) edges->bind_null(1);
        else edges->bind(1, address(from));
        PMT_TRY(edges->bind(2, address(to)).run());
    }
    const auto& idom = r.dominators.idom;
    for (uint32_t v = 1; v < nodes.size(); ++v) {
        const GraphNode& n = nodes[v];
        if (n.kind == NodeKind::Unreached) {
            PMT_TRY(update->bind(1, guess_kind(r.index->bytes(v - 1), r.graph->offsets()) + "?")
                        .bind_null(2).bind_null(3).bind_null(4).bind_null(5).bind_null(6).bind_null(7).bind_null(8)
                        .bind(9, address(v))
                        .run());
            continue;
        }
        update->bind(1, std::string(node_kind_name(n.kind)));
        if (n.kind == NodeKind::Object) update->bind(2, r.graph->class_name(n.ce));
        else update->bind_null(2);
        update->bind(3, std::string(n.garbage ? "garbage" : "root")).bind(4, int64_t{n.root});
        if (n.parent == kSuperRoot) update->bind_null(5);
        else update->bind(5, address(n.parent));
        if (idom[v] == kNoDominator || idom[v] == kSuperRoot) update->bind_null(6);
        else update->bind(6, address(idom[v]));
        PMT_TRY(update->bind(7, r.retained[v].bytes).bind(8, r.retained[v].nodes).bind(9, address(v)).run());
        if (n.kind != NodeKind::ArrayData && n.kind != NodeKind::Engine)
            PMT_TRY(paths->bind(1, address(v)).bind(2, r.graph->path(v)).run());
    }
    return Status::success();
}

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
    auto insert = db.prepare("INSERT INTO blocks (address, size, kind, bin, chunk, page) VALUES (?, ?, ?, ?, ?, ?)");
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
    if (s.reachability) PMT_TRY(write_reachability(db, *s.reachability));
    return db.exec(
        "CREATE INDEX blocks_by_size ON blocks(size); CREATE INDEX blocks_by_retained ON blocks(retained);"
        "CREATE INDEX edges_to ON edges(to_address); COMMIT;");
}

}  // namespace

Status save_snapshot_db(const Snapshot& s, const std::string& path) {
    // Block addresses and the process's figures: private, like a session.
    return sqlite::write_private_database(path, [&](Database& db) { return write_all(db, s); });
}

}  // namespace pmt
