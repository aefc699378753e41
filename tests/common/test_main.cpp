// The main() of both test binaries. As root (CI), a skipped test is a failure: a
// missing fixture or a suite whose set-up failed (gtest then skips its tests) must
// never pass for a skip. Without root, runtime tests skip with their reason, and
// the marker below lets ctest report them as skipped rather than passed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

namespace {

constexpr const char* kSkipMarker = "PMT-TEST-SKIPPED-UNPRIVILEGED";

void print_skipped(const ::testing::UnitTest& unit) {
    for (int s = 0; s < unit.total_test_suite_count(); ++s) {
        const auto* suite = unit.GetTestSuite(s);
        for (int t = 0; t < suite->total_test_count(); ++t) {
            const auto* info = suite->GetTestInfo(t);
            if (info->should_run() && info->result()->Skipped())
                std::fprintf(stderr, "  skipped: %s.%s\n", suite->name(), info->name());
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    int rc = RUN_ALL_TESTS();
    const auto& unit = *::testing::UnitTest::GetInstance();
    if (unit.skipped_test_count() == 0) return rc;
    if (geteuid() == 0) {
        std::fprintf(stderr, "FAILED: %d test(s) skipped while running as root; as root nothing may skip:\n",
                     unit.skipped_test_count());
        print_skipped(unit);
        return 1;
    }
    std::printf("%s\n", kSkipMarker);
    return rc;
}
