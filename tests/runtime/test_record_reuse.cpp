// Function names stay right when PHP reuses a freed function's memory.
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

TEST(RecordReuse, ClosuresReusingMemoryKeepTheirOwnNames) {
    PMT_REQUIRE_ROOT();
    auto report = record_script("closure_reuse.php");
    ASSERT_FALSE(report.is_null());
    // str_repeat(1000) -> 1032 bytes -> 1280 bin; str_repeat(2000) -> 2032 -> 2048 bin
    uint64_t alpha_1280 = 0, alpha_other = 0, beta_2048 = 0, beta_other = 0;
    for (const auto& stack : report["stacks"]) {
        const auto& frames = stack["frames"];
        if (frames.size() < 2 || frame_name(frames.back()) != "str_repeat") continue;
        const std::string caller = frame_name(frames[frames.size() - 2]);
        const uint64_t count = stack["alloc_count"], bytes = stack["alloc_bytes"];
        if (caller == "Alpha::{closure}") (bytes == count * 1280 ? alpha_1280 : alpha_other) += count;
        if (caller == "Beta::{closure}") (bytes == count * 2048 ? beta_2048 : beta_other) += count;
    }
    EXPECT_EQ(alpha_1280, 30u);
    EXPECT_EQ(beta_2048, 30u);
    EXPECT_EQ(alpha_other, 0u);
    EXPECT_EQ(beta_other, 0u);
    EXPECT_EQ(report["counters"]["lost_function_names"], 0);
}

}  // namespace
}  // namespace pmt::testing
