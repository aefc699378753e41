// The kernel feature check (userspace/attach/kernel_features.cpp) on the
// development machine's kernel, which has every feature. Kernels that lack some
// are tested for real under qemu by `make test-kernels` (README.md, Kernels).
#include "attach/kernel_features.h"

#include <bpf/btf.h>

#include <cstring>

#include "attach/uprobe_multi.h"
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

TEST(KernelFeatures, EveryFeatureFoundOnThisKernel) {
    PMT_REQUIRE_ROOT();
    for (const auto& f : kernel_features()) EXPECT_EQ(f.present, 1) << f.name;
    EXPECT_TRUE(check_kernel_features(true).ok());
    EXPECT_TRUE(check_kernel_features(false).ok());
}

// The probe (a test link the kernel must refuse for its path, not its attach
// type) against the kernel's own type information: the attach type in its BTF.
TEST(KernelFeatures, MultiUprobeProbeAgreesWithTheKernelsBtf) {
    PMT_REQUIRE_ROOT();
    btf* vmlinux = btf__load_vmlinux_btf();
    ASSERT_NE(vmlinux, nullptr);
    bool in_btf = false;
    const int id = btf__find_by_name_kind(vmlinux, "bpf_attach_type", BTF_KIND_ENUM);
    ASSERT_GT(id, 0);
    const btf_type* type = btf__type_by_id(vmlinux, id);
    for (int i = 0; i < btf_vlen(type); ++i)
        if (std::strcmp(btf__name_by_offset(vmlinux, btf_enum(type)[i].name_off), "BPF_TRACE_UPROBE_MULTI") == 0) {
            in_btf = true;
            EXPECT_EQ(btf_enum(type)[i].val, static_cast<uint32_t>(kBpfTraceUprobeMulti));
        }
    btf__free(vmlinux);
    EXPECT_EQ(kernel_has_uprobe_multi(), in_btf);
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
