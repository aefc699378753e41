// The heap tracer's user side fed with synthetic records shaped like heap.bpf.c's
// (and the allocation probes'), through a real Collector: real size bookkeeping,
// huge blocks resized in place, forks, GC attribution, requests and the filter.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "collect/collector.h"
#include "heap/heap_tracker.h"

namespace pmt {
namespace {

constexpr uint32_t kPid = 777;
constexpr uint64_t kChunk = PMT_ZEND_CHUNK_SIZE;

class Feeder {
public:
    explicit Feeder(Collector& c) : c_(c) {}
    uint64_t ts = 1000;

    void map(uint16_t kind, uint64_t addr, uint64_t size, bool huge, uint64_t heap_size = 0, uint32_t pid = kPid) {
        auto r = std::make_unique<pmt_heap_map_record>();
        std::memset(r.get(), 0, sizeof(*r));
        header(r->hdr, kind, pid);
        r->hdr.flags = (huge ? PMT_HEAP_HUGE : 0) | PMT_HEAP_STATE_OK;
        r->addr = addr;
        r->size = size;
        r->heap.size = heap_size;
        r->heap.limit = 128ull << 20;
        c_.on_record(r.get(), PMT_HEAP_MAP_RECORD_FIXED_SIZE);
    }
    void alloc(uint64_t ptr, uint64_t size, uint16_t kind = PMT_REC_ALLOC, uint64_t old_ptr = 0,
               uint32_t pid = kPid) {
        auto r = std::make_unique<pmt_alloc_record>();
        std::memset(r.get(), 0, sizeof(*r));
        header(r->hdr, kind, pid);
        r->ptr = ptr;
        r->size = size;
        r->old_ptr = old_ptr;
        c_.on_record(r.get(), PMT_ALLOC_RECORD_FIXED_SIZE);
    }
    void free(uint64_t ptr, uint64_t size) {
        pmt_free_record r{};
        header(r.hdr, PMT_REC_FREE, kPid);
        r.ptr = ptr;
        r.size = size;
        c_.on_record(&r, sizeof(r));
    }
    void checkpoint(uint64_t real) {
        pmt_checkpoint_record r{};
        header(r.hdr, PMT_REC_CHECKPOINT, kPid);
        r.returned = real;
        r.real = 1;
        c_.on_record(&r, sizeof(r));
    }
    void gc(uint16_t kind, int64_t collected, uint64_t heap_size) {
        pmt_gc_record r{};
        header(r.hdr, kind, kPid);
        r.hdr.flags = PMT_HEAP_STATE_OK;
        r.collected = collected;
        r.heap.size = heap_size;
        c_.on_record(&r, sizeof(r));
    }
    void request(bool begin, const char* uri, const char* query, uint64_t heap_size, uint64_t peak) {
        pmt_request_record r{};
        header(r.hdr, PMT_REC_REQUEST, kPid);
        r.hdr.flags = PMT_HEAP_STATE_OK | (begin ? PMT_REQUEST_BEGIN : 0);
        r.heap.size = heap_size;
        r.heap.peak = peak;
        std::strncpy(r.method, "GET", sizeof(r.method) - 1);
        std::strncpy(r.uri, uri, sizeof(r.uri) - 1);
        std::strncpy(r.query, query, sizeof(r.query) - 1);
        c_.on_record(&r, sizeof(r));
    }
    void fork(uint32_t child) {
        pmt_proc_record r{};
        header(r.hdr, PMT_REC_PROC_FORK, kPid);
        r.child_tgid = child;
        c_.on_record(&r, sizeof(r));
    }

private:
    void header(pmt_record_header& h, uint16_t kind, uint32_t pid) {
        h.kind = kind;
        h.tgid = pid;
        h.ts_ns = ts += 1000;
    }
    Collector& c_;
};

struct Rig {
    Collector collector{CollectorOptions{}};
    HeapTracker tracker;
    Feeder feed{collector};
    explicit Rig(HeapTrackerOptions o = {}) : tracker(o) { tracker.attach_to(collector); }
    Profile finish() {
        Profile p = collector.profile();
        tracker.finish(p, collector);
        return p;
    }
};

TEST(HeapTracker, RealSizeFollowsChunksAndHugeBlocks) {
    Rig rig;
    rig.feed.map(PMT_REC_HEAP_MAP, 0x10000000, kChunk, false);
    rig.feed.map(PMT_REC_HEAP_MAP, 0x10200000, kChunk, false);
    rig.feed.map(PMT_REC_HEAP_MAP, 0x20000000, 3 * kChunk + 4096, true);
    EXPECT_EQ(rig.tracker.real_bytes(kPid), 5 * kChunk + 4096);
    rig.feed.checkpoint(5 * kChunk + 4096);
    // Unmapping takes the size the tracer knows, not the one in the record.
    rig.feed.map(PMT_REC_HEAP_UNMAP, 0x20000000, 0, true);
    rig.feed.map(PMT_REC_HEAP_UNMAP, 0x10200000, kChunk, false);
    EXPECT_EQ(rig.tracker.real_bytes(kPid), kChunk);
    rig.feed.checkpoint(kChunk);
    Profile p = rig.finish();
    ASSERT_TRUE(p.heap_timeline);
    EXPECT_EQ(p.heap_timeline->chunks_peak, 2u);
    EXPECT_EQ(p.heap_timeline->huge_peak_bytes, 3 * kChunk + 4096);
    EXPECT_EQ(p.heap_timeline->real_peak_bytes, 5 * kChunk + 4096);
    ASSERT_EQ(p.checkpoints.size(), 2u);
    EXPECT_EQ(p.checkpoints[0].traced_real_bytes, 5 * kChunk + 4096);
    EXPECT_EQ(p.checkpoints[1].traced_real_bytes, kChunk);
    EXPECT_EQ(p.heap_timeline->map_events.size(), 5u);
    EXPECT_EQ(p.heap_timeline->unknown_unmaps, 0u);
}

TEST(HeapTracker, HugeBlockResizedInPlaceByRealloc) {
    Rig rig;
    const uint64_t block = 0x30000000, nine_mib = (9ull << 20) + 4096;
    rig.feed.map(PMT_REC_HEAP_MAP, block, nine_mib, true);
    rig.feed.alloc(block, (9ull << 20) + 25);
    // realloc to 6 MiB + 32 returned the same pointer: the heap unmapped the tail.
    rig.feed.alloc(block, (6ull << 20) + 32, PMT_REC_REALLOC, block);
    EXPECT_EQ(rig.tracker.real_bytes(kPid), (6ull << 20) + 4096);
    // A moved realloc changes nothing by itself (its own map/unmap records do).
    rig.feed.alloc(0x40000000, (7ull << 20), PMT_REC_REALLOC, block);
    EXPECT_EQ(rig.tracker.real_bytes(kPid), (6ull << 20) + 4096);
    rig.feed.map(PMT_REC_HEAP_UNMAP, block, nine_mib, false);
    EXPECT_EQ(rig.tracker.real_bytes(kPid), 0u);
    Profile p = rig.finish();
    EXPECT_TRUE(p.heap_timeline->map_events.back().huge);  // known region: huge, whatever the record says
    EXPECT_EQ(p.heap_timeline->map_events.back().size, (6ull << 20) + 4096);
}

TEST(HeapTracker, UnmapOfAMappingNeverSeenIsCountedAndTakenFromTheBaseline) {
    Rig rig;
    rig.tracker.set_baseline(kPid, 3 * kChunk, 0, 1000);
    rig.feed.map(PMT_REC_HEAP_UNMAP, 0x50000000, kChunk, false);
    EXPECT_EQ(rig.tracker.real_bytes(kPid), 2 * kChunk);
    Profile p = rig.finish();
    EXPECT_EQ(p.heap_timeline->unknown_unmaps, 1u);
    EXPECT_EQ(p.heap_timeline->baseline_real_bytes, 3 * kChunk);
}

TEST(HeapTracker, ForkedChildStartsWithItsParentsMappings) {
    Rig rig;
    rig.feed.map(PMT_REC_HEAP_MAP, 0x10000000, kChunk, false);
    rig.feed.fork(888);
    EXPECT_EQ(rig.tracker.real_bytes(888), kChunk);
    Profile p = rig.finish();
    EXPECT_EQ(p.heap_timeline->chunks_peak, 2u);  // one per process
}

TEST(HeapTracker, GcRunAttributesFreedBytesToAllocationStacks) {
    Rig rig;
    for (uint64_t i = 0; i < 10; ++i) rig.feed.alloc(0x1000 + i * 64, 56);  // 56-byte bin
    rig.feed.gc(PMT_REC_GC_BEGIN, 0, 10 * 56);
    for (uint64_t i = 0; i < 6; ++i) rig.feed.free(0x1000 + i * 64, 56);
    rig.feed.gc(PMT_REC_GC_END, 6, 4 * 56);
    rig.feed.free(0x1000 + 9 * 64, 56);  // after the run: not the GC's
    Profile p = rig.finish();
    ASSERT_EQ(p.heap_timeline->gc_runs.size(), 1u);
    const GcRun& run = p.heap_timeline->gc_runs[0];
    EXPECT_EQ(run.collected, 6);
    EXPECT_EQ(run.freed_bytes, 6u * 56);
    EXPECT_EQ(run.heap_before_bytes, 10u * 56);
    EXPECT_EQ(run.heap_after_bytes, 4u * 56);
    ASSERT_EQ(run.stacks.size(), 1u);
    EXPECT_EQ(run.stacks[0].bytes, 6u * 56);
    EXPECT_EQ(run.stacks[0].count, 6u);
}

TEST(HeapTracker, RequestFiguresAndFilter) {
    HeapTrackerOptions o;
    o.request_filter = "^/keep";
    Rig rig(o);
    rig.feed.request(true, "", "", 1000, 1000);
    rig.feed.alloc(0x1000, 4000);   // 4096 (large bins are page multiples)
    rig.feed.alloc(0x3000, 8000);   // 8192
    rig.feed.free(0x3000, 8000);
    rig.feed.request(false, "/keep.php", "a=1", 1000 + 4096, 1000 + 4096 + 8192);
    rig.feed.request(true, "", "", 500, 500);
    rig.feed.alloc(0x5000, 100);
    rig.feed.request(false, "/drop.php", "", 612, 612);
    Profile p = rig.finish();
    ASSERT_EQ(p.heap_timeline->requests.size(), 1u);
    const RequestFigures& r = p.heap_timeline->requests[0];
    EXPECT_EQ(r.uri, "/keep.php");
    EXPECT_EQ(r.query, "a=1");
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.alloc_bytes, 4096u + 8192u);
    EXPECT_EQ(r.live_at_end_bytes, 4096u);
    EXPECT_EQ(r.peak_bytes, 1000u + 4096u + 8192u);
    EXPECT_EQ(r.php_peak_bytes, 1000u + 4096u + 8192u);
    EXPECT_EQ(p.heap_timeline->requests_filtered, 1u);
}

// A long session: the bounded lists keep the requests with the highest peaks and
// the GC runs that freed the most, count the rest, and thin the samples and
// chunk/huge events evenly over the whole session instead of stopping early.
TEST(HeapTracker, LongSessionKeepsTheHighestPeakRequestsAndCountsTheRest) {
    HeapTrackerOptions o;
    o.max_requests = 3;
    Rig rig(o);
    const uint64_t peaks[] = {5000, 9000, 1000, 7000, 9000, 2000, 8000, 3000};
    for (uint64_t peak : peaks) {
        rig.feed.request(true, "", "", 500, 500);
        rig.feed.request(false, ("/p" + std::to_string(peak)).c_str(), "", peak, peak);
    }
    Profile p = rig.finish();
    const auto& kept = p.heap_timeline->requests;
    ASSERT_EQ(kept.size(), 3u);
    // The three highest, in the order they ran; of the two 9000s both stay.
    EXPECT_EQ(kept[0].peak_bytes, 9000u);
    EXPECT_EQ(kept[1].peak_bytes, 9000u);
    EXPECT_EQ(kept[2].peak_bytes, 8000u);
    EXPECT_LT(kept[0].start_s, kept[1].start_s);
    EXPECT_LT(kept[1].start_s, kept[2].start_s);
    EXPECT_EQ(p.counters.requests_not_kept, 5u);
}

TEST(HeapTracker, LongSessionKeepsTheGcRunsThatFreedTheMost) {
    HeapTrackerOptions o;
    o.max_gc_runs = 2;
    Rig rig(o);
    uint64_t ptr = 0x100000;
    for (uint64_t n : {3, 8, 1, 5}) {
        for (uint64_t i = 0; i < n; ++i) rig.feed.alloc(ptr + i * 64, 56);
        rig.feed.gc(PMT_REC_GC_BEGIN, 0, n * 56);
        for (uint64_t i = 0; i < n; ++i) rig.feed.free(ptr + i * 64, 56);
        rig.feed.gc(PMT_REC_GC_END, int64_t(n), 0);
        ptr += 0x10000;
    }
    Profile p = rig.finish();
    const auto& runs = p.heap_timeline->gc_runs;
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].collected, 8);  // in the order they ran
    EXPECT_EQ(runs[1].collected, 5);
    ASSERT_EQ(runs[0].stacks.size(), 1u);  // each with its own stacks
    EXPECT_EQ(runs[0].stacks[0].bytes, 8u * 56);
    ASSERT_EQ(runs[1].stacks.size(), 1u);
    EXPECT_EQ(runs[1].stacks[0].count, 5u);
    EXPECT_EQ(p.counters.gc_runs_not_kept, 2u);
}

