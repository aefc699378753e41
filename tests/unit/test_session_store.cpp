// The SQLite session file: exact round trip, errors for files that are not
// sessions, and the hand-written queries of docs/session-schema.md.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "render_fixtures.h"
#include "report/json_report.h"
#include "store/session_store.h"

namespace pmt {
namespace {

using testing::TempDir;

void expect_same_profile(const Profile& a, const Profile& b) {
    EXPECT_EQ(a.target.pid, b.target.pid);
    EXPECT_EQ(a.target.pids, b.target.pids);
    EXPECT_EQ(a.target.binary, b.target.binary);
    EXPECT_EQ(a.target.php_version, b.target.php_version);
    EXPECT_EQ(a.target.command, b.target.command);
    EXPECT_EQ(a.target.exit_code, b.target.exit_code);
    EXPECT_EQ(a.duration_s, b.duration_s);  // exact: stored as REAL, not text
    EXPECT_EQ(a.started_at, b.started_at);
    EXPECT_EQ(a.live_point, b.live_point);
    EXPECT_EQ(0, std::memcmp(&a.counters, &b.counters, sizeof(Counters)));
    EXPECT_EQ(a.heap.live_bytes, b.heap.live_bytes);
    EXPECT_EQ(a.heap.peak_live_bytes, b.heap.peak_live_bytes);
    EXPECT_EQ(a.heap.peak_at_s, b.heap.peak_at_s);
    EXPECT_EQ(a.heap.baseline_bytes, b.heap.baseline_bytes);
    ASSERT_EQ(a.faults.has_value(), b.faults.has_value());
    if (a.faults) {
        EXPECT_EQ(a.faults->count, b.faults->count);
        EXPECT_EQ(a.faults->histogram, b.faults->histogram);
        EXPECT_EQ(0, std::memcmp(&a.faults->latency_ns, &b.faults->latency_ns, sizeof(FaultLatency)));
        EXPECT_EQ(0, std::memcmp(&a.faults->counters, &b.faults->counters, sizeof(FaultCounters)));
        EXPECT_EQ(0, std::memcmp(a.faults->by_region.data(), b.faults->by_region.data(),
                                 sizeof(RegionFaultStats) * kFaultRegionCount));
        ASSERT_EQ(a.faults->restores.size(), b.faults->restores.size());
        for (size_t i = 0; i < a.faults->restores.size(); ++i) {
            const auto &x = a.faults->restores[i], &y = b.faults->restores[i];
            EXPECT_EQ(x.function, y.function);
            EXPECT_EQ(x.t_s, y.t_s);
            EXPECT_EQ(std::tie(x.pid, x.duration_ns, x.faults_during, x.ns_during, x.faults_after, x.cow_after,
                               x.pages_after, x.ns_after, x.break_even_pages),
                      std::tie(y.pid, y.duration_ns, y.faults_during, y.ns_during, y.faults_after, y.cow_after,
                               y.pages_after, y.ns_after, y.break_even_pages));
        }
        ASSERT_EQ(a.faults->requests.size(), b.faults->requests.size());
        for (size_t i = 0; i < a.faults->requests.size(); ++i) {
            const auto &x = a.faults->requests[i], &y = b.faults->requests[i];
            EXPECT_EQ(std::tie(x.pid, x.t_s, x.faults, x.cow, x.first_touch, x.pages, x.ns),
                      std::tie(y.pid, y.t_s, y.faults, y.cow, y.first_touch, y.pages, y.ns));
        }
    }
    ASSERT_EQ(a.checkpoints.size(), b.checkpoints.size());
    for (size_t i = 0; i < a.checkpoints.size(); ++i) {
        const auto &x = a.checkpoints[i], &y = b.checkpoints[i];
        EXPECT_EQ(x.t_s, y.t_s);
        EXPECT_EQ(x.pid, y.pid);
        EXPECT_EQ(x.real, y.real);
        EXPECT_EQ(x.php_memory_usage, y.php_memory_usage);
        EXPECT_EQ(x.php_real_usage, y.php_real_usage);
        EXPECT_EQ(x.traced_live_bytes, y.traced_live_bytes);
    }
    ASSERT_EQ(a.symbols.size(), b.symbols.size());
    for (size_t i = 0; i < a.symbols.size(); ++i) {
        EXPECT_EQ(a.symbols[i].kind, b.symbols[i].kind) << i;
        EXPECT_EQ(a.symbols[i].function, b.symbols[i].function) << i;
        EXPECT_EQ(a.symbols[i].class_name, b.symbols[i].class_name) << i;
        EXPECT_EQ(a.symbols[i].file, b.symbols[i].file) << i;
        EXPECT_EQ(a.symbols[i].line_start, b.symbols[i].line_start) << i;
    }
    ASSERT_EQ(a.stacks.size(), b.stacks.size());
    for (size_t i = 0; i < a.stacks.size(); ++i) {
        EXPECT_EQ(a.stacks[i].frames, b.stacks[i].frames) << i;
        EXPECT_EQ(0, std::memcmp(&a.stacks[i].stats, &b.stacks[i].stats, sizeof(StackStats))) << i;
    }
}

TEST(SessionStore, RoundTripIsExact) {
    TempDir dir;
    Profile p = testing::small_profile();
    p.duration_s = 0.1 + 0.2;  // not representable in short decimal text
    p.heap.baseline_bytes = 123456789;
    p.counters.baseline_free_bytes = 77;
    p.counters.wiped_blocks = 5;
    p.counters.wiped_bytes = 640;
    p.symbols[2].class_name = std::string();  // empty class differs from no class
    p.symbols.push_back(Symbol{FrameKind::Unknown, "f\xc3\xa9t\xe2\x82\xac", std::nullopt, "/srv/\"quoted\".php", 9});
    p.stacks.push_back(Stack{{{6, 1}}, StackStats{1, UINT64_MAX, 0, 0, 0, 0, 0, 0}});
    p.stacks[1].stats.fault_count = 17;
    p.stacks[1].stats.fault_ns = 123456;
    FaultReport faults;
    faults.count = 40;
    faults.by_region[static_cast<size_t>(FaultRegion::Opcache)] = RegionFaultStats{5, 1, 4, 0, 999};
    faults.by_region[static_cast<size_t>(FaultRegion::Code)] = RegionFaultStats{7, 0, 7, 2, 1234};
    faults.latency_ns = FaultLatency{100, 200, 300, 4000, 150};
    faults.histogram[3] = 11;
    faults.counters.no_vma = 2;
    faults.counters.program_misses = 4;
    faults.restores.push_back(RestoreFaults{4242, "heap_snapshot_restore", 0.4, 1500, 3, 900, 40, 38, 40, 52000, 12});
    faults.requests.push_back(RequestFaults{4243, 0.6, 10, 2, 8, 10, 12345});
    p.faults = faults;
    const std::string path = dir.file("s.db");
    ASSERT_TRUE(save_session(p, path).ok());
    auto loaded = load_session(path);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    expect_same_profile(p, *loaded);
}

std::string json_of(const Profile& p) {
    std::ostringstream out;
    write_json_report(p, out);
    return out.str();
}

HeapTimeline sample_timeline() {
    HeapTimeline t;
    t.method = "uprobes";
    t.request_source = "sapi";
    t.samples = {HeapSample{0.25, 4242, 1000, 2097152, 1, 0}, HeapSample{0.5, 4243, 5000, 4194304, 2, 3145728}};
    t.map_events = {HeapMapEvent{0.3, 4242, true, true, 0x7f0000000000, 3145728, {{0, 3}, {1, 12}}},
                    HeapMapEvent{0.9, 4242, true, false, 0x7f0000000000, 3145728, {}}};
    t.gc_runs = {GcRun{4242, 0.7, 0.001, 12, 4800, 9000, 4200, {HeapStackBytes{{{0, 4}, {3, 31}}, 4800, 24}}}};
    t.requests = {RequestFigures{4243, "/index.php", "GET", "a=1", 0.1, 0.2, 7000, 8192, 9000, 100, 2097152}};
    LimitEvent limit;
    limit.limit_bytes = 134217728;
    limit.hit = true;
    limit.trigger = "fatal_error";
    limit.message = "Allowed memory size of 134217728 bytes exhausted";
    limit.stacks = {HeapStackBytes{{{0, 3}}, 100, 1}, HeapStackBytes{{{5, 0}}, 50, 2}};
    t.limit = limit;
    t.chunks_peak = 2;
    t.real_peak_bytes = 7340032;
    t.real_peak_at_s = 0.55;
    t.samples_dropped = 9;
    return t;
}

TEST(SessionStore, RoundTripKeepsTheHeapTimeline) {
    TempDir dir;
    Profile p = testing::small_profile();
    p.checkpoints[1].traced_real_bytes = 4194304;
    p.heap_timeline = sample_timeline();
    ASSERT_TRUE(save_session(p, dir.file("s.db")).ok());
    auto loaded = load_session(dir.file("s.db"));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    expect_same_profile(p, *loaded);
    ASSERT_TRUE(loaded->heap_timeline.has_value());
    const HeapTimeline& t = *loaded->heap_timeline;
    EXPECT_EQ(t.samples.size(), 2u);
    EXPECT_EQ(t.map_events.at(0).frames, (std::vector<Frame>{{0, 3}, {1, 12}}));
    EXPECT_TRUE(t.map_events.at(1).frames.empty());
    EXPECT_EQ(t.gc_runs.at(0).stacks.at(0).bytes, 4800u);
    ASSERT_TRUE(t.limit.has_value());
    EXPECT_EQ(t.limit->limit_bytes, std::optional<uint64_t>(134217728));
    EXPECT_EQ(t.limit->stacks.size(), 2u);
    EXPECT_EQ(loaded->checkpoints[1].traced_real_bytes, std::optional<uint64_t>(4194304));
    EXPECT_FALSE(loaded->checkpoints[0].traced_real_bytes.has_value());
    // The JSON report covers every field of the timeline: it must not change.
    EXPECT_EQ(json_of(*loaded), json_of(p));
}

// Every key of the heap_timeline table, each with a value of its own, and the
// approach within --limit-margin (kept there, not in the memory_limit table).
TEST(SessionStore, RoundTripKeepsEveryTimelineKeyAndTheLimitApproach) {
    TempDir dir;
    Profile p = testing::small_profile();
    HeapTimeline t = sample_timeline();
    t.chunks_peak = 3;
    t.huge_peak_bytes = 11;
    t.real_peak_bytes = 12;
    t.real_peak_at_s = 0.125;
    t.used_at_real_peak_bytes = 13;
    t.samples_dropped = 14;
    t.map_events_dropped = 15;
    t.unknown_unmaps = 16;
    t.requests_filtered = 17;
    t.baseline_real_bytes = 18;
    t.limit->hit = false;
    t.limit->near = true;
    t.limit->near_at_s = 0.375;
    t.limit->near_real_bytes = 19;
    p.heap_timeline = t;
    ASSERT_TRUE(save_session(p, dir.file("s.db")).ok());
    auto loaded = load_session(dir.file("s.db"));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_TRUE(loaded->heap_timeline && loaded->heap_timeline->limit);
    EXPECT_EQ(loaded->heap_timeline->limit->near_at_s, 0.375);
    EXPECT_EQ(loaded->heap_timeline->limit->near_real_bytes, 19u);
    EXPECT_EQ(json_of(*loaded), json_of(p));
}

TEST(SessionStore, NoHeapTimelineStaysNone) {
    TempDir dir;
    ASSERT_TRUE(save_session(testing::small_profile(), dir.file("s.db")).ok());
    auto loaded = load_session(dir.file("s.db"));
    ASSERT_TRUE(loaded.ok());
    EXPECT_FALSE(loaded->heap_timeline.has_value());
    EXPECT_FALSE(loaded->faults.has_value());
}

TEST(SessionStore, OptionalFieldsStayAbsent) {
    TempDir dir;
    Profile p = testing::small_profile();
    p.target.exit_code.reset();
    p.heap.baseline_bytes.reset();
    ASSERT_TRUE(save_session(p, dir.file("s.db")).ok());
    auto loaded = load_session(dir.file("s.db"));
    ASSERT_TRUE(loaded.ok());
    EXPECT_FALSE(loaded->target.exit_code.has_value());
    EXPECT_FALSE(loaded->heap.baseline_bytes.has_value());
    EXPECT_FALSE(loaded->checkpoints[0].php_real_usage.has_value());
    EXPECT_TRUE(loaded->checkpoints[1].php_real_usage.has_value());
}

TEST(SessionStore, LargeProfileRoundTrips) {
    TempDir dir;
    Profile p = testing::large_profile(12000);
    ASSERT_TRUE(save_session(p, dir.file("big.db")).ok());
    auto loaded = load_session(dir.file("big.db"));
    ASSERT_TRUE(loaded.ok());
    expect_same_profile(p, *loaded);
}

TEST(SessionStore, SavingReplacesAnExistingFile) {
    TempDir dir;
    Profile p = testing::small_profile();
    ASSERT_TRUE(save_session(testing::large_profile(50), dir.file("s.db")).ok());
    ASSERT_TRUE(save_session(p, dir.file("s.db")).ok());
    auto loaded = load_session(dir.file("s.db"));
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->stacks.size(), p.stacks.size());
    EXPECT_FALSE(std::filesystem::exists(dir.file("s.db.tmp." + std::to_string(getpid()))));
}

TEST(SessionStore, ErrorsNameTheProblem) {
    TempDir dir;
    auto missing = load_session(dir.file("nope.db"));
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("nope.db"), std::string::npos);

