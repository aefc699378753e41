// The kernel feature check (userspace/attach/kernel_features.cpp) on the
// development machine's kernel, which has every feature. Kernels that lack some
// are tested for real under qemu by `make test-kernels` (README.md, Kernels).
#include "attach/kernel_features.h"
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

TEST(KernelFeatures, EveryFeatureFoundOnThisKernel) {
    PMT_REQUIRE_ROOT();
    for (const auto& f : kernel_features()) EXPECT_EQ(f.present, 1) << f.name;
    EXPECT_TRUE(check_kernel_features(true).ok());
    EXPECT_TRUE(check_kernel_features(false).ok());
}

TEST(KernelFeatures, VerboseRecordPrintsWhatItFound) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "-v", "-o", dir.file("r.json"), "--",
                                   "php8.2", "-n", "-r", "echo 1;"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("phpmemtrace: kernel features: BTF (/sys/kernel/btf/vmlinux)=yes;"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("bpf_loop=yes"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pmt::testing