TEST(HeapTracker, LongSessionThinsSamplesAndEventsOverTheWholeSession) {
    HeapTrackerOptions o;
    o.max_samples = 16;
    o.max_map_events = 8;
    Rig rig(o);
    const int n = 1000;
    for (int i = 0; i < n; ++i) {
        // One mapping and one unmapping, each a sample, then a checkpoint: a sample too.
        rig.feed.map(PMT_REC_HEAP_MAP, 0x10000000, kChunk, false);
        rig.feed.map(PMT_REC_HEAP_UNMAP, 0x10000000, kChunk, false);
        rig.feed.checkpoint(0);
    }
    Profile p = rig.finish();
    const HeapTimeline& t = *p.heap_timeline;
    ASSERT_LE(t.samples.size(), 16u);
    ASSERT_GE(t.samples.size(), 8u);
    EXPECT_EQ(t.samples.size() + t.samples_dropped, 3u * n);
    ASSERT_LE(t.map_events.size(), 8u);
    ASSERT_GE(t.map_events.size(), 4u);
    EXPECT_EQ(t.map_events.size() + t.map_events_dropped, 2u * n);
    // Evenly spaced from the start to the end, not the first ones only.
    const double end = p.checkpoints.back().t_s;
    EXPECT_LT(t.samples.front().t_s, end / n * 2);
    EXPECT_GT(t.samples.back().t_s, end * 0.8);
    EXPECT_LT(t.map_events.front().t_s, end / n * 2);
    EXPECT_GT(t.map_events.back().t_s, end * 0.7);
    const double gap = t.samples[1].t_s - t.samples[0].t_s;
    for (size_t i = 1; i < t.samples.size(); ++i) EXPECT_NEAR(t.samples[i].t_s - t.samples[i - 1].t_s, gap, gap * 1e-6);
    // Totals stay exact whatever was thinned.
    EXPECT_EQ(t.chunks_peak, 1u);
    EXPECT_EQ(rig.tracker.real_bytes(kPid), 0u);
}

}  // namespace
}  // namespace pmt
