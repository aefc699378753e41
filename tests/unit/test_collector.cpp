// The collector fed with synthetic ring buffer records, as the BPF side makes them.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "collect/collector.h"

namespace pmt {
namespace {

constexpr uint32_t kPid = 4242;
constexpr uint64_t kFuncMain = 0x1000, kFuncKeep = 0x2000, kFuncRepeat = 0x3000;

class RecordFeeder {
public:
    explicit RecordFeeder(Collector& c) : c_(c) {}

    void func(uint64_t ptr, uint8_t type, const char* name, const char* cls, const char* file, uint32_t line) {
        pmt_func_record r{};
        header(r.hdr, PMT_REC_FUNC);
        r.func = ptr;
        r.type = type;
        r.has_name = name != nullptr;
        r.line_start = line;
        if (name) std::strncpy(r.function, name, sizeof(r.function) - 1);
        if (cls) std::strncpy(r.class_name, cls, sizeof(r.class_name) - 1);
        if (file) std::strncpy(r.file, file, sizeof(r.file) - 1);
        c_.on_record(&r, sizeof(r));
    }
    // frames leaf first: {func, line}
    void alloc(uint64_t ptr, uint64_t size, std::vector<std::pair<uint64_t, uint32_t>> frames,
               uint16_t kind = PMT_REC_ALLOC, uint64_t old_ptr = 0) {
        auto rec = std::make_unique<pmt_alloc_record>();
        std::memset(rec.get(), 0, sizeof(*rec));
        header(rec->hdr, kind);
        rec->ptr = ptr;
        rec->size = size;
        rec->old_ptr = old_ptr;
        rec->depth = static_cast<uint16_t>(frames.size());
        for (size_t i = 0; i < frames.size(); ++i) rec->frames[i] = {frames[i].first, frames[i].second, 0};
        c_.on_record(rec.get(), PMT_ALLOC_RECORD_FIXED_SIZE + frames.size() * sizeof(pmt_frame));
    }
    void free(uint64_t ptr, uint64_t size_arg = 0, uint64_t map_size = 0) {
        pmt_free_record r{};
        header(r.hdr, PMT_REC_FREE);
        r.ptr = ptr;
        r.size = size_arg;
        r.map_size = map_size;
        c_.on_record(&r, sizeof(r));
    }
    void checkpoint(uint64_t returned) {
        pmt_checkpoint_record r{};
        header(r.hdr, PMT_REC_CHECKPOINT);
        r.returned = returned;
        c_.on_record(&r, sizeof(r));
    }

private:
    void header(pmt_record_header& h, uint16_t kind) {
        h.kind = kind;
        h.tgid = kPid;
        h.ts_ns = ++ts_;
    }
    Collector& c_;
    uint64_t ts_ = 0;
};

const Stack* find_leaf(const Profile& p, const std::string& leaf) {
    for (const auto& s : p.stacks)
        if (!s.frames.empty() && p.symbols[s.frames.back().symbol].function == leaf) return &s;
    return nullptr;
}

class CollectorTest : public ::testing::Test {
protected:
    Collector collector{CollectorOptions{}};
    RecordFeeder feed{collector};
    void SetUp() override {
        feed.func(kFuncMain, PMT_FUNC_USER, nullptr, nullptr, "/app/x.php", 1);
        feed.func(kFuncKeep, PMT_FUNC_USER, "keep", "Cache", "/app/x.php", 10);
        feed.func(kFuncRepeat, PMT_FUNC_INTERNAL, "str_repeat", nullptr, nullptr, 0);
    }
};

TEST_F(CollectorTest, CountsAllocationsInZendBinSizesPerStack) {
    for (uint64_t i = 0; i < 5; ++i) feed.alloc(0x10000 + i * 128, 100, {{kFuncRepeat, 0}, {kFuncKeep, 12}, {kFuncMain, 30}});
    Profile p = collector.profile();
    const Stack* s = find_leaf(p, "str_repeat");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->stats.alloc_count, 5u);
    EXPECT_EQ(s->stats.alloc_bytes, 5u * 112);
    EXPECT_EQ(s->stats.live_bytes, 5u * 112);
    ASSERT_EQ(s->frames.size(), 3u);
    EXPECT_EQ(p.symbols[s->frames[0].symbol].function, "{main}");  // root first
    EXPECT_EQ(p.symbols[s->frames[1].symbol].qualified_name(), "Cache::keep");
    EXPECT_EQ(s->frames[1].line, 12u);
    EXPECT_EQ(p.symbols[s->frames[2].symbol].kind, FrameKind::Internal);
}

TEST_F(CollectorTest, FreesAreAttributedToTheAllocatingStack) {
    feed.alloc(0xa000, 40, {{kFuncKeep, 11}});
    feed.alloc(0xb000, 40, {{kFuncKeep, 11}});
    feed.free(0xa000);
    Profile p = collector.profile();
    const Stack* s = find_leaf(p, "keep");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->stats.free_count, 1u);
    EXPECT_EQ(s->stats.free_bytes, 40u);
    EXPECT_EQ(s->stats.live_count, 1u);
    EXPECT_EQ(s->stats.alloc_bytes, s->stats.free_bytes + s->stats.live_bytes);
    EXPECT_EQ(p.heap.live_bytes, 40u);
}

