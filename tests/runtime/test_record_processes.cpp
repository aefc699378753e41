// Real programs start threads and children: the totals must still be PHP's own.
// Threads share their process's heap (they are not processes), and a child that
// exits or execs without PHP's shutdown takes its copy of the heap with it.
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

using nlohmann::json;

constexpr uint64_t kSlack = 64 * 1024;  // what the script allocates after its last memory_get_usage()

uint64_t printed(const json& report, const std::string& key) {
    const std::string v = script_value(report["__script_output"], key);
    return v.empty() ? 0 : std::stoull(v);
}

TEST(RecordProcesses, ThreadsAreNotProcesses) {
    PMT_REQUIRE_ROOT();
    json report = record_script("threads_curl.php", {}, {}, {"-d", "extension=curl"});
    ASSERT_FALSE(report.is_null());
    ASSERT_EQ(script_value(report["__script_output"], "ASYNCH_DNS"), "1") << "libcurl without its resolver thread";
    ASSERT_GE(printed(report, "TASKS_STARTED"), 3u) << "the requests started no threads";

    EXPECT_EQ(report["target"]["pids"].size(), 1u) << report["target"];
    const uint64_t usage = printed(report, "USAGE");
    const uint64_t live = report["heap"]["live_bytes"];
    EXPECT_GE(live + kSlack, usage);
    EXPECT_LE(live, usage + kSlack) << "live bytes counted more than once";
    // The traced heap is PHP's heap->size at every instant, so its peak cannot pass PHP's.
    EXPECT_LE(report["heap"]["peak_live_bytes"].get<uint64_t>(), printed(report, "PEAK"));
    for (const auto& c : report["checkpoints"]) EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;
}

TEST(RecordProcesses, ChildrenThatExecOrDieTakeTheirCopyOfTheHeap) {
    PMT_REQUIRE_ROOT();
    json report = record_script("children_exit.php");
    ASSERT_FALSE(report.is_null());
    ASSERT_EQ(script_value(report["__script_output"], "KILLED"), "9");
    const uint64_t kept = printed(report, "KEPT"), usage = printed(report, "USAGE");
    ASSERT_GT(kept, 4000u * 1000);

    // The script and six children: four shells (shell_exec), one exec, one killed.
    EXPECT_EQ(report["target"]["pids"].size(), 7u) << report["target"];
    const uint64_t live = report["heap"]["live_bytes"];
    EXPECT_GE(live + kSlack, usage);
    EXPECT_LE(live, usage + kSlack) << "children's copies still counted as live";
    // A child's copy of the kept blocks is its baseline (its probes are its own,
    // attached after the fork), gone with the child; the killed child's own 1 MiB
    // was released when it died.
    EXPECT_FALSE(report["heap"].contains("baseline_bytes")) << report["heap"];
    EXPECT_GE(report["counters"]["exited_bytes"].get<uint64_t>(), 1u << 20) << report["counters"];
    EXPECT_EQ(report["counters"]["untraced_children"], 0);
}

}  // namespace
}  // namespace pmt::testing
