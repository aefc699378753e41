// The heap tracer's chunks and huge blocks on a real php8.2 script: its real size
// (chunks + huge bytes) must equal memory_get_usage(true) to the byte at every
// checkpoint, and the huge blocks must be the exact page-rounded mappings of the
// strings the script made.
#include <tinyxml2.h>

#include <algorithm>
#include <string>

#include "background_process.h"
#include "heap_test_helpers.h"

namespace pmt::testing {
namespace {

bool frames_contain(const nlohmann::json& frames, const std::string& function) {
    for (const auto& f : frames)
        if (frame_name(f) == function) return true;
    return false;
}

// A zend_string of `len` characters: 24-byte header + len + NUL, page-rounded
// when huge (zend_alloc.c: ZEND_MM_ALIGNED_SIZE_EX(size, REAL_PAGE_SIZE)).
uint64_t huge_block_size(uint64_t len) { return (len + 24 + 1 + 4095) & ~uint64_t(4095); }

TEST(HeapChunks, RealSizeEqualsMemoryGetUsageTrueAtEveryCheckpoint) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    Recorded r = record_php(dir, {php_script("heap_chunks.php")});
    ASSERT_EQ(r.command.exit_code, 0) << r.command.err;
    const auto& report = r.report;
    const auto& checkpoints = report["checkpoints"];
    // The script printed memory_get_usage(true) six times: the same values, in order.
    const std::vector<std::string> keys = {"START_REAL",          "AFTER_GROW_REAL",    "AFTER_HUGE_REAL",
                                           "AFTER_FREE_ONE_REAL", "AFTER_REALLOC_REAL", "AFTER_RELEASE_REAL",
                                           "AFTER_FREAD_REAL",    "AFTER_APPEND_REAL"};
    ASSERT_EQ(checkpoints.size(), keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
        const uint64_t printed = std::stoull(script_value(r.command.out, keys[i]));
        SCOPED_TRACE(keys[i]);
        ASSERT_TRUE(checkpoints[i].contains("php_real_usage"));
        ASSERT_TRUE(checkpoints[i].contains("traced_real_bytes"));
        EXPECT_EQ(checkpoints[i]["php_real_usage"].get<uint64_t>(), printed);
        EXPECT_EQ(checkpoints[i]["traced_real_bytes"].get<uint64_t>(), printed);
    }
    // Grew past several chunks, and had huge blocks.
    EXPECT_GE(std::stoull(script_value(r.command.out, "AFTER_GROW_REAL")), 12u << 20);
    EXPECT_GE(report["heap"]["chunks_peak"].get<uint64_t>(), 6u);
    EXPECT_EQ(report["heap"]["real_peak_bytes"].get<uint64_t>(), std::stoull(script_value(r.command.out, "PEAK_REAL")));

    // Every huge string is one mapping of its exact page-rounded size, made by huge_strings().
    const auto& events = report["heap_timeline"]["map_events"];
    for (uint64_t len : {3ull << 20, (5ull << 20) + 123, 8ull << 20}) {
        SCOPED_TRACE(len);
        auto it = std::find_if(events.begin(), events.end(), [&](const nlohmann::json& e) {
            return e["kind"] == "huge" && e["op"] == "map" && e["size"].get<uint64_t>() == huge_block_size(len) &&
                   frames_contain(e["frames"], "huge_strings");
        });
        EXPECT_NE(it, events.end());
    }
    // The 5 MiB one was unset: unmapped, with its size.
    EXPECT_TRUE(std::any_of(events.begin(), events.end(), [&](const nlohmann::json& e) {
        return e["kind"] == "huge" && e["op"] == "unmap" && e["size"].get<uint64_t>() == huge_block_size((5ull << 20) + 123);
    }));
    // Chunks were mapped while grow() ran, each 2 MiB.
    size_t grow_chunks = 0;
    for (const auto& e : events)
        if (e["kind"] == "chunk" && e["op"] == "map" && frames_contain(e["frames"], "grow")) {
            EXPECT_EQ(e["size"].get<uint64_t>(), 2u << 20);
            ++grow_chunks;
        }
    EXPECT_GE(grow_chunks, 5u);
    // The fread() buffer was resized in place: unmapped at its address with another size.
    bool resized_in_place = false;
    for (const auto& m : events)
        if (m["kind"] == "huge" && m["op"] == "map" && m["size"].get<uint64_t>() == huge_block_size(9ull << 20))
            for (const auto& u : events)
                if (u["op"] == "unmap" && u["addr"] == m["addr"] && u["t_s"].get<double>() > m["t_s"].get<double>()) {
                    resized_in_place = u["size"].get<uint64_t>() == huge_block_size((6ull << 20) + 7);
                    break;
                }
    EXPECT_TRUE(resized_in_place);
    EXPECT_NE(report["heap_timeline"]["method"].get<std::string>().find("zend_mm_chunk_alloc_int"), std::string::npos);
}

// Attach by PID to a running script: the chunks mapped before attach are the
// baseline (read from the target), and real size still equals PHP's at every checkpoint.
TEST(HeapChunks, AttachByPidStartsFromTheMappedBaseline) {
    PMT_REQUIRE_ROOT();
    BackgroundProcess php({"php8.2", "-n", php_script("long_running.php"), "6"});
    ASSERT_FALSE(php.wait_for_line("READY", 15000).empty()) << "the PHP worker did not start";
    TempDir dir;
    CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "-p", std::to_string(php.pid()),
                                   "--duration", "2", "-o", dir.file("pid.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = read_json(dir.file("pid.json"));
    EXPECT_GE(report["heap_timeline"]["baseline_real_bytes"].get<uint64_t>(), 2u << 20);
    const auto& checkpoints = report["checkpoints"];
    ASSERT_GE(checkpoints.size(), 20u);
    for (const auto& c : checkpoints) {
        ASSERT_TRUE(c.contains("php_real_usage") && c.contains("traced_real_bytes")) << c;
        EXPECT_EQ(c["php_real_usage"], c["traced_real_bytes"]) << c;
    }
    EXPECT_EQ(php.wait_exit(20000), 0);
}

TEST(HeapChunks, ChartIsAnSvgWithTheSeries) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    const std::string svg = dir.file("heap.heap.svg");
    Recorded r = record_php(dir, {php_script("heap_chunks.php")}, {"-o", svg});
    ASSERT_EQ(r.command.exit_code, 0) << r.command.err;
    tinyxml2::XMLDocument doc;
    ASSERT_EQ(doc.LoadFile(svg.c_str()), tinyxml2::XML_SUCCESS);
    const tinyxml2::XMLElement* root = doc.RootElement();
    ASSERT_NE(root, nullptr);
    EXPECT_STREQ(root->Name(), "svg");
    const std::string text = read_file(svg);
    // Not a flame graph: the heap chart, with its series and the request band.
    EXPECT_NE(text.find("2 MiB chunks mapped"), std::string::npos);
    EXPECT_NE(text.find("huge blocks"), std::string::npos);
    EXPECT_NE(text.find("used (memory_get_usage())"), std::string::npos);
    EXPECT_NE(text.find("heap_chunks.php: peak"), std::string::npos);
    EXPECT_NE(text.find("fragmentation"), std::string::npos);
}

}  // namespace
}  // namespace pmt::testing