TEST_F(CollectorTest, CheckpointComparesPhpFigureWithTracedLiveBytes) {
    feed.alloc(0xa000, 5000, {{kFuncKeep, 11}});  // large: 8192
    feed.checkpoint(8192);
    Profile p = collector.profile();
    ASSERT_EQ(p.checkpoints.size(), 1u);
    EXPECT_EQ(p.checkpoints[0].traced_live_bytes, 8192u);
    EXPECT_EQ(p.checkpoints[0].php_memory_usage, 8192u);
}

TEST_F(CollectorTest, ReallocInPlaceKeepsSmallBinAndMovingReallocFreesOld) {
    feed.alloc(0xa000, 20, {{kFuncKeep, 11}});                                // 24
    feed.alloc(0xa000, 23, {{kFuncMain, 2}}, PMT_REC_REALLOC, 0xa000);         // in place: 24
    EXPECT_EQ(collector.live_bytes(), 24u);
    feed.alloc(0xc000, 300, {{kFuncMain, 3}}, PMT_REC_REALLOC, 0xa000);        // moved: 320
    EXPECT_EQ(collector.live_bytes(), 320u);
    Profile p = collector.profile();
    EXPECT_EQ(p.counters.reallocs, 2u);
    EXPECT_EQ(p.counters.unknown_frees, 0u);
}

// zend_mm_realloc_heap puts the peak back after moving a block to a larger bin,
// but not after moving it to a smaller one: memory_get_peak_usage() then counts
// the old and the new block together, and so must the tracer's peak.
TEST_F(CollectorTest, PeakCountsBothBlocksOfAShrinkingMoveOnly) {
    feed.alloc(0xa000, 1000, {{kFuncKeep, 11}});                          // 1024
    feed.alloc(0xb000, 2000, {{kFuncKeep, 12}}, PMT_REC_REALLOC, 0xa000);  // grows: 2048
    EXPECT_EQ(collector.profile().heap.peak_live_bytes, 2048u);             // not 1024 + 2048
    feed.alloc(0xc000, 100, {{kFuncKeep, 13}}, PMT_REC_REALLOC, 0xb000);   // shrinks: 112
    Profile p = collector.profile();
    EXPECT_EQ(p.heap.live_bytes, 112u);
    EXPECT_EQ(p.heap.peak_live_bytes, 2048u + 112u);
    EXPECT_EQ(p.counters.unknown_frees, 0u);
}

TEST_F(CollectorTest, PeakViewKeepsWhatStacksHeldAtTheLargestHeap) {
    for (uint64_t i = 0; i < 10; ++i) feed.alloc(0x100000 + i * 4096, 4000, {{kFuncKeep, 11}});  // 10 x 4096
    for (uint64_t i = 0; i < 10; ++i) feed.free(0x100000 + i * 4096);
    for (uint64_t i = 0; i < 3; ++i) feed.alloc(0x200000 + i * 4096, 4000, {{kFuncMain, 5}});  // 3 x 4096
    Profile p = collector.profile();
    EXPECT_EQ(p.heap.peak_live_bytes, 10u * 4096);
    const Stack* keep = find_leaf(p, "keep");
    const Stack* main = find_leaf(p, "{main}");
    ASSERT_TRUE(keep && main);
    EXPECT_EQ(keep->stats.peak_live_bytes, 10u * 4096);
    EXPECT_EQ(keep->stats.live_bytes, 0u);
    EXPECT_EQ(main->stats.peak_live_bytes, 0u);
    EXPECT_EQ(main->stats.live_bytes, 3u * 4096);
}

