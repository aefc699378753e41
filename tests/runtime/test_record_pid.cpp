// Attach by PID to a PHP process that is already running.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "background_process.h"
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

TEST(RecordPid, AttachReportsBaselineAndCheckpointsStillMatch) {
    PMT_REQUIRE_ROOT();
    BackgroundProcess php({"php8.2", "-n", php_script("long_running.php"), "8"});
    std::string ready = php.wait_for_line("READY", 15000);
    ASSERT_FALSE(ready.empty()) << "the PHP worker did not start";
    const uint64_t usage_before_attach = std::stoull(ready.substr(ready.find("usage=") + 6));

    TempDir dir;
    CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "-p", std::to_string(php.pid()),
                                   "--duration", "2", "-o", dir.file("pid.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto report = read_json(dir.file("pid.json"));
    EXPECT_EQ(report["target"]["pid"], php.pid());
    EXPECT_EQ(report["heap"]["live_point"], "session_end");

    // What was live before the tracer came is reported apart, not hidden.
    ASSERT_TRUE(report["heap"].contains("baseline_bytes"));
    const uint64_t baseline = report["heap"]["baseline_bytes"];
    EXPECT_GE(baseline, usage_before_attach);  // the worker only grows after READY
    EXPECT_GT(report["counters"]["baseline_frees"].get<uint64_t>(), 0u);
    EXPECT_EQ(report["counters"]["unknown_frees"], 0);

    // Baseline still live + traced live = PHP's own figure, at every checkpoint.
    const auto& checkpoints = report["checkpoints"];
    ASSERT_GE(checkpoints.size(), 20u);
    for (const auto& c : checkpoints) EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;

    // The new strings are attributed to the worker's top-level code.
    EXPECT_GT(sum_for_function(report, "str_repeat", "alloc_count"), 20u);
    EXPECT_EQ(php.wait_exit(20000), 0) << "the traced worker must finish normally";
}

// Blocks allocated before the attach, reallocated and freed after it: their
// sizes are read from the chunk's page map (large runs) or the huge list, so
// nothing is an unknown free and every checkpoint is exact.
TEST(RecordPid, BlocksFromBeforeTheAttachLeaveTheBaselineExactly) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    const std::string go = dir.file("go");
    BackgroundProcess php({"php8.2", "-n", php_script("pre_attach_blocks.php"), go});
    ASSERT_FALSE(php.wait_for_line("READY", 15000).empty()) << "the PHP script did not start";
    const std::string json = dir.file("pid.json"), ready = dir.file("ready");
    BackgroundProcess tracer({phpmemtrace_binary(), "record", "-q", "-p", std::to_string(php.pid()), "-o", json,
                              "--ready-file", ready});
    for (int i = 0; i < 600 && !std::filesystem::exists(ready); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(std::filesystem::exists(ready)) << tracer.output();
    { std::ofstream(go) << "go\n"; }
    ASSERT_EQ(php.wait_exit(30000), 0);
    ASSERT_EQ(tracer.wait_exit(30000), 0) << tracer.output();
    auto report = read_json(json);

    const auto& checkpoints = report["checkpoints"];
    size_t exact = 0;
    for (const auto& c : checkpoints) {
        if (c["real"].get<bool>()) continue;
        EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;
        ++exact;
    }
    EXPECT_EQ(exact, 4u);  // AFTER_GO, GREW, FREED, DONE
    EXPECT_EQ(report["counters"]["unknown_frees"], 0) << report["counters"];
    // The array's old block, the five large strings, and the huge one at least.
    EXPECT_GE(report["counters"]["baseline_frees"].get<uint64_t>(), 7u) << report["counters"];
    EXPECT_GE(report["counters"]["baseline_free_bytes"].get<uint64_t>(), 20480u + 5 * 8192u + 3u * 1024 * 1024);
}

}  // namespace
}  // namespace pmt::testing
