// The reachability walk (userspace/snapshot/heap_graph.cpp) on heaps built here:
// a small graph whose paths, kinds and retained sizes are known, and heaps of
// random words sprinkled with pointers and headers, as a copy of a target may be
// (everything in it is untrusted): every pointer followed stays inside the copy,
// each reached block's path leads back to a root, and the walk ends. The runtime
// test (test_snapshot_reach.cpp) checks the same code on a real PHP heap.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "snapshot/reachability.h"

namespace pmt {
namespace {

constexpr uint64_t kChunk = 0x7f0000000000;  // 2 MiB aligned
constexpr uint32_t kBin56 = 6;               // 56-byte elements, one page a run
constexpr uint32_t kRunPages = 8;            // pages 1-8: 8 x 73 elements of 56 bytes

class GraphHeap {
public:
    GraphHeap() : bytes_(PMT_ZEND_CHUNK_SIZE, 0), g_(*php_graph_offsets_for(*PhpVersion::parse("8.2.0"))) {
        off_.chunk_heap_slot = 64;
        off_.chunk_next = 8;
        off_.heap_size = 16;
        off_.heap_free_slot = 32;
        off_.heap_real_size = 272;
        off_.heap_huge_list = 304;
        off_.chunk_map = 1024;
        put64(off_.chunk_next, kChunk);
        put32(off_.chunk_map, PMT_ZEND_MM_IS_LRUN | 1);
        for (uint32_t p = 1; p <= kRunPages; ++p) put32(off_.chunk_map + 4 * p, PMT_ZEND_MM_IS_SRUN | kBin56);
        roots_.eg.assign(g_.eg_size, 0);
    }
    static uint64_t element(uint32_t i) { return kChunk + 4096 * (1 + i / 73) + 56 * (i % 73); }
    void put64(uint64_t at, uint64_t v) { std::memcpy(&bytes_[at], &v, 8); }
    void put32(uint64_t at, uint32_t v) { std::memcpy(&bytes_[at], &v, 4); }
    void at64(uint64_t address, uint64_t v) { put64(address - kChunk, v); }
    void at32(uint64_t address, uint32_t v) { put32(address - kChunk, v); }
    void zval(uint64_t address, uint64_t value, uint8_t type) {
        at64(address, value);
        at32(address + g_.zval_type_info, type);
    }
    void header(uint64_t address, uint8_t gc_type) { at32(address + g_.gc_type_info, gc_type); }
    // A packed array at element `array` whose data (zvals) start at element `data`.
    void packed_array(uint32_t array, uint32_t data, uint32_t used) {
        header(element(array), 7);
        at32(element(array) + g_.ht_flags, g_.ht_packed_flag);
        at64(element(array) + g_.ht_data, element(data));
        at32(element(array) + g_.ht_used, used);
    }
    void eg64(uint32_t at, uint64_t v) { std::memcpy(&roots_.eg[at], &v, 8); }
    void eg32(uint32_t at, uint32_t v) { std::memcpy(&roots_.eg[at], &v, 4); }
    std::vector<uint8_t>& bytes() { return bytes_; }
    const PhpGraphOffsets& g() const { return g_; }