    std::ofstream(dir.file("text.db")) << "this is not sqlite at all, just some text\n";
    auto text = load_session(dir.file("text.db"));
    ASSERT_FALSE(text.ok());
    EXPECT_NE(text.error().message.find("not a phpmemtrace session"), std::string::npos) << text.error().message;

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("other.db").c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    auto other = load_session(dir.file("other.db"));
    ASSERT_FALSE(other.ok());
    EXPECT_NE(other.error().message.find("not a phpmemtrace session"), std::string::npos);

    EXPECT_FALSE(save_session(testing::small_profile(), dir.file("no/such/dir/s.db")).ok());
}

TEST(SessionStore, NewerSchemaIsRefused) {
    TempDir dir;
    ASSERT_TRUE(save_session(testing::small_profile(), dir.file("s.db")).ok());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("s.db").c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "UPDATE session SET value = 99 WHERE key = 'schema_version';"
                     "CREATE TABLE heap_timeline(t_s REAL, bytes INTEGER);",  // unknown tables are fine
                 nullptr, nullptr, nullptr);
    sqlite3_close(db);
    auto loaded = load_session(dir.file("s.db"));
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find("newer"), std::string::npos);
}

// A file written before columns and tables were added still loads: the added
// fields come back empty (the compatibility rule of docs/session-schema.md).
TEST(SessionStore, FilesWithoutLaterColumnsAndTablesStillLoad) {
    TempDir dir;
    Profile p = testing::small_profile();
    p.stacks[0].stats.fault_count = 5;
    p.checkpoints[0].traced_real_bytes = 77;
    ASSERT_TRUE(save_session(p, dir.file("s.db")).ok());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("s.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "ALTER TABLE stacks DROP COLUMN fault_count; ALTER TABLE stacks DROP COLUMN fault_ns;"
                           "ALTER TABLE checkpoints DROP COLUMN traced_real_bytes;"
                           "DROP TABLE faults; DROP TABLE fault_regions; DROP TABLE heap_timeline;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
    auto loaded = load_session(dir.file("s.db"));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->stacks[0].stats.fault_count, 0u);
    EXPECT_EQ(loaded->stacks[0].stats.alloc_bytes, p.stacks[0].stats.alloc_bytes);
    EXPECT_FALSE(loaded->checkpoints[0].traced_real_bytes.has_value());
    EXPECT_EQ(loaded->checkpoints[0].traced_live_bytes, p.checkpoints[0].traced_live_bytes);
}

