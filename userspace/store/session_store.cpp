#include "store/session_store.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <utility>

#include "store/session_faults.h"
#include "store/session_heap.h"
#include "store/session_meta.h"
#include "store/session_schema.h"
#include "store/sqlite_db.h"

namespace pmt {
namespace {

using sqlite::Database;
using sqlite::Statement;

std::optional<FrameKind> parse_frame_kind(const std::string& name) {
    for (FrameKind kind : {FrameKind::User, FrameKind::Internal, FrameKind::Pseudo, FrameKind::Unknown}) {
        if (name == frame_kind_name(kind)) return kind;
    }
    return std::nullopt;
}

// The session table's fields, saved and loaded from this one list
// (store/session_meta.h); P is Profile or const Profile.
template <typename P, typename Visit>
void session_fields(P& p, Visit& visit) {
    visit("started_at", p.started_at);
    visit("duration_s", p.duration_s);
    visit("live_point", p.live_point);
    visit("target_pid", p.target.pid);
    visit("target_binary", p.target.binary);
    visit("target_php_version", p.target.php_version);
    visit("target_command", p.target.command);
    visit("target_exit_code", p.target.exit_code);  // launch mode only
    visit("heap_live_bytes", p.heap.live_bytes);
    visit("heap_peak_live_bytes", p.heap.peak_live_bytes);
    visit("heap_peak_at_s", p.heap.peak_at_s);
    visit("heap_baseline_bytes", p.heap.baseline_bytes);  // attach by PID only
}

// ---- writing --------------------------------------------------------------------

Status save_meta(Database& db, const Profile& p) {
    auto stmt = db.prepare("INSERT INTO session(key, value) VALUES (?, ?)");
    if (!stmt) return stmt.error();
    sqlite::MetaWriter put(*stmt);
    put("schema_version", int64_t{kSessionSchemaVersion});
    put("tool", std::string("phpmemtrace"));
    session_fields(p, put);
    return put.status();
}

Status save_target_pids(Database& db, const Profile& p) {
    auto stmt = db.prepare("INSERT INTO target_pids(idx, pid) VALUES (?, ?)");
    if (!stmt) return stmt.error();
    for (size_t i = 0; i < p.target.pids.size(); ++i) {
        PMT_TRY(stmt->bind(1, int64_t(i)).bind(2, p.target.pids[i]).run());
    }
    return Status::success();
}

Status save_counters(Database& db, const Profile& p) {
    auto stmt = db.prepare("INSERT INTO counters(name, value) VALUES (?, ?)");
    if (!stmt) return stmt.error();
    for (const auto& counter : kCounterFields) {
        PMT_TRY(stmt->bind(1, std::string(counter.name)).bind(2, p.counters.*counter.field).run());
    }
    return Status::success();
}

Status save_symbols(Database& db, const Profile& p) {
    auto stmt = db.prepare("INSERT INTO symbols(id, kind, function, class, file, line_start) VALUES (?,?,?,?,?,?)");
    if (!stmt) return stmt.error();
    for (size_t i = 0; i < p.symbols.size(); ++i) {
        const Symbol& s = p.symbols[i];
        PMT_TRY(stmt->bind(1, int64_t(i))
                    .bind(2, std::string(frame_kind_name(s.kind)))
                    .bind(3, s.function)
                    .bind(4, s.class_name)
                    .bind(5, s.file)
                    .bind(6, int64_t{s.line_start})
                    .run());
    }
    return Status::success();
}

Status save_stacks(Database& db, const Profile& p) {
    auto stack = db.prepare(
        "INSERT INTO stacks(id, alloc_count, alloc_bytes, free_count, free_bytes, live_count, live_bytes,"
        " peak_live_count, peak_live_bytes, fault_count, fault_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    if (!stack) return stack.error();
    auto frame = db.prepare("INSERT INTO stack_frames(stack_id, depth, symbol_id, line) VALUES (?,?,?,?)");
    if (!frame) return frame.error();
    for (size_t i = 0; i < p.stacks.size(); ++i) {
        const StackStats& s = p.stacks[i].stats;
        PMT_TRY(stack->bind(1, int64_t(i))
                    .bind(2, s.alloc_count).bind(3, s.alloc_bytes)
                    .bind(4, s.free_count).bind(5, s.free_bytes)
                    .bind(6, s.live_count).bind(7, s.live_bytes)
                    .bind(8, s.peak_live_count).bind(9, s.peak_live_bytes)
                    .bind(10, s.fault_count).bind(11, s.fault_ns)
                    .run());
        const auto& frames = p.stacks[i].frames;
        for (size_t d = 0; d < frames.size(); ++d) {
            PMT_TRY(frame->bind(1, int64_t(i)).bind(2, int64_t(d))
                        .bind(3, int64_t{frames[d].symbol}).bind(4, int64_t{frames[d].line})
                        .run());
        }
    }
    return Status::success();
}

Status save_checkpoints(Database& db, const Profile& p) {
    auto stmt = db.prepare(
        "INSERT INTO checkpoints(id, t_s, pid, real, php_memory_usage, php_real_usage, traced_live_bytes,"
        " traced_real_bytes) VALUES (?,?,?,?,?,?,?,?)");
    if (!stmt) return stmt.error();
    for (size_t i = 0; i < p.checkpoints.size(); ++i) {
        const Checkpoint& c = p.checkpoints[i];
        PMT_TRY(stmt->bind(1, int64_t(i)).bind(2, c.t_s).bind(3, c.pid).bind(4, int64_t{c.real})
                    .bind(5, c.php_memory_usage).bind(6, c.php_real_usage).bind(7, c.traced_live_bytes)
                    .bind(8, c.traced_real_bytes)
                    .run());
    }
    return Status::success();
}

Status write_all(Database& db, const Profile& p) {
    // The file is new and renamed into place only when complete, so a rollback
    // journal buys nothing; without it large sessions save several times faster.
    PMT_TRY(db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;"));
    PMT_TRY(db.exec(kSessionSchemaSql));
    PMT_TRY(save_meta(db, p));
    PMT_TRY(save_target_pids(db, p));
    PMT_TRY(save_counters(db, p));
    PMT_TRY(save_symbols(db, p));
    PMT_TRY(save_stacks(db, p));
    PMT_TRY(save_checkpoints(db, p));
    PMT_TRY(save_session_faults(db, p));
    PMT_TRY(save_session_heap(db, p));
    PMT_TRY(db.exec("COMMIT;"));
    return Status::success();
}

// ---- reading --------------------------------------------------------------------

// Reads the key/value table into the Profile's scalar fields.
Status load_meta(Database& db, Profile& p) {
    auto stmt = db.prepare("SELECT key, value FROM session");
    if (!stmt) return stmt.error();
    bool has_version = false;
    while (stmt->next()) {
        sqlite::MetaReader row(*stmt);
        if (row.key() == "schema_version") {
            has_version = true;
            if (stmt->i64(1) > kSessionSchemaVersion) {
                return Error{"session schema version " + std::to_string(stmt->i64(1)) +
                             " is newer than this phpmemtrace reads (" + std::to_string(kSessionSchemaVersion) + ")"};
            }
        } else {
            session_fields(p, row);  // other keys come from newer builds: ignored
        }
    }
    if (stmt->error()) return *stmt->error();
    if (!has_version) return Error{"no schema_version in the session table"};
    return Status::success();
}

Status load_target_pids(Database& db, Profile& p) {
    auto stmt = db.prepare("SELECT pid FROM target_pids ORDER BY idx");
    if (!stmt) return stmt.error();
    while (stmt->next()) p.target.pids.push_back(stmt->i64(0));
    return stmt->error() ? Status(*stmt->error()) : Status::success();
}

Status load_counters(Database& db, Profile& p) {
    auto stmt = db.prepare("SELECT name, value FROM counters");
    if (!stmt) return stmt.error();
    while (stmt->next()) {
        const std::string name = stmt->text(0);
        for (const auto& counter : kCounterFields)
            if (name == counter.name) p.counters.*counter.field = stmt->u64(1);
    }
    return stmt->error() ? Status(*stmt->error()) : Status::success();
}

Status load_symbols(Database& db, Profile& p) {
    auto stmt = db.prepare("SELECT id, kind, function, class, file, line_start FROM symbols ORDER BY id");
    if (!stmt) return stmt.error();
    while (stmt->next()) {
        if (stmt->i64(0) != int64_t(p.symbols.size())) return Error{"symbol ids are not 0..n-1"};
        Symbol s;
        auto kind = parse_frame_kind(stmt->text(1));
        if (!kind) return Error{"unknown frame kind '" + stmt->text(1) + "'"};
        s.kind = *kind;
        s.function = stmt->text(2);
        s.class_name = stmt->opt_text(3);
        s.file = stmt->text(4);
        s.line_start = static_cast<uint32_t>(stmt->i64(5));
        p.symbols.push_back(std::move(s));
    }
    return stmt->error() ? Status(*stmt->error()) : Status::success();
}

Status load_stacks(Database& db, Profile& p) {
    auto stacks = db.prepare(
        "SELECT id, alloc_count, alloc_bytes, free_count, free_bytes, live_count, live_bytes,"
        " peak_live_count, peak_live_bytes, " +
        std::string(db.column_exists("stacks", "fault_count") ? "fault_count, fault_ns" : "0, 0") +
        " FROM stacks ORDER BY id");
    if (!stacks) return stacks.error();
    while (stacks->next()) {
        if (stacks->i64(0) != int64_t(p.stacks.size())) return Error{"stack ids are not 0..n-1"};
        Stack s;
        StackStats& st = s.stats;
        st.alloc_count = stacks->u64(1);
        st.alloc_bytes = stacks->u64(2);
        st.free_count = stacks->u64(3);
        st.free_bytes = stacks->u64(4);
        st.live_count = stacks->u64(5);
        st.live_bytes = stacks->u64(6);
        st.peak_live_count = stacks->u64(7);
        st.peak_live_bytes = stacks->u64(8);
        st.fault_count = stacks->u64(9);
        st.fault_ns = stacks->u64(10);
        p.stacks.push_back(std::move(s));
    }
    if (stacks->error()) return *stacks->error();

    auto frames = db.prepare("SELECT stack_id, depth, symbol_id, line FROM stack_frames ORDER BY stack_id, depth");
    if (!frames) return frames.error();
    while (frames->next()) {
        const int64_t stack_id = frames->i64(0);
        const int64_t symbol_id = frames->i64(2);
        if (stack_id < 0 || stack_id >= int64_t(p.stacks.size())) return Error{"frame of an unknown stack"};
        if (symbol_id < 0 || symbol_id >= int64_t(p.symbols.size())) return Error{"frame of an unknown symbol"};
        auto& list = p.stacks[size_t(stack_id)].frames;
        if (frames->i64(1) != int64_t(list.size())) return Error{"stack frame depths are not 0..n-1"};
        list.push_back(Frame{static_cast<uint32_t>(symbol_id), static_cast<uint32_t>(frames->i64(3))});
    }
    return frames->error() ? Status(*frames->error()) : Status::success();
}

Status load_checkpoints(Database& db, Profile& p) {
    auto stmt = db.prepare(
        "SELECT t_s, pid, real, php_memory_usage, php_real_usage, traced_live_bytes, " +
        std::string(db.column_exists("checkpoints", "traced_real_bytes") ? "traced_real_bytes" : "NULL") +
        " FROM checkpoints ORDER BY id");
    if (!stmt) return stmt.error();
    while (stmt->next()) {
        Checkpoint c;
        c.t_s = stmt->real(0);
        c.pid = stmt->i64(1);
        c.real = stmt->i64(2) != 0;
        c.php_memory_usage = stmt->u64(3);
        if (!stmt->is_null(4)) c.php_real_usage = stmt->u64(4);
        c.traced_live_bytes = stmt->u64(5);
        if (!stmt->is_null(6)) c.traced_real_bytes = stmt->u64(6);
        p.checkpoints.push_back(c);
    }
    return stmt->error() ? Status(*stmt->error()) : Status::success();
}

}  // namespace

Status save_session(const Profile& profile, const std::string& path) {
    // A session holds request URIs, query strings and the command line: private.
    return sqlite::write_private_database(path, [&](Database& db) { return write_all(db, profile); });
}

Result<Profile> load_session(const std::string& path) {
    if (access(path.c_str(), R_OK) != 0) return Error{"cannot read " + path + ": no such file or not readable"};
    auto db = Database::open(path, /*read_only=*/true);
    if (!db) return db.error();
    // A file that is not SQLite at all fails on the first query; say what it is not.
    if (!db->table_exists("session") || !db->table_exists("stacks")) {
        return Error{path + " is not a phpmemtrace session file"};
    }
    Profile p;
    for (auto load : {load_meta, load_target_pids, load_counters, load_symbols, load_stacks, load_checkpoints,
                      load_session_faults, load_session_heap}) {
        if (Status s = load(*db, p); !s) return Error{"cannot read session " + path + ": " + s.error().message};
    }
    return p;
}

}  // namespace pmt
