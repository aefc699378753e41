// Launch mode on real php8.2 scripts: totals, names, files and lines checked
// against what the scripts themselves compute and print.
#include <algorithm>

#include "collect/zend_sizes.h"
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

using nlohmann::json;

// Sum of `field` over stacks whose leaf is `leaf` and that pass through `caller`.
uint64_t sum_leaf_under(const json& report, const std::string& leaf, const std::string& caller,
                        const std::string& field) {
    uint64_t total = 0;
    for (const auto& stack : report["stacks"]) {
        const auto& frames = stack["frames"];
        if (frames.empty() || frame_name(frames.back()) != leaf) continue;
        bool through = std::any_of(frames.begin(), frames.end(), [&](const json& f) { return frame_name(f) == caller; });
        if (through) total += stack[field].get<uint64_t>();
    }
    return total;
}

void expect_clean_counters(const json& report) {
    const auto& c = report["counters"];
    EXPECT_EQ(c["lost_events"], 0) << c;
    EXPECT_EQ(c["truncated_stacks"], 0) << c;
    EXPECT_EQ(c["unreadable_frames"], 0) << c;
    EXPECT_EQ(c["lost_function_names"], 0) << c;
    EXPECT_EQ(c["unpaired_returns"], 0) << c;
    EXPECT_EQ(c["unknown_frees"], 0) << c;
}

void expect_checkpoints_exact(const json& report, size_t at_least) {
    const auto& checkpoints = report["checkpoints"];
    ASSERT_GE(checkpoints.size(), at_least);
    for (const auto& c : checkpoints)
        EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << "checkpoint " << c;
}

TEST(RecordLaunch, KeptStringsAreLiveAndChurnedStringsAreNot) {
    PMT_REQUIRE_ROOT();
    const uint64_t n = 1000, len = 100;
    json report = record_script("keep_and_free.php", {std::to_string(n), std::to_string(len)});
    ASSERT_FALSE(report.is_null());
    EXPECT_EQ(report["schema"], "phpmemtrace/1");
    EXPECT_EQ(report["target"]["php_version"].get<std::string>().rfind("8.2.", 0), 0u);
    expect_clean_counters(report);

    // One string's block as PHP itself measured it, and as the Zend bins say.
    const uint64_t block = std::stoull(script_value(report["__script_output"], "BLOCK"));
    EXPECT_EQ(block, zend::block_size(len + 32));  // str_repeat: zend_string_safe_alloc(1, len, 0)
    EXPECT_EQ(sum_leaf_under(report, "str_repeat", "keep_strings", "live_count"), n);
    EXPECT_EQ(sum_leaf_under(report, "str_repeat", "keep_strings", "live_bytes"), n * block);
    EXPECT_EQ(sum_leaf_under(report, "str_repeat", "churn", "alloc_count"), n);
    EXPECT_EQ(sum_leaf_under(report, "str_repeat", "churn", "alloc_bytes"), n * block);
    EXPECT_EQ(sum_leaf_under(report, "str_repeat", "churn", "live_bytes"), 0u);
    EXPECT_EQ(sum_for_function(report, "churn", "live_bytes"), 0u);

    // The script's own view: churn() changed memory_get_usage() by nothing.
    EXPECT_EQ(script_value(report["__script_output"], "CHURN_DELTA"), "0");
    expect_checkpoints_exact(report, 3);
}

TEST(RecordLaunch, LargeStringsAreCountedInWholePages) {
    PMT_REQUIRE_ROOT();
    const uint64_t n = 50, len = 5000;  // 5025-byte blocks: large, two pages each
    json report = record_script("keep_and_free.php", {std::to_string(n), std::to_string(len)});
    ASSERT_FALSE(report.is_null());
    EXPECT_EQ(script_value(report["__script_output"], "BLOCK"), "8192");
    EXPECT_EQ(sum_leaf_under(report, "str_repeat", "keep_strings", "live_bytes"), n * 8192);
    expect_checkpoints_exact(report, 3);
}

TEST(RecordLaunch, CheckpointsEqualMemoryGetUsageToTheByte) {
    PMT_REQUIRE_ROOT();
    json report = record_script("checkpoints.php");
    ASSERT_FALSE(report.is_null());
    expect_clean_counters(report);
    EXPECT_GT(report["counters"]["reallocs"].get<uint64_t>(), 0u);
    const auto expected = std::stoul(script_value(report["__script_output"], "CHECKPOINTS"));
    expect_checkpoints_exact(report, expected);
    // memory_get_usage(true) is recorded as a real-size checkpoint.
    bool saw_real = false;
    for (const auto& c : report["checkpoints"]) saw_real = saw_real || c["real"].get<bool>();
    EXPECT_TRUE(saw_real);
}

TEST(RecordLaunch, AllocationsOutsidePhpFramesGoToNamedPseudoFrames) {
    PMT_REQUIRE_ROOT();
    json report = record_script("keep_and_free.php", {"10", "10"});
    ASSERT_FALSE(report.is_null());
    uint64_t startup = 0, compile = 0, empty = 0;
    for (const auto& stack : report["stacks"]) {
        if (stack["frames"].empty()) ++empty;
        for (const auto& f : stack["frames"]) {
            if (f["kind"] == "pseudo" && f["function"] == "[startup]") startup += stack["alloc_count"].get<uint64_t>();
            if (f["kind"] == "pseudo" && f["function"] == "[compile]") compile += stack["alloc_count"].get<uint64_t>();
        }
    }
    EXPECT_GT(startup, 0u);
    EXPECT_GT(compile, 0u);
    EXPECT_EQ(empty, 0u);
}

}  // namespace
}  // namespace pmt::testing
