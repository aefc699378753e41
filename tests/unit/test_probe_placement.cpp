// Where a uprobe goes inside a function (attach/probe_placement.h): past the
// prologue onto the first branch the kernel emulates, and only when nothing the
// probe reads has changed on the way.
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include "attach/probe_placement.h"
#include "attach/probe_table.h"
#include "phpmemtrace.h"
#include "target/php_binary.h"

namespace pmt {
namespace {

constexpr uint64_t kAt = 0x2d7d30;

// Debian PHP 8.2's _emalloc: mov heap(%rip),%rax; mov (%rax),%edx; test %edx,%edx;
// jne custom_heap (at +11); cmp $0xc00,%rdi; ja large.
const std::vector<uint8_t> kEmalloc = {0x48, 0x8b, 0x05, 0x19, 0x31, 0x2b, 0x00, 0x8b, 0x10, 0x85, 0xd2,
                                       0x0f, 0x85, 0x3e, 0x16, 0xe3, 0xff, 0x48, 0x81, 0xff, 0x00, 0x0c,
                                       0x00, 0x00, 0x77, 0x6e};

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

uint64_t place(const std::vector<uint8_t>& code, unsigned args_read) {
    const Disassembler dis;
    return probe_point(dis, code, kAt, {args_read});
}

TEST(ProbePlacement, MovesPastThePrologueOntoTheBranchToTheCustomHeap) {
    EXPECT_EQ(place(kEmalloc, 1), kAt + 11);
    EXPECT_EQ(place(kEmalloc, 0), kAt + 11);
}

TEST(ProbePlacement, StaysWhenTheWayThereWritesAnArgumentTheProbeReads) {
    // mov (%rax),%edx writes the third argument register.
    EXPECT_EQ(place(kEmalloc, 3), kAt);
    EXPECT_EQ(place(kEmalloc, 6), kAt);
}

TEST(ProbePlacement, StaysAtABranchThatIsAlreadyFirst) {
    // jne +0x10; the first byte is already emulated.
    EXPECT_EQ(place({0x75, 0x10, 0xc3}, 1), kAt);
}

TEST(ProbePlacement, NeverMovesPastTheStackPointer) {
    // push %rbx; jne: the return probe needs the return address at (%rsp).
    EXPECT_EQ(place({0x53, 0x75, 0x10, 0xc3}, 0), kAt);
    // sub $8,%rsp; jne
    EXPECT_EQ(place({0x48, 0x83, 0xec, 0x08, 0x75, 0x10, 0xc3}, 0), kAt);
}

TEST(ProbePlacement, NeverMovesPastAStore) {
    // mov %rax,(%rcx); jne
    EXPECT_EQ(place({0x48, 0x89, 0x01, 0x75, 0x10, 0xc3}, 0), kAt);
}

TEST(ProbePlacement, NeverMovesPastACalleeSavedRegister) {
    // mov %rax,%r14 (the PHP VM keeps execute_data there); jne
    EXPECT_EQ(place({0x49, 0x89, 0xc6, 0x75, 0x10, 0xc3}, 0), kAt);
}

TEST(ProbePlacement, StaysWhenABranchLandsOnTheSkippedCode) {
    // _emalloc, then jmp back to its second instruction (+7): a probe at +11
    // would see that path twice.
    const auto back = concat(kEmalloc, {0xeb, static_cast<uint8_t>(7 - (26 + 2))});
    EXPECT_EQ(place(back, 1), kAt);
}

TEST(ProbePlacement, StepsOverEndbr64) {
    const auto cet = concat({0xf3, 0x0f, 0x1e, 0xfa}, kEmalloc);
    EXPECT_EQ(place(cet, 1), kAt + 4 + 11);
}

TEST(ProbePlacement, StaysWhenNoBranchComesEarly) {
    // 20 register moves (mov %rax,%r10), then jne: past the scan's reach.
    std::vector<uint8_t> code;
    for (int i = 0; i < 22; ++i) code.insert(code.end(), {0x49, 0x89, 0xc2});
    code.insert(code.end(), {0x75, 0x10, 0xc3});
    EXPECT_EQ(place(code, 0), kAt);
}

// On Debian's own build the hot allocator functions get an emulated probe; the
// functions that open with a push keep their first byte.
TEST(ProbePlacement, DebianPhp82HotFunctionsTrapOnAnEmulatedBranch) {
    const char* path = "/usr/bin/php8.2";
    if (access(path, R_OK) != 0) GTEST_SKIP() << path << " is not installed";
    auto php = PhpBinary::open(path);
    ASSERT_TRUE(php) << php.error().message;
    const Disassembler dis;
    int placed = 0;
    for (const ProbeSpec& probe : probe_table()) {
        const uint64_t at = probe_address(*php, probe);
        if (!at) continue;
        auto insn = dis.decode(php->elf(), at);
        ASSERT_TRUE(insn) << probe.function;
        auto sym = php->elf().symbol(probe.function);
        if (probe.function == "_emalloc" || probe.function == "_efree" || probe.function == "_emalloc_56" ||
            probe.function == "_efree_56") {
            EXPECT_TRUE(kernel_emulates_branch(*insn)) << probe.function;
            ASSERT_TRUE(sym);
            EXPECT_GT(at, sym->vaddr) << probe.function;
        }
        if (sym && at != sym->vaddr) {
            ++placed;
            EXPECT_TRUE(kernel_emulates_branch(*insn)) << probe.function << " moved onto a stepped instruction";
            EXPECT_LT(at - sym->vaddr, 64u) << probe.function;
        }
    }
    // Every _emalloc_N and _efree_N (30 bins each) and the main entry points.
    EXPECT_GE(placed, 60);
}

}  // namespace
}  // namespace pmt
