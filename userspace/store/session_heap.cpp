#include "store/session_heap.h"

#include <map>
#include <string>
#include <utility>

#include "store/session_meta.h"

namespace pmt {
namespace {

using sqlite::Database;

// Writes frame lists to event_stack_frames, numbering them 0, 1, 2, ...
class EventStackWriter {
public:
    static Result<EventStackWriter> create(Database& db) {
        auto stmt = db.prepare("INSERT INTO event_stack_frames(event_stack_id, depth, symbol_id, line) VALUES (?,?,?,?)");
        if (!stmt) return stmt.error();
        return EventStackWriter(std::move(*stmt));
    }
    Result<int64_t> add(const std::vector<Frame>& frames) {
        const int64_t id = next_id_++;
        for (size_t d = 0; d < frames.size(); ++d) {
            Status s = stmt_.bind(1, id).bind(2, int64_t(d)).bind(3, int64_t{frames[d].symbol})
                           .bind(4, int64_t{frames[d].line}).run();
            if (!s) return s.error();
        }
        return id;
    }

private:
    explicit EventStackWriter(sqlite::Statement stmt) : stmt_(std::move(stmt)) {}
    sqlite::Statement stmt_;
    int64_t next_id_ = 0;
};

// The heap_timeline table's fields, saved and loaded from these lists
// (store/session_meta.h); T is HeapTimeline or const HeapTimeline.
template <typename T, typename Visit>
void timeline_fields(T& t, Visit& visit) {
    visit("method", t.method);
    visit("request_source", t.request_source);
    visit("chunks_peak", t.chunks_peak);
    visit("huge_peak_bytes", t.huge_peak_bytes);
    visit("real_peak_bytes", t.real_peak_bytes);
    visit("real_peak_at_s", t.real_peak_at_s);
    visit("used_at_real_peak_bytes", t.used_at_real_peak_bytes);
    visit("samples_dropped", t.samples_dropped);
    visit("map_events_dropped", t.map_events_dropped);
    visit("unknown_unmaps", t.unknown_unmaps);
    visit("requests_filtered", t.requests_filtered);
    visit("baseline_real_bytes", t.baseline_real_bytes);
}

// The approach within --limit-margin, saved when there was one: the
// memory_limit table has no columns for it (the rest of the limit is there).
template <typename L, typename Visit>
void limit_near_fields(L& limit, Visit& visit) {
    visit("limit_near_at_s", limit.near_at_s);
    visit("limit_near_real_bytes", limit.near_real_bytes);
}

Status save_stack_bytes(Database& db, EventStackWriter& stacks, const char* owner, int64_t owner_id,
                        const std::vector<HeapStackBytes>& list) {
    auto stmt = db.prepare(
        "INSERT INTO heap_stack_bytes(owner, owner_id, idx, event_stack_id, bytes, count) VALUES (?,?,?,?,?,?)");
    if (!stmt) return stmt.error();
    for (size_t i = 0; i < list.size(); ++i) {
        auto id = stacks.add(list[i].frames);
        if (!id) return id.error();
        PMT_TRY(stmt->bind(1, std::string(owner)).bind(2, owner_id).bind(3, int64_t(i)).bind(4, *id)
                    .bind(5, list[i].bytes).bind(6, list[i].count).run());
    }
    return Status::success();
}

Status save_meta(Database& db, const HeapTimeline& t) {
    auto stmt = db.prepare("INSERT INTO heap_timeline(key, value) VALUES (?, ?)");
    if (!stmt) return stmt.error();
    sqlite::MetaWriter put(*stmt);
    timeline_fields(t, put);
    if (t.limit && t.limit->near) limit_near_fields(*t.limit, put);
    return put.status();
}

Status save_rows(Database& db, const HeapTimeline& t, EventStackWriter& stacks) {
    auto sample = db.prepare(
        "INSERT INTO heap_samples(id, t_s, pid, used_bytes, real_bytes, chunks, huge_bytes) VALUES (?,?,?,?,?,?,?)");
    if (!sample) return sample.error();
    for (size_t i = 0; i < t.samples.size(); ++i) {
        const HeapSample& s = t.samples[i];
        PMT_TRY(sample->bind(1, int64_t(i)).bind(2, s.t_s).bind(3, s.pid).bind(4, s.used_bytes)
                    .bind(5, s.real_bytes).bind(6, int64_t{s.chunks}).bind(7, s.huge_bytes).run());
    }
    auto event = db.prepare(
        "INSERT INTO heap_map_events(id, t_s, pid, huge, mapped, addr, size, event_stack_id) VALUES (?,?,?,?,?,?,?,?)");
    if (!event) return event.error();
    for (size_t i = 0; i < t.map_events.size(); ++i) {
        const HeapMapEvent& e = t.map_events[i];
        auto id = stacks.add(e.frames);
        if (!id) return id.error();
        PMT_TRY(event->bind(1, int64_t(i)).bind(2, e.t_s).bind(3, e.pid).bind(4, int64_t{e.huge})
                    .bind(5, int64_t{e.mapped}).bind(6, e.addr).bind(7, e.size).bind(8, *id).run());
    }
    auto gc = db.prepare(
        "INSERT INTO gc_runs(id, pid, start_s, duration_s, collected, freed_bytes, heap_before_bytes, heap_after_bytes)"
        " VALUES (?,?,?,?,?,?,?,?)");
    if (!gc) return gc.error();
    for (size_t i = 0; i < t.gc_runs.size(); ++i) {
        const GcRun& r = t.gc_runs[i];
        PMT_TRY(gc->bind(1, int64_t(i)).bind(2, r.pid).bind(3, r.start_s).bind(4, r.duration_s).bind(5, r.collected)
                    .bind(6, r.freed_bytes).bind(7, r.heap_before_bytes).bind(8, r.heap_after_bytes).run());
        PMT_TRY(save_stack_bytes(db, stacks, "gc", int64_t(i), r.stacks));
    }
    auto request = db.prepare(
        "INSERT INTO requests(id, pid, uri, method, query, start_s, duration_s, peak_bytes, php_peak_bytes,"
        " alloc_bytes, live_at_end_bytes, real_peak_bytes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!request) return request.error();
    for (size_t i = 0; i < t.requests.size(); ++i) {
        const RequestFigures& r = t.requests[i];
        PMT_TRY(request->bind(1, int64_t(i)).bind(2, r.pid).bind(3, r.uri).bind(4, r.method).bind(5, r.query)
                    .bind(6, r.start_s).bind(7, r.duration_s).bind(8, r.peak_bytes).bind(9, r.php_peak_bytes)
                    .bind(10, r.alloc_bytes).bind(11, r.live_at_end_bytes).bind(12, r.real_peak_bytes).run());
    }
    if (t.limit) {
        const LimitEvent& l = *t.limit;
        auto limit = db.prepare(
            "INSERT INTO memory_limit(limit_bytes, hit, near, margin_bytes, at_s, pid, trigger, message, used_bytes,"
            " real_bytes) VALUES (?,?,?,?,?,?,?,?,?,?)");
        if (!limit) return limit.error();
        PMT_TRY(limit->bind(1, l.limit_bytes).bind(2, int64_t{l.hit}).bind(3, int64_t{l.near}).bind(4, l.margin_bytes)
                    .bind(5, l.at_s).bind(6, l.pid).bind(7, l.trigger).bind(8, l.message).bind(9, l.used_bytes)
                    .bind(10, l.real_bytes).run());
        PMT_TRY(save_stack_bytes(db, stacks, "limit", 0, l.stacks));
    }
    return Status::success();
}

// ---- reading --------------------------------------------------------------------

Result<std::map<int64_t, std::vector<Frame>>> load_event_stacks(Database& db) {
    std::map<int64_t, std::vector<Frame>> out;
    auto stmt = db.prepare("SELECT event_stack_id, symbol_id, line FROM event_stack_frames ORDER BY event_stack_id, depth");
    if (!stmt) return stmt.error();
    while (stmt->next())
        out[stmt->i64(0)].push_back(Frame{static_cast<uint32_t>(stmt->i64(1)), static_cast<uint32_t>(stmt->i64(2))});
    if (stmt->error()) return *stmt->error();
    return out;
}

Status load_meta(Database& db, HeapTimeline& t, bool& present) {
    auto stmt = db.prepare("SELECT key, value FROM heap_timeline");
    if (!stmt) return stmt.error();
    LimitEvent near;  // the rest of t.limit comes from load_rows
    bool has_near = false;
    while (stmt->next()) {
        present = true;
        sqlite::MetaReader row(*stmt);
        timeline_fields(t, row);
        if (row.matched()) continue;
        limit_near_fields(near, row);
        has_near |= row.matched();
    }
    if (has_near) t.limit = near;
    return stmt->error() ? Status(*stmt->error()) : Status::success();
}

Status load_rows(Database& db, HeapTimeline& t, std::map<int64_t, std::vector<Frame>>& frames) {
    auto sample = db.prepare("SELECT t_s, pid, used_bytes, real_bytes, chunks, huge_bytes FROM heap_samples ORDER BY id");
    if (!sample) return sample.error();
    while (sample->next())
        t.samples.push_back(HeapSample{sample->real(0), sample->i64(1), sample->u64(2), sample->u64(3),
                                       static_cast<uint32_t>(sample->i64(4)), sample->u64(5)});
    if (sample->error()) return *sample->error();

    auto event = db.prepare(
        "SELECT t_s, pid, huge, mapped, addr, size, event_stack_id FROM heap_map_events ORDER BY id");
    if (!event) return event.error();
    while (event->next())
        t.map_events.push_back(HeapMapEvent{event->real(0), event->i64(1), event->i64(2) != 0, event->i64(3) != 0,
                                            event->u64(4), event->u64(5), frames[event->i64(6)]});
    if (event->error()) return *event->error();

    auto stack_bytes = [&](const char* owner, int64_t owner_id, std::vector<HeapStackBytes>& out) -> Status {
        auto stmt = db.prepare(
            "SELECT event_stack_id, bytes, count FROM heap_stack_bytes WHERE owner = ? AND owner_id = ? ORDER BY idx");
        if (!stmt) return stmt.error();
        stmt->bind(1, std::string(owner)).bind(2, owner_id);
        while (stmt->next()) out.push_back(HeapStackBytes{frames[stmt->i64(0)], stmt->u64(1), stmt->u64(2)});
        return stmt->error() ? Status(*stmt->error()) : Status::success();
    };

    auto gc = db.prepare(
        "SELECT id, pid, start_s, duration_s, collected, freed_bytes, heap_before_bytes, heap_after_bytes"
        " FROM gc_runs ORDER BY id");
    if (!gc) return gc.error();
    while (gc->next()) {
        GcRun r{gc->i64(1), gc->real(2), gc->real(3), gc->i64(4), gc->u64(5), gc->u64(6), gc->u64(7), {}};
        PMT_TRY(stack_bytes("gc", gc->i64(0), r.stacks));
        t.gc_runs.push_back(std::move(r));
    }
    if (gc->error()) return *gc->error();

    auto request = db.prepare(
        "SELECT pid, uri, method, query, start_s, duration_s, peak_bytes, php_peak_bytes, alloc_bytes,"
        " live_at_end_bytes, real_peak_bytes FROM requests ORDER BY id");
    if (!request) return request.error();
    while (request->next())
        t.requests.push_back(RequestFigures{request->i64(0), request->text(1), request->text(2), request->text(3),
                                            request->real(4), request->real(5), request->u64(6), request->u64(7),
                                            request->u64(8), request->u64(9), request->u64(10)});
    if (request->error()) return *request->error();

    auto limit = db.prepare(
        "SELECT limit_bytes, hit, near, margin_bytes, at_s, pid, trigger, message, used_bytes, real_bytes"
        " FROM memory_limit");
    if (!limit) return limit.error();
    if (limit->next()) {
        LimitEvent l = t.limit.value_or(LimitEvent{});  // near_* from load_meta
        if (!limit->is_null(0)) l.limit_bytes = limit->u64(0);
        l.hit = limit->i64(1) != 0;
        l.near = limit->i64(2) != 0;
        l.margin_bytes = limit->u64(3);
        l.at_s = limit->real(4);
        l.pid = limit->i64(5);
        l.trigger = limit->text(6);
        l.message = limit->text(7);
        l.used_bytes = limit->u64(8);
        l.real_bytes = limit->u64(9);
        PMT_TRY(stack_bytes("limit", 0, l.stacks));
        t.limit = std::move(l);
    }
    return limit->error() ? Status(*limit->error()) : Status::success();
}

}  // namespace

Status save_session_heap(Database& db, const Profile& profile) {
    if (!profile.heap_timeline) return Status::success();
    const HeapTimeline& t = *profile.heap_timeline;
    auto stacks = EventStackWriter::create(db);
    if (!stacks) return stacks.error();
    PMT_TRY(save_meta(db, t));
    return save_rows(db, t, *stacks);
}

Status load_session_heap(Database& db, Profile& profile) {
    if (!db.table_exists("heap_timeline")) return Status::success();
    HeapTimeline t;
    bool present = false;
    PMT_TRY(load_meta(db, t, present));
    if (!present) return Status::success();
    auto frames = load_event_stacks(db);
    if (!frames) return frames.error();
    for (const auto& [id, list] : *frames)
        for (const Frame& f : list)
            if (f.symbol >= profile.symbols.size()) return Error{"heap event frame of an unknown symbol"};
    PMT_TRY(load_rows(db, t, *frames));
    profile.heap_timeline = std::move(t);
    return Status::success();
}

}  // namespace pmt
