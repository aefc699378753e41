// memory_limit: a script that dies of "Allowed memory size ... exhausted" under
// php8.2 -d memory_limit=8M; the session must hold the moment and the stacks that
// held the memory then.
#include <string>

#include "heap_test_helpers.h"

namespace pmt::testing {
namespace {

TEST(HeapLimit, ExhaustedLimitKeepsTheStacks) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    Recorded r = record_php(dir, {"-d", "memory_limit=8M", php_script("memory_limit.php")});
    ASSERT_EQ(r.command.exit_code, 255) << r.command.err;  // the tracer exits as PHP did after a fatal error
    const auto& report = r.report;
    EXPECT_EQ(report["target"]["exit_code"].get<int>(), 255);
    EXPECT_EQ(r.command.out.find("NOT_REACHED"), std::string::npos);
    ASSERT_TRUE(report.contains("limit"));
    const auto& limit = report["limit"];
    EXPECT_TRUE(limit["hit"].get<bool>());
    EXPECT_EQ(limit["limit_bytes"].get<uint64_t>(), 8u << 20);
    EXPECT_EQ(limit["trigger"], "fatal_error");
    EXPECT_EQ(limit["message"].get<std::string>().rfind("Allowed memory size of 8388608 bytes exhausted", 0), 0u);
    EXPECT_GT(limit["at_s"].get<double>(), 0.0);
    EXPECT_LE(limit["at_s"].get<double>(), report["duration_s"].get<double>());
    // hoard() held almost all of it: the largest live stack at that moment.
    ASSERT_FALSE(limit["stacks"].empty());
    const auto& top = limit["stacks"][0];
    bool in_hoard = false;
    for (const auto& f : top["frames"]) in_hoard |= frame_name(f) == "hoard";
    EXPECT_TRUE(in_hoard);
    EXPECT_GT(top["bytes"].get<uint64_t>(), 4u << 20);
    EXPECT_LE(top["bytes"].get<uint64_t>(), 8u << 20);
    EXPECT_GE(limit["used_bytes"].get<uint64_t>(), top["bytes"].get<uint64_t>());
}

TEST(HeapLimit, MarginRecordsTheApproach) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    Recorded r = record_php(dir, {"-d", "memory_limit=8M", php_script("memory_limit.php")}, {"--limit-margin", "3M"});
    ASSERT_EQ(r.command.exit_code, 255) << r.command.err;  // PHP's fatal error
    const auto& limit = r.report["limit"];
    EXPECT_TRUE(limit["near"].get<bool>());
    EXPECT_EQ(limit["margin_bytes"].get<uint64_t>(), 3u << 20);
    EXPECT_GE(limit["near_real_bytes"].get<uint64_t>() + (3u << 20), 8u << 20);
    EXPECT_LE(limit["near_at_s"].get<double>(), limit["at_s"].get<double>());
    EXPECT_TRUE(limit["hit"].get<bool>());
}

TEST(HeapLimit, NoLimitHitWithoutTheError) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    Recorded r = record_php(dir, {"-d", "memory_limit=64M", php_script("heap_chunks.php")});
    ASSERT_EQ(r.command.exit_code, 0) << r.command.err;
    const auto& limit = r.report["limit"];
    EXPECT_EQ(limit["limit_bytes"].get<uint64_t>(), 64u << 20);
    EXPECT_FALSE(limit["hit"].get<bool>());
    EXPECT_FALSE(limit["near"].get<bool>());
}

}  // namespace
}  // namespace pmt::testing
