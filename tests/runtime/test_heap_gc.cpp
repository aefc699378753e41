// Garbage collector runs on a real php8.2 script that builds 100,000
// self-referencing objects: the tracer's runs and collected items must equal
// what PHP's own gc_status() says at the same point of the script.
#include <string>

#include "heap_test_helpers.h"

namespace pmt::testing {
namespace {

TEST(HeapGc, RunsAndCollectedMatchGcStatus) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    Recorded r = record_php(dir, {php_script("gc_cycles.php")});
    ASSERT_EQ(r.command.exit_code, 0) << r.command.err;
    const auto& report = r.report;
    const uint64_t php_runs = std::stoull(script_value(r.command.out, "GC_RUNS"));
    const int64_t php_collected = std::stoll(script_value(r.command.out, "GC_COLLECTED"));
    ASSERT_GE(php_runs, 2u) << "the script should make the GC run on its own";

    // gc_status() was read just before the last checkpoint: runs that started
    // later (the collection at shutdown) are not in PHP's figures yet.
    ASSERT_FALSE(report["checkpoints"].empty());
    const double checkpoint_s = report["checkpoints"].back()["t_s"].get<double>();
    uint64_t runs = 0;
    int64_t collected = 0;
    for (const auto& run : report["gc"]["runs_detail"]) {
        if (run["start_s"].get<double>() >= checkpoint_s) continue;
        ++runs;
        collected += run["collected"].get<int64_t>();
        // Bytes the tracer saw freed during the run vs PHP's heap size around it:
        // the run can allocate a little, never free less than the heap shrank.
        const uint64_t before = run["heap_before_bytes"], after = run["heap_after_bytes"];
        const uint64_t freed = run["freed_bytes"];
        EXPECT_GE(freed + after, before);
        EXPECT_LE(freed, before);
        EXPECT_GT(run["duration_s"].get<double>(), 0.0);
        // The freed bytes come from the stacks that built the cycles.
        ASSERT_FALSE(run["stacks"].empty());
        bool from_make_cycles = false;
        for (const auto& f : run["stacks"][0]["frames"]) from_make_cycles |= frame_name(f) == "make_cycles";
        EXPECT_TRUE(from_make_cycles);
    }
    EXPECT_EQ(runs, php_runs);
    EXPECT_EQ(collected, php_collected);
    EXPECT_GE(report["gc"]["runs"].get<uint64_t>(), runs);
    EXPECT_GT(report["gc"]["freed_bytes"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace pmt::testing
