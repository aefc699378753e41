// The block set read from a heap copy (userspace/snapshot/heap_blocks.cpp), on a
// chunk built here byte by byte: what a consistent page map and free list give,
// and that a copy whose pointers make no sense is counted, never followed out of
// bounds or around a loop. The runtime test (test_snapshot.cpp) checks the same
// code against a real PHP heap and memory_get_usage().
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "collect/zend_sizes.h"
#include "snapshot/heap_blocks.h"

namespace pmt {
namespace {

constexpr uint64_t kChunkAddress = 0x7f0000000000;  // 2 MiB aligned
constexpr uint32_t kBin160 = 12;

class SyntheticHeap {
public:
    SyntheticHeap() : bytes_(PMT_ZEND_CHUNK_SIZE, 0) {
        // A layout of our own: only its consistency matters here.
        off_.chunk_heap_slot = 64;
        off_.chunk_heap = 0;
        off_.chunk_next = 8;
        off_.heap_size = 16;
        off_.heap_peak = 24;
        off_.heap_free_slot = 32;
        off_.heap_real_size = 272;
        off_.heap_huge_list = 304;
        off_.chunk_map = 1024;
        off_.free_slot_next = 0;
        put64(off_.chunk_next, kChunkAddress);  // a list of one
        put64(off_.chunk_heap, heap());
        put64(64 + off_.heap_real_size, PMT_ZEND_CHUNK_SIZE);
        put32(off_.chunk_map, PMT_ZEND_MM_IS_LRUN | 1);                    // page 0: the header
        put32(off_.chunk_map + 4, PMT_ZEND_MM_IS_SRUN | kBin160);         // page 1: 25 x 160 bytes
        put32(off_.chunk_map + 8, PMT_ZEND_MM_IS_LRUN | 3);               // pages 2-4: one large block
        // Two of the 25 elements are free: 3 -> 7.
        set_free_list(kBin160, {element(3), element(7)});
        put64(64 + off_.heap_size, 23 * 160 + 3 * 4096);
    }
    static uint64_t heap() { return kChunkAddress + 64; }
    static uint64_t element(uint32_t i) { return kChunkAddress + 4096 + i * 160; }
    void put64(uint64_t at, uint64_t v) { std::memcpy(&bytes_[at], &v, 8); }
    void put32(uint64_t at, uint32_t v) { std::memcpy(&bytes_[at], &v, 4); }
    void set_free_list(uint32_t bin, const std::vector<uint64_t>& slots) {
        put64(64 + off_.heap_free_slot + bin * 8, slots.empty() ? 0 : slots.front());
        for (size_t i = 0; i < slots.size(); ++i)
            if (slots[i] >= kChunkAddress && slots[i] - kChunkAddress + 8 <= bytes_.size())
                put64(slots[i] - kChunkAddress, i + 1 < slots.size() ? slots[i + 1] : 0);
    }
    HeapCensus census() {
        HeapCopy copy;
        copy.heap_address = heap();
        copy.chunks.push_back(HeapRegion{kChunkAddress, bytes_});
        copy.chunk_index[kChunkAddress] = 0;
        copy.bytes_copied = bytes_.size();
        HeapBlocks blocks(copy, off_);
        uint64_t visited = 0;
        blocks.for_each([&](const HeapBlock& b) { visited += b.size; });
        EXPECT_EQ(visited, blocks.census().blocks_bytes());
        return blocks.census();
    }
    pmt_php_offsets off_{};
    std::vector<uint8_t> bytes_;
};

TEST(HeapBlocks, PageMapMinusFreeListIsHeapSize) {
    SyntheticHeap h;
    const HeapCensus c = h.census();
    EXPECT_EQ(c.small[kBin160].blocks, 23u);
    EXPECT_EQ(c.small[kBin160].free_blocks, 2u);
    EXPECT_EQ(c.large.blocks, 1u);
    EXPECT_EQ(c.large.bytes, 3u * 4096);
    EXPECT_EQ(c.blocks_bytes(), c.size);
    EXPECT_EQ(c.free_pages, 512u - 5);
    EXPECT_EQ(c.bad_page_entries + c.bad_free_slots, 0u);
}

TEST(HeapBlocks, ALoopingFreeListStopsAndIsCounted) {
    SyntheticHeap h;
    h.set_free_list(kBin160, {SyntheticHeap::element(3), SyntheticHeap::element(7)});
    h.put64(SyntheticHeap::element(7) - kChunkAddress, SyntheticHeap::element(3));  // 7 -> 3 again
    const HeapCensus c = h.census();
    EXPECT_EQ(c.small[kBin160].free_blocks, 2u);
    EXPECT_EQ(c.bad_free_slots, 1u);
}

TEST(HeapBlocks, FreeSlotsOutsideTheirRunAreNotFollowed) {
    for (uint64_t bad : {uint64_t{0x1234}, kChunkAddress + PMT_ZEND_CHUNK_SIZE + 4096,   // not a copied chunk
                         SyntheticHeap::element(3) + 8,                                   // not on an element
                         kChunkAddress + 2 * 4096,                                        // in the large run
                         kChunkAddress + 40,                                              // the chunk header
                         SyntheticHeap::element(25)}) {                                   // past the run's elements
        SyntheticHeap h;
        h.set_free_list(kBin160, {SyntheticHeap::element(3), bad});
        const HeapCensus c = h.census();
        EXPECT_EQ(c.small[kBin160].free_blocks, 1u) << std::hex << bad;
        EXPECT_EQ(c.bad_free_slots, 1u) << std::hex << bad;
    }
}

TEST(HeapBlocks, NonsensePageMapEntriesAreSkipped) {
    SyntheticHeap h;
    h.put32(h.off_.chunk_map + 8, PMT_ZEND_MM_IS_LRUN | 0);          // a large run of no pages
    h.put32(h.off_.chunk_map + 12, PMT_ZEND_MM_IS_LRUN | 600);       // past the chunk's end
    h.put32(h.off_.chunk_map + 16, PMT_ZEND_MM_IS_SRUN | 31);        // no such bin
    h.put32(h.off_.chunk_map + 20, PMT_ZEND_MM_IS_SRUN | 16);        // bin 16 (320 B) takes 5 pages: 6-9 are free
    const HeapCensus c = h.census();
    EXPECT_EQ(c.bad_page_entries, 4u);
    EXPECT_EQ(c.large.blocks, 0u);
    EXPECT_EQ(c.small[kBin160].blocks, 23u);
}

TEST(HeapBlocks, AMapOutsideTheCopyIsNotRead) {
    SyntheticHeap h;
    h.off_.chunk_map = PMT_ZEND_CHUNK_SIZE - 100;
    const HeapCensus c = h.census();
    EXPECT_GT(c.bad_page_entries, 0u);
    EXPECT_EQ(c.bad_free_slots, 1u);  // its bin has no run any more
}

}  // namespace
}  // namespace pmt