TEST_F(CollectorTest, FunctionPointerReusedForAnotherFunctionGetsNewName) {
    feed.alloc(0xa000, 8, {{0x5000, 1}});  // unknown yet: names lost
    feed.func(0x5000, PMT_FUNC_USER, "{closure}", nullptr, "/app/a.php", 3);
    feed.alloc(0xb000, 8, {{0x5000, 4}});
    feed.func(0x5000, PMT_FUNC_USER, "other", nullptr, "/app/b.php", 7);  // memory reused
    feed.alloc(0xc000, 8, {{0x5000, 8}});
    Profile p = collector.profile();
    EXPECT_NE(find_leaf(p, "[unknown function]"), nullptr);
    EXPECT_NE(find_leaf(p, "{closure}"), nullptr);
    EXPECT_NE(find_leaf(p, "other"), nullptr);
}

TEST_F(CollectorTest, FreeOfUnknownBlockIsCountedNotInvented) {
    feed.free(0xdead0, 0, 0);
    Profile p = collector.profile();
    EXPECT_EQ(p.counters.unknown_frees, 1u);
    EXPECT_EQ(p.heap.live_bytes, 0u);
}

TEST(CollectorBaseline, FreesOfBlocksLiveBeforeAttachReduceTheBaseline) {
    Collector collector(CollectorOptions{});
    collector.set_baseline(kPid, 1000);
    RecordFeeder feed(collector);
    feed.free(0xabc0, 0, 112);
    feed.checkpoint(888);
    Profile p = collector.profile();
    EXPECT_EQ(p.counters.baseline_frees, 1u);
    EXPECT_EQ(p.counters.baseline_free_bytes, 112u);
    ASSERT_EQ(p.checkpoints.size(), 1u);
    EXPECT_EQ(p.checkpoints[0].traced_live_bytes, 888u);
}

TEST(CollectorMalformed, ShortRecordsAreCountedAndIgnored) {
    Collector collector(CollectorOptions{});
    uint8_t junk[4] = {1, 2, 3, 4};
    collector.on_record(junk, sizeof(junk));
    pmt_record_header h{PMT_REC_FREE, 0, 1, 1};
    collector.on_record(&h, sizeof(h));
    EXPECT_EQ(collector.malformed_records(), 2u);
}

}  // namespace
}  // namespace pmt

