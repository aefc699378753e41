// What holds the memory, on a real php8.2 script (tests/php/snapshot_reach.php)
// that prints its own figures and blocks reading STDIN: its variables found on
// their paths with the sizes the Zend heap gives them (zend_sizes.h, computed here
// from the lengths the script allocated), a static property and a function's
// local and a function's static variable found as roots, 1,000 self-referencing
// objects reported as cycle garbage until gc_collect_cycles() frees them, the
// block total still equal to memory_get_usage(), and the same figures in the
// JSON, the SQLite file and the text of the top holders.
#include <sys/wait.h>

#include <sstream>

#include "../unit/svg_frames.h"
#include "collect/zend_sizes.h"
#include "piped_script.h"
#include "runtime_helpers.h"
#include "store/sqlite_db.h"

namespace pmt::testing {
namespace {

uint64_t as_u64(const std::string& text) { return text.empty() ? 0 : std::stoull(text); }

constexpr uint64_t kStrings = 3000;
constexpr uint64_t kZendString = 24;  // zend_string header before its bytes (then a NUL)
constexpr uint64_t kZendArray = 56;   // sizeof(zend_array)
constexpr uint64_t kZendObject = 56;  // sizeof(zend_object), one declared slot included

uint64_t string_block(uint64_t length) { return zend::block_size(kZendString + length + 1); }
// str_repeat() allocates with zend_string_safe_alloc(len, times, 0): the header
// of an empty string rounded to 8 (32), plus the bytes.
uint64_t repeat_block(uint64_t length) { return zend::block_size((kZendString + 1 + 7) / 8 * 8 + length); }
// A packed array's data: nTableSize zvals (the next power of two, at least 8)
// after a hash part of two uint32 (HT_MIN_MASK).
uint64_t packed_data_block(uint64_t table_size) { return zend::block_size(table_size * 16 + 8); }
uint64_t next_power_of_two(uint64_t n) {
    uint64_t p = 8;
    while (p < n) p <<= 1;
    return p;
}

const nlohmann::json* holder(const nlohmann::json& j, const std::string& path) {
    for (const auto& h : j["holders"])
        if (h["path"] == path) return &h;
    return nullptr;
}

// The single value a query gives (0 and a failed expectation if none).
uint64_t query_u64(sqlite::Database& db, const std::string& sql, const std::string& arg) {
    auto q = db.prepare(sql);
    EXPECT_TRUE(q) << sql;
    if (!q) return 0;
    q->bind(1, arg);
    if (!q->next()) {
        ADD_FAILURE() << "no row for " << sql << " with " << arg;
        return 0;
    }
    return q->u64(0);
}

class SnapshotReach : public ::testing::Test {
protected:
    void SetUp() override { PMT_REQUIRE_ROOT(); }
    nlohmann::json snapshot(pid_t pid, const std::string& name) {
        auto r = run_command({phpmemtrace_binary(), "snapshot", "-p", std::to_string(pid), "-o", dir.file(name + ".json"),
                              "-o", dir.file(name + ".db"), "-o", dir.file(name + ".txt"),
                              "-o", dir.file(name + ".svg")});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.err, "");
        return read_json(dir.file(name + ".json"));
    }
    TempDir dir;
};

TEST_F(SnapshotReach, PathsRetainedSizesStaticsFramesAndCycleGarbage) {
    PipedScript php({"php8.2", "-n", php_script("snapshot_reach.php"), std::to_string(kStrings)});
    ASSERT_GT(php.pid(), 0);
    ASSERT_TRUE(php.send("warm\n"));
    const uint64_t cache_strlen = as_u64(php.value("cache_strlen"));
    const uint64_t usage1 = as_u64(php.value("usage1"));
    ASSERT_GT(usage1, 0u);

    const auto j = snapshot(php.pid(), "first");
    EXPECT_EQ(j["heap"]["size"].get<uint64_t>(), usage1);
    EXPECT_EQ(j["heap"]["blocks_bytes"].get<uint64_t>(), usage1);
    const auto& reach = j["reachability"];
    ASSERT_TRUE(reach["computed"].get<bool>()) << reach.dump();
    EXPECT_EQ(reach["bad_headers"], 0);
    EXPECT_TRUE(reach["problems"].empty()) << reach.dump();

    // $GLOBALS['cache']: its header, its packed data, and N strings of one bin.
    const uint64_t string_bin = string_block(cache_strlen);
    const uint64_t cache_bytes =
        kStrings * string_bin + kZendArray + packed_data_block(next_power_of_two(kStrings));
    const auto* cache = holder(j, "$GLOBALS['cache']");
    ASSERT_NE(cache, nullptr) << j["holders"].dump();
    EXPECT_EQ((*cache)["kind"], "array");
    EXPECT_EQ((*cache)["retained_bytes"].get<uint64_t>(), cache_bytes);
    EXPECT_EQ((*cache)["blocks"].get<uint64_t>(), kStrings + 2);
    EXPECT_EQ(j["holders"][0]["path"], "$GLOBALS['cache']");  // the largest holder

    // A static property holding range(1, 500): a root of its own.
    const auto* items = holder(j, "Registry::$items");
    ASSERT_NE(items, nullptr) << j["holders"].dump();
    EXPECT_EQ((*items)["kind"], "array");
    EXPECT_EQ((*items)["retained_bytes"].get<uint64_t>(), kZendArray + packed_data_block(512));

    // A function's static variable: a reference (static binds by reference) to an
    // array of three 50-byte strings, grown from [] to a packed table of 8.
    const auto* seen = holder(j, "remember(): static $seen");
    ASSERT_NE(seen, nullptr) << j["holders"].dump();
    EXPECT_EQ((*seen)["kind"], "reference");
    EXPECT_EQ((*seen)["retained_bytes"].get<uint64_t>(),
              zend::block_size(32) + kZendArray + packed_data_block(8) + 3 * repeat_block(50));

    // 1,000 Node objects, each holding only itself.
    bool node_garbage = false;
    for (const auto& g : j["cycle_garbage"]) {
        if (g["class"] != "Node") continue;
        node_garbage = true;
        EXPECT_EQ(g["objects"].get<uint64_t>(), 1000u);
        EXPECT_EQ(g["bytes"].get<uint64_t>(), 1000 * zend::block_size(kZendObject));
        EXPECT_EQ(g["retained_bytes"].get<uint64_t>(), 1000 * zend::block_size(kZendObject));
    }
    EXPECT_TRUE(node_garbage) << j["cycle_garbage"].dump();

    // Every block is reached, cycle garbage or counted as unreached: nothing hidden.
    uint64_t accounted = reach["reached_bytes"].get<uint64_t>();
    for (const auto& g : j["cycle_garbage"]) accounted += g["retained_bytes"].get<uint64_t>();
    for (const auto& u : j["unreached"]) accounted += u["bytes"].get<uint64_t>();
    EXPECT_EQ(accounted, usage1);

    // The text file: the same largest holder first, and the garbage by class, with
    // the JSON's figures.
    {
        const std::string text = read_file(dir.file("first.txt"));
        const size_t holders = text.find("Top holders");
        ASSERT_NE(holders, std::string::npos) << text;
        std::istringstream lines(text.substr(holders));
        std::string line;
        std::getline(lines, line);  // the title
        std::getline(lines, line);  // the column names
        std::getline(lines, line);  // the largest holder
        EXPECT_NE(line.find(std::to_string(cache_bytes)), std::string::npos) << line;
        EXPECT_TRUE(line.ends_with("array  $GLOBALS['cache']")) << line;
        const size_t garbage = text.find("Cycle garbage");
        ASSERT_NE(garbage, std::string::npos) << text;
        const std::string node_row = std::to_string(1000 * zend::block_size(kZendObject));
        const size_t node = text.find(" Node\n", garbage);
        ASSERT_NE(node, std::string::npos) << text;
        EXPECT_NE(text.substr(garbage, node - garbage).find(node_row), std::string::npos) << text;
        EXPECT_NE(text.find(" (exact)\n"), std::string::npos) << text;
    }

    // The retention flame graph, read back with an XML parser: the whole heap at the
    // bottom, and $GLOBALS['cache'] and the cycle garbage on it as wide as their shares.
    {
        const SvgDoc svg = parse_flamegraph(read_file(dir.file("first.svg")));
        ASSERT_TRUE(svg.parsed) << svg.error;
        const auto heap = svg.named("heap");
        ASSERT_EQ(heap.size(), 1u);
        EXPECT_NEAR(heap[0].width, svg.usable_width(), 0.01);
        const auto cache_box = svg.named("$GLOBALS['cache']");
        ASSERT_EQ(cache_box.size(), 1u);
        EXPECT_EQ(cache_box[0].depth, 1);
        EXPECT_NEAR(cache_box[0].width / svg.usable_width(), double(cache_bytes) / double(usage1), 0.001);
        // The 1,000 garbage objects, each a root of its own, in one box of their class.
        const auto garbage_box = svg.named("[cycle garbage: Node]");
        ASSERT_EQ(garbage_box.size(), 1u);
        EXPECT_NEAR(garbage_box[0].width / svg.usable_width(),
                    double(1000 * zend::block_size(kZendObject)) / double(usage1), 0.001);
    }

    // The SQLite file: paths through arrays, declared and dynamic properties, a
    // reference, and a function's local variable as a root.
    auto db = sqlite::Database::open(dir.file("first.db"), /*read_only=*/true);
    ASSERT_TRUE(db) << db.error().message;
    const std::string size_of_path =
        "SELECT b.size FROM paths p JOIN blocks b ON b.address = p.address WHERE p.path = ? AND b.type = 'string'";
    EXPECT_EQ(query_u64(*db, size_of_path, "$GLOBALS['cache'][17]"), string_bin);
    EXPECT_EQ(query_u64(*db, size_of_path, "$GLOBALS['holder']->items['a']"), repeat_block(300));
    EXPECT_EQ(query_u64(*db, size_of_path, "$GLOBALS['std']->dyn"), repeat_block(400));
    EXPECT_EQ(query_u64(*db, size_of_path, "$GLOBALS['r1']"), repeat_block(600));
    EXPECT_EQ(query_u64(*db,
                        "SELECT count(*) FROM paths p JOIN blocks b ON b.address = p.address WHERE p.path = ? AND "
                        "b.type = 'reference'",
                        "$GLOBALS['r1']"),
              1u);
    EXPECT_EQ(query_u64(*db, "SELECT b.size FROM roots r JOIN blocks b ON b.address = r.address WHERE r.label = ?",
                        "frame 1 of wait_here: $buf"),
              repeat_block(5000));
    EXPECT_EQ(query_u64(*db, "SELECT count(*) FROM roots WHERE label = ? AND kind = 'static'", "Registry::$items"), 1u);
    EXPECT_EQ(query_u64(*db, "SELECT count(*) FROM blocks WHERE class = ? AND reached = 'garbage'", "Node"), 1000u);
    // The two outputs agree on what no root reaches.
    for (const auto& u : j["unreached"]) {
        const std::string guessed = u["kind"].get<std::string>() + "?";
        EXPECT_EQ(query_u64(*db, "SELECT count(*) FROM blocks WHERE reached IS NULL AND type = ?", guessed),
                  u["blocks"].get<uint64_t>());
        EXPECT_EQ(query_u64(*db, "SELECT sum(size) FROM blocks WHERE reached IS NULL AND type = ?", guessed),
                  u["bytes"].get<uint64_t>());
    }

    // gc_collect_cycles() frees exactly those: the second snapshot has none left.
    ASSERT_TRUE(php.send("next\n"));
    EXPECT_EQ(as_u64(php.value("collected")), 1000u);
    const uint64_t usage2 = as_u64(php.value("usage2"));
    EXPECT_EQ(usage1 - usage2, 1000 * zend::block_size(kZendObject));
    const auto j2 = snapshot(php.pid(), "second");
    EXPECT_EQ(j2["heap"]["blocks_bytes"].get<uint64_t>(), usage2);
    for (const auto& g : j2["cycle_garbage"]) EXPECT_NE(g["class"], "Node") << j2["cycle_garbage"].dump();
    ASSERT_NE(holder(j2, "$GLOBALS['cache']"), nullptr);
    EXPECT_EQ((*holder(j2, "$GLOBALS['cache']"))["retained_bytes"].get<uint64_t>(), cache_bytes);

    ASSERT_TRUE(php.send("go\n"));
    EXPECT_EQ(as_u64(php.value("done")), kStrings + 600);
    const int status = php.wait_status(/*block=*/true);
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace pmt::testing
