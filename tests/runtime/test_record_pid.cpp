// Attach by PID to a PHP process that is already running.
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

}  // namespace
}  // namespace pmt::testing