    std::unique_ptr<Reachability> analyse() {
        copy_ = HeapCopy{};
        copy_.heap_address = kChunk + 64;
        copy_.chunks.push_back(HeapRegion{kChunk, bytes_});
        copy_.chunk_index[kChunk] = 0;
        blocks_ = std::make_unique<HeapBlocks>(copy_, off_);
        return analyse_reachability(copy_, *blocks_, roots_, g_);
    }
    RootCopy roots_;

private:
    std::vector<uint8_t> bytes_;
    PhpGraphOffsets g_;
    pmt_php_offsets off_{};
    HeapCopy copy_;
    std::unique_ptr<HeapBlocks> blocks_;
};

std::string path_of(const Reachability& r, uint64_t address) {
    auto i = r.index->find(address);
    return i ? r.graph->path(*i + 1) : "(no block)";
}

TEST(HeapGraph, GlobalsArraysStringsPathsAndRetainedSizes) {
    GraphHeap h;
    const auto& g = h.g();
    // $GLOBALS: a packed symbol table (keys as [i]) whose data is element 0: [0] -> the
    // array at element 1, with its data at element 2: [0] -> string 3, [1] -> string 4.
    h.eg32(g.eg_symbol_table + g.ht_flags, g.ht_packed_flag);
    h.eg64(g.eg_symbol_table + g.ht_data, GraphHeap::element(0));
    h.eg32(g.eg_symbol_table + g.ht_used, 1);
    h.zval(GraphHeap::element(0), GraphHeap::element(1), 7);
    h.packed_array(1, 2, 2);
    h.zval(GraphHeap::element(2), GraphHeap::element(3), 6);
    h.zval(GraphHeap::element(2) + 16, GraphHeap::element(4), 6);
    h.header(GraphHeap::element(3), 6);
    h.header(GraphHeap::element(4), 6);
    // A zval that says "array" pointing at a string: not followed, counted.
    h.zval(GraphHeap::element(2) + 32, GraphHeap::element(4), 7);
    h.at32(GraphHeap::element(1) + g.ht_used, 3);
    auto r = h.analyse();
    EXPECT_EQ(path_of(*r, GraphHeap::element(1)), "$GLOBALS[0]");
    EXPECT_EQ(path_of(*r, GraphHeap::element(4)), "$GLOBALS[0][1]");
    const uint32_t array = *r->index->find(GraphHeap::element(1)) + 1;
    EXPECT_EQ(r->retained[array].bytes, 4u * 56);  // header, data, two strings
    EXPECT_EQ(r->graph->counters().bad_headers, 1u);
    ASSERT_FALSE(r->holders.empty());
    EXPECT_EQ(r->holders[0], array);
    EXPECT_EQ(r->unreached["other"].blocks, 8u * 73 - 5);  // the rest; element 0 is the engine's
}

TEST(HeapGraph, RandomCopiesStayInBoundsAndEveryPathEndsAtARoot) {
    std::mt19937_64 rng(16);
    const uint32_t elements = kRunPages * 73;
    for (int round = 0; round < 200; ++round) {
        GraphHeap h;
        const auto& g = h.g();
        auto some_element = [&] { return GraphHeap::element(rng() % elements) + (rng() % 4 == 0 ? rng() % 64 : 0); };
        for (uint64_t at = 4096; at < 4096 * (1 + kRunPages); at += 8) h.put64(at, rng() % 3 ? rng() : 0);
        for (int i = 0; i < 2000; ++i) {
            const uint8_t types[] = {6, 7, 8, 10, 12, 0, 4};
            h.zval(some_element() & ~7ull, some_element(), types[rng() % 7]);
            h.header(GraphHeap::element(rng() % elements), static_cast<uint8_t>(types[rng() % 4]));
        }
        for (uint32_t at = 0; at + 8 <= g.eg_size; at += 8) h.eg64(at, rng() % 2 ? some_element() : rng());
        h.roots_.classes[some_element()] = ClassInfo{"C", true, static_cast<uint32_t>(rng() % 100000), 0, 0};
        auto r = h.analyse();
        const auto& nodes = r->graph->nodes();
        for (const auto& [from, to] : r->graph->edges()) {
            ASSERT_LT(from, nodes.size());
            ASSERT_LT(to, nodes.size());
        }
        for (uint32_t v = 1; v < nodes.size(); ++v) {
            if (nodes[v].kind == NodeKind::Unreached) continue;
            uint32_t steps = 0;
            for (uint32_t u = v; u != kSuperRoot && steps <= nodes.size(); u = nodes[u].parent) ++steps;
            ASSERT_LE(steps, nodes.size()) << "round " << round << ": a parent chain loops";
            EXPECT_LE(r->retained[v].bytes, r->retained[kSuperRoot].bytes);
        }
        uint64_t accounted = r->reached.bytes;
        for (const auto& [name, c] : r->cycle_garbage) accounted += c.retained_bytes;
        for (const auto& [kind, k] : r->unreached) accounted += k.bytes;
        EXPECT_EQ(accounted, uint64_t{elements} * 56) << "round " << round;
    }
}

}  // namespace
}  // namespace pmt