// Runs `sql` and returns "name=value" for each row (first two columns).
std::map<std::string, int64_t> query_pairs(const std::string& path, const std::string& sql) {
    std::map<std::string, int64_t> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
        out[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] = sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
}

// The documented queries give what the model says: inclusive counts a function
// once per stack, self counts the leaf frame.
TEST(SessionStore, DocumentedQueriesAgreeWithTheModel) {
    TempDir dir;
    Profile p = testing::small_profile();
    ASSERT_TRUE(save_session(p, dir.file("s.db")).ok());

    auto inclusive = query_pairs(dir.file("s.db"), R"(
        SELECT coalesce(sy.class || '::', '') || sy.function AS function, sum(s.live_bytes) AS live_bytes
        FROM stacks s
        JOIN (SELECT DISTINCT stack_id, symbol_id FROM stack_frames) f ON f.stack_id = s.id
        JOIN symbols sy ON sy.id = f.symbol_id
        GROUP BY sy.id ORDER BY live_bytes DESC)");
    EXPECT_EQ(inclusive["{main}"], 2000 + 1000 + 500 + 0);
    EXPECT_EQ(inclusive["load"], 3000);
    EXPECT_EQ(inclusive["App\\View::draw"], 500);
    EXPECT_EQ(inclusive["[startup]"], 300);

    auto self = query_pairs(dir.file("s.db"), R"(
        SELECT coalesce(sy.class || '::', '') || sy.function AS function, sum(s.live_bytes) AS live_bytes
        FROM stacks s
        JOIN leaf_frames l ON l.stack_id = s.id
        JOIN symbols sy ON sy.id = l.symbol_id
        GROUP BY sy.id ORDER BY live_bytes DESC)");
    EXPECT_EQ(self["str_repeat"], 2000);
    EXPECT_EQ(self["load"], 1000);
    EXPECT_EQ(self["{main}"], 0);
    EXPECT_EQ(self["render"], 0);  // never a leaf: no row, map default

    auto by_file = query_pairs(dir.file("s.db"), R"(
        SELECT sy.file, sum(s.live_bytes) FROM stacks s
        JOIN leaf_frames l ON l.stack_id = s.id JOIN symbols sy ON sy.id = l.symbol_id
        WHERE sy.file <> '' GROUP BY sy.file)");
    EXPECT_EQ(by_file["/srv/lib.php"], 1000);
    EXPECT_EQ(by_file["/srv/View.php"], 500);

    auto counters = query_pairs(dir.file("s.db"), "SELECT name, value FROM counters");
    EXPECT_EQ(counters["lost_events"], 3);
    EXPECT_EQ(counters["allocs"], 120);
}

}  // namespace
}  // namespace pmt

