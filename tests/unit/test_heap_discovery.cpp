// Finding the heap's static functions and field offsets in the installed,
// stripped Debian binaries (no privileges needed: it only reads the files).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "heap/zend_heap_discovery.h"
#include "target/disassembler.h"
#include "target/heap_layout.h"

namespace pmt {
namespace {

class Discovery : public ::testing::TestWithParam<const char*> {};

TEST_P(Discovery, FindsChunkFunctionsAndOffsets) {
    const char* path = GetParam();
    if (access(path, R_OK) != 0) GTEST_SKIP() << path << " is not installed";
    auto elf = ElfFile::open(path);
    ASSERT_TRUE(elf) << elf.error().message;
    const ZendHeapProbePoints p = discover_zend_heap_probe_points(*elf);
    ASSERT_TRUE(p.chunks_found()) << p.method;
    EXPECT_FALSE(elf->symbol("zend_mm_chunk_alloc_int")) << "expected a stripped binary";
    // Distinct static functions, none of them exported.
    EXPECT_NE(p.chunk_alloc, p.chunk_free);
    EXPECT_NE(p.alloc_huge, p.chunk_alloc);
    for (const auto& [name, sym] : elf->symbols()) {
        EXPECT_NE(sym.vaddr, p.chunk_alloc) << name;
        EXPECT_NE(sym.vaddr, p.chunk_free) << name;
    }
    // zend_mm_alloc_huge calls the chunk allocator twice: first try, and again after zend_mm_gc.
    EXPECT_EQ(p.huge_call_returns.size(), 2u);
    // Struct facts of zend_alloc.c, independent of the disassembly heuristics:
    // peak follows size, and limit follows real_size and real_peak.
    const HeapLayout layout = discover_heap_layout(*elf);
    EXPECT_EQ(p.heap_peak, layout.heap_size + 8);
    EXPECT_EQ(p.heap_limit, layout.heap_real_size + 16);
    EXPECT_GT(p.heap_huge_list, p.heap_limit);
    EXPECT_NE(p.method.find("disassembly"), std::string::npos);
}

// Call targets in the first `bytes` of the code at `address`, in order.
std::vector<uint64_t> calls_from(const ElfFile& elf, uint64_t address, size_t bytes) {
    Disassembler dis;
    std::vector<uint64_t> out;
    for (uint64_t pc = address; pc < address + bytes;) {
        auto insn = dis.decode(elf, pc);
        if (!insn) break;
        if (insn->id == X86_INS_CALL && insn->target) out.push_back(*insn->target);
        pc += insn->size;
    }
    return out;
}

// The agent's slow paths: three more static functions, found through the fast
// paths' tail jumps, checked by what zend_alloc.c says they do: the small-bin
// refill and the large allocation (and _emalloc_large, which inlines it) all take
// their pages from one function, zend_mm_alloc_pages.
TEST_P(Discovery, FindsTheSlowPaths) {
    const char* path = GetParam();
    if (access(path, R_OK) != 0) GTEST_SKIP() << path << " is not installed";
    auto elf = ElfFile::open(path);
    ASSERT_TRUE(elf) << elf.error().message;
    const ZendHeapProbePoints p = discover_zend_heap_probe_points(*elf);
    ASSERT_TRUE(p.small_slow && p.alloc_large && p.free_pages) << p.method;
    const std::vector<uint64_t> found = {p.small_slow, p.alloc_large, p.free_pages, p.alloc_huge, p.free_huge,
                                         p.chunk_alloc, p.chunk_free};
    for (size_t i = 0; i < found.size(); ++i)
        for (size_t j = i + 1; j < found.size(); ++j) EXPECT_NE(found[i], found[j]) << i << " " << j;
    for (const auto& [name, sym] : elf->symbols())
        for (uint64_t f : {p.small_slow, p.alloc_large, p.free_pages}) EXPECT_NE(sym.vaddr, f) << name;
    const auto small_calls = calls_from(*elf, p.small_slow, 64);
    const auto large_calls = calls_from(*elf, p.alloc_large, 64);
    ASSERT_FALSE(small_calls.empty());
    ASSERT_FALSE(large_calls.empty());
    const uint64_t alloc_pages = large_calls.front();
    EXPECT_EQ(small_calls.front(), alloc_pages);
    const auto inlined = calls_from(*elf, elf->symbol("_emalloc_large")->vaddr, 128);
    EXPECT_NE(std::find(inlined.begin(), inlined.end(), alloc_pages), inlined.end());
}

INSTANTIATE_TEST_SUITE_P(DebianPhp82, Discovery, ::testing::Values("/usr/bin/php8.2", "/usr/sbin/php-fpm8.2"));

}  // namespace
}  // namespace pmt
