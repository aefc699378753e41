// Finding the heap's static functions and field offsets in the installed,
// stripped Debian binaries (no privileges needed: it only reads the files).
#include <gtest/gtest.h>
#include <unistd.h>

#include "heap/zend_heap_discovery.h"
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

INSTANTIATE_TEST_SUITE_P(DebianPhp82, Discovery, ::testing::Values("/usr/bin/php8.2", "/usr/sbin/php-fpm8.2"));

}  // namespace
}  // namespace pmt