namespace pmt {
namespace {

// Tripwire: the session file must hold every field of the Profile, or `report`
// of a session silently loses what `record` showed. When a field is added to one
// of these structs, this fails: store it (userspace/store/session_*.cpp, a new
// column or table, docs/session-schema.md), extend the round-trip tests, then
// update the size here. Sizes are for x86-64 libstdc++.
TEST(SessionStore, EveryProfileFieldHasAPlaceInTheFile) {
#if defined(__x86_64__) && defined(__GLIBCXX__)
    EXPECT_EQ(sizeof(Profile), 1520u) << "Profile changed";
    EXPECT_EQ(sizeof(Target), 136u) << "Target changed";
    EXPECT_EQ(sizeof(Counters), 200u) << "Counters changed (also kCounterFields in model/profile.h)";
    EXPECT_EQ(sizeof(HeapFigures), 40u) << "HeapFigures changed";
    EXPECT_EQ(sizeof(Checkpoint), 72u) << "Checkpoint changed";
    EXPECT_EQ(sizeof(Symbol), 120u) << "Symbol changed";
    EXPECT_EQ(sizeof(Frame), 8u) << "Frame changed";
    EXPECT_EQ(sizeof(StackStats), 80u) << "StackStats changed";
    EXPECT_EQ(sizeof(FaultReport), 568u) << "FaultReport changed (session_faults.cpp)";
    EXPECT_EQ(sizeof(RestoreFaults), 112u) << "RestoreFaults changed (session_faults.cpp)";
    EXPECT_EQ(sizeof(RequestFaults), 56u) << "RequestFaults changed (session_faults.cpp)";
    EXPECT_EQ(sizeof(HeapTimeline), 416u) << "HeapTimeline changed (session_heap.cpp)";
    EXPECT_EQ(sizeof(HeapSample), 48u) << "HeapSample changed (session_heap.cpp)";
    EXPECT_EQ(sizeof(HeapMapEvent), 64u) << "HeapMapEvent changed (session_heap.cpp)";
    EXPECT_EQ(sizeof(HeapStackBytes), 40u) << "HeapStackBytes changed (session_heap.cpp)";
    EXPECT_EQ(sizeof(GcRun), 80u) << "GcRun changed (session_heap.cpp)";
    EXPECT_EQ(sizeof(RequestFigures), 160u) << "RequestFigures changed (session_heap.cpp)";
    EXPECT_EQ(sizeof(LimitEvent), 168u) << "LimitEvent changed (session_heap.cpp)";
#else
    GTEST_SKIP() << "layout sizes are recorded for x86-64 libstdc++ only";
#endif
}

}  // namespace
}  // namespace pmt
