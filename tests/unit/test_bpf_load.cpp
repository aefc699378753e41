// The verifier's statistics line, as the kernel prints it at BPF_LOG_STATS.
#include <gtest/gtest.h>

#include "attach/bpf_load.h"

namespace pmt {
namespace {

TEST(VerifierStatsParse, ReadsEveryFrameTheInstructionCountAndTheTime) {
    const auto s = parse_verifier_stats(
        "verification time 1234 usec\nstack depth 416+88+0\nprocessed 5210 insns (limit 1000000) "
        "max_states_per_insn 4 total_states 300 peak_states 200 mark_read 40\n");
    EXPECT_EQ(s.stack_depths, (std::vector<uint32_t>{416, 88, 0}));
    EXPECT_EQ(s.processed_insns, 5210u);
    EXPECT_EQ(s.verification_us, 1234u);
}

TEST(VerifierStatsParse, EmptyWhenTheLogHasNoStatistics) {
    const auto s = parse_verifier_stats("0: R1=ctx() R10=fp0\n");
    EXPECT_TRUE(s.stack_depths.empty());
    EXPECT_EQ(s.processed_insns, 0u);
    EXPECT_EQ(s.verification_us, 0u);
}

}  // namespace
}  // namespace pmt
