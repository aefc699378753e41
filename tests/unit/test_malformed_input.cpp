// Regression tests for what the fuzz targets (tests/fuzz) and the sanitizer build
// (make test-sanitizers) found in the code that reads untrusted bytes: records
// from the ring buffer, ELF files, session files.
#include <gtest/gtest.h>
#include <tinyxml2.h>

#include <cstddef>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "collect/collector.h"
#include "heap/heap_tracker.h"
#include "phpmemtrace.h"
#include "pprof_profile.pb.h"
#include "report/heap_chart_svg.h"
#include "report/pprof_writer.h"

namespace pmt {
namespace {

// UBSan, in a real `--faults` session: the *_FIXED_SIZE macros took a member's
// address through a null pointer (undefined behaviour, reported at every record).
// Such an expression is not a constant one either, so these did not compile.
constexpr size_t kAllocFixed = PMT_ALLOC_RECORD_FIXED_SIZE;
constexpr size_t kFaultFixed = PMT_FAULT_RECORD_FIXED_SIZE;
constexpr size_t kHeapMapFixed = PMT_HEAP_MAP_RECORD_FIXED_SIZE;
constexpr size_t kErrorFixed = PMT_ERROR_RECORD_FIXED_SIZE;

TEST(MalformedInput, RecordFixedSizesAreConstantOffsetsOfTheFrames) {
    EXPECT_EQ(kAllocFixed, offsetof(pmt_alloc_record, frames));
    EXPECT_EQ(kFaultFixed, offsetof(pmt_fault_record, frames));
    EXPECT_EQ(kHeapMapFixed, offsetof(pmt_heap_map_record, frames));
    EXPECT_EQ(kErrorFixed, offsetof(pmt_error_record, frames));
}

// fuzz_records: the second record with an empty stack (depth 0) hit the stack
// cache, which compared frames with memcmp(nullptr, nullptr, 0): undefined
// behaviour (memcmp's arguments are declared non-null), fatal under UBSan
// (make test-sanitizers); in a plain build it went unnoticed.
TEST(MalformedInput, AllocationsWithoutFramesShareOneEmptyStack) {
    Collector c(CollectorOptions{});
    for (uint64_t ptr : {0x1000, 0x2000}) {
        pmt_alloc_record r{};
        r.hdr.kind = PMT_REC_ALLOC;
        r.hdr.tgid = 7;
        r.ptr = ptr;
        r.size = 64;
        c.on_record(&r, PMT_ALLOC_RECORD_FIXED_SIZE);
    }
    const Profile p = c.profile();
    ASSERT_EQ(p.stacks.size(), 1u);
    EXPECT_TRUE(p.stacks[0].frames.empty());
    EXPECT_EQ(p.stacks[0].stats.alloc_count, 2u);
    EXPECT_EQ(p.stacks[0].stats.live_bytes, 128u);
}

// fuzz_records: the heap tracer's used figure (heap->size at the last anchor plus
// the traced delta since) summed record sizes in int64_t, and two blocks claiming
// 2^62.8 bytes each overflowed it (undefined behaviour; in a plain build the used
// figure wrapped to negative and showed 0). It now saturates.
TEST(MalformedInput, HeapUsedFigureSaturatesOnImpossibleSizes) {
    Collector c(CollectorOptions{});
    HeapTracker heap(HeapTrackerOptions{});
    heap.attach_to(c);
    const uint64_t claimed = 0x7000000000000000;
    uint64_t ts = 1;
    for (uint64_t ptr : {0x1000, 0x2000}) {
        pmt_alloc_record r{};
        r.hdr = {PMT_REC_ALLOC, 0, 7, ts++};
        r.ptr = ptr;
        r.size = claimed;
        c.on_record(&r, PMT_ALLOC_RECORD_FIXED_SIZE);
    }
    pmt_checkpoint_record checkpoint{};  // heap_read_ok = 0: no new anchor
    checkpoint.hdr = {PMT_REC_CHECKPOINT, 0, 7, ts++};
    c.on_record(&checkpoint, sizeof(checkpoint));
    Profile p = c.profile();
    heap.finish(p, c);
    ASSERT_TRUE(p.heap_timeline);
    ASSERT_FALSE(p.heap_timeline->samples.empty());
    EXPECT_EQ(p.heap_timeline->samples.back().used_bytes, uint64_t(INT64_MAX));
}

// A heap timeline as a damaged session file gives it: load_session() reads each
// figure as the signed integer SQLite stores, so -8101888 arrives as 2^64 - 8101888.
Profile profile_with_samples(std::vector<HeapSample> samples) {
    Profile p;
    p.duration_s = 1.0;
    HeapTimeline t;
    t.samples = std::move(samples);
    p.heap_timeline = t;
    return p;
}

// The labels of the chart's left axis (the group of right-aligned texts), in MiB.
std::vector<double> left_axis_mib(const std::string& svg) {
    tinyxml2::XMLDocument doc;
    EXPECT_EQ(doc.Parse(svg.c_str()), tinyxml2::XML_SUCCESS) << svg.substr(0, 400);
    std::vector<double> out;
    for (auto* g = doc.RootElement()->FirstChildElement("g"); g; g = g->NextSiblingElement("g")) {
        const char* anchor = g->Attribute("text-anchor");
        if (!anchor || std::string(anchor) != "end") continue;
        for (auto* text = g->FirstChildElement("text"); text; text = text->NextSiblingElement("text"))
            out.push_back(std::strtod(text->GetText(), nullptr));
    }
    return out;
}

// fuzz_session: the axis labels converted values past 2^64 to uint64_t
// (undefined behaviour; on x86-64 they came out as 0 MiB).
TEST(MalformedInput, HeapChartAxisReachesFiguresNear2To64) {
    const uint64_t huge = uint64_t(0) - 8101888;
    std::ostringstream out;
    write_heap_chart_svg(profile_with_samples({{0.5, 1, 0, huge, 0, 0}}), out);
    const auto labels = left_axis_mib(out.str());
    ASSERT_GE(labels.size(), 2u);
    for (size_t i = 1; i < labels.size(); ++i) EXPECT_GT(labels[i], labels[i - 1]) << "label " << i;
    EXPECT_GE(labels.back(), double(huge) / 1048576.0);
}

// A heap of 100 KB (no chunk mapped: used figures only) has axis steps of
// 0.02 MiB; one decimal printed them as 0, 0.0, 0.0, 0.1, ... The labels carry the
// decimals the step needs, as the time axis does.
TEST(MalformedInput, HeapChartAxisOfATinyHeapHasDistinctLabels) {
    std::ostringstream out;
    write_heap_chart_svg(profile_with_samples({{0.5, 1, 100000, 0, 0, 0}}), out);
    const auto labels = left_axis_mib(out.str());
    ASSERT_GE(labels.size(), 3u);
    for (size_t i = 1; i < labels.size(); ++i) EXPECT_GT(labels[i], labels[i - 1]) << "label " << i;
    EXPECT_NE(out.str().find(">0.02 MiB<"), std::string::npos);
}

// Found reading the chart after that finding: ticks summed as `s += step` up to
// `t_max * 1.0001`, which overflows to infinity for a duration near DBL_MAX, and
// inf + step <= inf forever: the chart never returned.
TEST(MalformedInput, HeapChartEndsForADurationNearTheLargestDouble) {
    Profile p = profile_with_samples({{0.5, 1, 1 << 20, 2 << 20, 1, 0}});
    p.duration_s = std::numeric_limits<double>::max();  // times 1.0001 is infinity
    std::ostringstream out;
    write_heap_chart_svg(p, out);
    EXPECT_NE(out.str().find("</svg>"), std::string::npos);
}

// A negative GC duration (a damaged file) was cast to uint64_t for its tooltip.
TEST(MalformedInput, HeapChartShowsANegativeGcDurationAsIs) {
    Profile p = profile_with_samples({{0.5, 1, 1 << 20, 2 << 20, 1, 0}});
    p.heap_timeline->gc_runs.resize(1);
    p.heap_timeline->gc_runs[0].start_s = 0.25;
    p.heap_timeline->gc_runs[0].duration_s = -0.5;
    std::ostringstream out;
    write_heap_chart_svg(p, out);
    EXPECT_NE(out.str().find("freed, -500000 us"), std::string::npos);
}

// Found reading pprof_writer.cpp after the chart's finding: the session's start
// time is text from the file, and a year like 99999999 overflowed the seconds to
// nanoseconds product (undefined behaviour, a garbage time in the profile).
TEST(MalformedInput, PprofTimeOfAnOutOfRangeStartIsZero) {
    for (const char* started_at : {"99999999-01-01T00:00:00Z", "-2147483648-01-01T00:00:00Z",
                                   "2026-01-01T00:00:1e300Z", "2026-13-01T00:00:00Z"}) {
        Profile p;
        p.started_at = started_at;
        pprof::Profile decoded;
        ASSERT_TRUE(decoded.ParseFromString(encode_pprof(p)));
        EXPECT_EQ(decoded.time_nanos(), 0) << started_at;
    }
    Profile p;
    p.started_at = "2026-11-21T07:37:22Z";
    pprof::Profile decoded;
    ASSERT_TRUE(decoded.ParseFromString(encode_pprof(p)));
    EXPECT_EQ(decoded.time_nanos(), int64_t{1795246642} * 1000000000);
}

}  // namespace
}  // namespace pmt