namespace pmt {
namespace {

// After fork the child owns a copy of the parent's live blocks; freeing one in the
// child leaves the parent's untouched.
// A child's probes are attached after its fork: its copy of the parent's blocks is
// its baseline (replaced by PMT_REC_BASELINE at its first traced call), never a
// second count on the parent's stacks.
// The process model's huge blocks (the fault classifier's): learnt from
// allocations past the large size, copied at fork, forgotten when freed.
TEST_F(CollectorTest, HugeBlocksComeFromAllocationsAndFollowForks) {
    constexpr uint64_t kHuge = 0x40000000, kSize = 3u << 20;
    feed.alloc(kHuge, kSize, {{kFuncKeep, 11}});
    feed.alloc(0x50001000, 4096, {{kFuncKeep, 12}});  // large, not huge
    const ProcessHeap* p = collector.find_process(kPid);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->in_huge_block(kHuge + kSize - 1));
    EXPECT_FALSE(p->in_huge_block(kHuge + kSize));
    EXPECT_FALSE(p->in_huge_block(kHuge - 1));
    EXPECT_FALSE(p->in_huge_block(0x50001000));
    constexpr uint32_t kChild = kPid + 1;
    pmt_proc_record fork{};
    fork.hdr = {PMT_REC_PROC_FORK, 0, kPid, 100};
    fork.child_tgid = kChild;
    collector.on_record(&fork, sizeof(fork));
    feed.free(kHuge, kSize);
    EXPECT_FALSE(collector.find_process(kPid)->in_huge_block(kHuge));
    EXPECT_TRUE(collector.find_process(kChild)->in_huge_block(kHuge));
    pmt_proc_record exit_child{};
    exit_child.hdr = {PMT_REC_PROC_EXIT, 0, kChild, 101};
    collector.on_record(&exit_child, sizeof(exit_child));
    EXPECT_FALSE(collector.find_process(kChild)->in_huge_block(kHuge));
    // zend_mm_shutdown (an FPM request's end) frees the huge blocks wholesale.
    feed.alloc(kHuge, kSize, {{kFuncKeep, 11}});
    pmt_heap_reset_record reset{};
    reset.hdr = {PMT_REC_HEAP_RESET, 0, kPid, 102};
    collector.on_record(&reset, sizeof(reset));
    EXPECT_FALSE(collector.find_process(kPid)->in_huge_block(kHuge));
    EXPECT_TRUE(collector.find_process(kPid)->huge_blocks.empty());
}

TEST_F(CollectorTest, ForkedChildHoldsItsCopyOfTheParentsBlocksAsBaseline) {
    feed.alloc(0xa000, 100, {{kFuncKeep, 11}});  // 112
    feed.alloc(0xb000, 100, {{kFuncKeep, 11}});
    constexpr uint32_t kChild = kPid + 1;
    pmt_proc_record fork{};
    fork.hdr = {PMT_REC_PROC_FORK, 0, kPid, 100};
    fork.child_tgid = kChild;
    collector.on_record(&fork, sizeof(fork));
    pmt_free_record free_in_child{};
    free_in_child.hdr = {PMT_REC_FREE, 0, kChild, 101};
    free_in_child.ptr = 0xa000;
    free_in_child.map_size = 112;  // read from the chunk's page map by the BPF side
    collector.on_record(&free_in_child, sizeof(free_in_child));

    EXPECT_EQ(collector.process_live_bytes(kPid), 2u * 112);
    EXPECT_EQ(collector.process_live_bytes(kChild), 0u);
    EXPECT_EQ(collector.live_bytes(), 2u * 112);
    Profile p = collector.profile();
    const Stack* s = find_leaf(p, "keep");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->stats.live_bytes, 2u * 112);
    EXPECT_EQ(s->stats.alloc_bytes, s->stats.free_bytes + s->stats.live_bytes);
    EXPECT_EQ(p.counters.baseline_frees, 1u);
    EXPECT_EQ(p.counters.unknown_frees, 0u);
    ASSERT_TRUE(p.heap.baseline_bytes);
    EXPECT_EQ(*p.heap.baseline_bytes, 2u * 112);  // the child's, as first estimated
}

// The event lists are bounded: checkpoints past the bound are counted, and
// whether each was exact is not lost.
TEST(CollectorBounds, CheckpointsPastTheBoundAreCountedWithTheirExactness) {
    CollectorOptions options;
    options.max_checkpoints = 2;
    Collector collector(options);
    RecordFeeder feed{collector};
    feed.func(kFuncKeep, PMT_FUNC_USER, "keep", nullptr, "/app/x.php", 10);
    feed.alloc(0xa000, 100, {{kFuncKeep, 11}});  // 112 live
    feed.checkpoint(112);
    feed.checkpoint(112);
    feed.checkpoint(112);  // exact, not kept
    feed.checkpoint(999);  // inexact, not kept
    Profile p = collector.profile();
    EXPECT_EQ(p.checkpoints.size(), 2u);
    EXPECT_EQ(p.counters.checkpoints_not_kept, 2u);
    EXPECT_EQ(p.counters.checkpoints_not_kept_inexact, 1u);
}

TEST(CollectorBounds, StacksPastTheBoundShareOneCountedStack) {
    CollectorOptions options;
    options.max_stacks = 3;  // the overflow stack and two more
    Collector collector(options);
    RecordFeeder feed{collector};
    feed.func(kFuncKeep, PMT_FUNC_USER, "keep", nullptr, "/app/x.php", 10);
    for (uint32_t line = 1; line <= 4; ++line) feed.alloc(0xa000 + line * 0x1000, 100, {{kFuncKeep, line}});
    Profile p = collector.profile();
    EXPECT_EQ(p.counters.stack_table_full, 2u);
    const Stack* overflow = find_leaf(p, "[stack table full]");
    ASSERT_NE(overflow, nullptr);
    EXPECT_EQ(overflow->stats.live_bytes, 2u * 112);
    EXPECT_EQ(collector.live_bytes(), 4u * 112);
}

}  // namespace
}  // namespace pmt
