// Page-fault classification, statistics and JSON, without the kernel.
#include <gtest/gtest.h>

#include <cstring>

#include "faults/fault_collector.h"
#include "faults/fault_json.h"
#include "faults/fault_stats.h"
#include "faults/region_classifier.h"
#include "faults/fault_tracer.h"
#include "faults/fault_windows.h"
#include "faults/restore_functions.h"
#include "model/profile.h"

namespace pmt {
namespace {

constexpr uint32_t kPresent = PMT_FAULT_ERR_PRESENT, kWrite = PMT_FAULT_ERR_WRITE;

TEST(FaultKind, PresentWriteOnPrivateMemoryIsCopyOnWrite) {
    VmaFacts anon;
    EXPECT_EQ(classify_kind(kPresent | kWrite, anon), FaultKind::Cow);  // after fork()
    EXPECT_EQ(classify_kind(kWrite, anon), FaultKind::FirstTouch);      // zero-fill
    EXPECT_EQ(classify_kind(0, anon), FaultKind::FirstTouch);           // read of a new page
}

TEST(FaultKind, WriteToUnmappedPageOfPrivateFileMappingCopies) {
    VmaFacts image{.exec = false, .shared = false, .file = "memfd:pmt-snapshot"};
    EXPECT_EQ(classify_kind(kWrite, image), FaultKind::Cow);       // MAP_PRIVATE snapshot restore
    EXPECT_EQ(classify_kind(0, image), FaultKind::FirstTouch);     // read maps the page-cache page
    VmaFacts shared{.exec = false, .shared = true, .file = "data.bin"};
    EXPECT_EQ(classify_kind(kPresent | kWrite, shared), FaultKind::Other);  // write-notify, no copy
}

TEST(FaultRegion, ChunkFlagWinsAndVmStackIsCountedApart) {
    VmaFacts anon;
    EXPECT_EQ(classify_region(anon, true, false, false), FaultRegion::ZendHeap);
    EXPECT_EQ(classify_region(anon, true, true, false), FaultRegion::VmStack);
    EXPECT_EQ(classify_region(anon, false, false, true), FaultRegion::ZendHuge);
    EXPECT_EQ(classify_region(anon, false, false, false), FaultRegion::Anon);
    EXPECT_EQ(classify_region({.exec = true, .shared = false, .file = "php8.2"}, false, false, false),
              FaultRegion::Code);
    EXPECT_EQ(classify_region({.exec = false, .shared = true, .file = "dev/zero"}, false, false, false),
              FaultRegion::Opcache);
    EXPECT_EQ(classify_region({.exec = false, .shared = false, .file = "libc.so.6"}, false, false, false),
              FaultRegion::File);
}

TEST(ProcMaps, ParsesPathsPermissionsAndAnonymousLines) {
    auto maps = parse_proc_maps(
        "55d0c0000000-55d0c0400000 r-xp 00000000 08:01 123 /usr/bin/php8.2\n"
        "7f0000000000-7f0000200000 rw-p 00000000 00:00 0 \n"
        "7f1000000000-7f1008000000 rw-s 00000000 00:01 5 /dev/zero (deleted)\n"
        "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n");
    ASSERT_EQ(maps.size(), 4u);
    EXPECT_TRUE(maps[0].exec);
    EXPECT_EQ(maps[0].path, "/usr/bin/php8.2");
    EXPECT_EQ(maps[1].path, "");
    EXPECT_TRUE(maps[2].shared);
    EXPECT_EQ(maps[2].path, "/dev/zero (deleted)");
    EXPECT_EQ(maps[3].path, "[stack]");
    EXPECT_EQ(maps[3].start, 0x7ffd00000000u);
}

// A fake /proc reader whose content grows, to check maps are re-read for new regions.
int g_reads = 0;
std::vector<MapEntry> growing_maps(uint32_t) {
    ++g_reads;
    std::vector<MapEntry> maps{{0x1000, 0x2000, false, true, "/dev/zero (deleted)"}};
    if (g_reads > 1) maps.push_back({0x10000, 0x20000, false, false, "/tmp/data"});
    return maps;
}

pmt_fault_record fault(uint64_t addr, uint32_t error_code, uint32_t flags) {
    pmt_fault_record r{};
    r.hdr.kind = PMT_REC_FAULT;
    r.hdr.tgid = 42;
    r.addr = addr;
    r.error_code = error_code;
    r.flags = flags;
    r.ns = 1000;
    return r;
}

TEST(RegionClassifier, FallsBackToProcMapsAndRereadsWhenTheAddressIsNew) {
    g_reads = 0;
    RegionClassifier c;
    c.set_maps_reader(growing_maps);
    auto a = c.classify(fault(0x1800, kPresent | kWrite, PMT_FAULT_NO_VMA), false);
    EXPECT_EQ(a.region, FaultRegion::Opcache);
    EXPECT_EQ(a.kind, FaultKind::Other);
    EXPECT_EQ(c.maps_reads(), 1u);
    c.classify(fault(0x1900, 0, PMT_FAULT_NO_VMA), false);
    EXPECT_EQ(c.maps_reads(), 1u);  // known region: no re-read
    auto b = c.classify(fault(0x18000, kWrite, PMT_FAULT_NO_VMA), false);
    EXPECT_EQ(c.maps_reads(), 2u);
    EXPECT_EQ(b.region, FaultRegion::File);
    EXPECT_EQ(b.kind, FaultKind::Cow);
}

std::vector<MapEntry> no_process(uint32_t) { return {}; }

TEST(RegionClassifier, AChildThatExitedIsClassifiedWithItsParentsMaps) {
    g_reads = 0;
    RegionClassifier c;
    c.set_maps_reader(growing_maps);
    pmt_fault_record parent_fault = fault(0x1800, 0, PMT_FAULT_NO_VMA);
    EXPECT_EQ(c.classify(parent_fault, false).region, FaultRegion::Opcache);
    c.on_fork(42, 43);
    c.set_maps_reader(no_process);  // the child is gone when its records are read
    pmt_fault_record child_fault = fault(0x1900, kPresent | kWrite, PMT_FAULT_NO_VMA);
    child_fault.hdr.tgid = 43;
    EXPECT_EQ(c.classify(child_fault, false).region, FaultRegion::Opcache);
    child_fault.addr = 0x90000;  // unknown even to the parent's maps: re-read fails, maps kept
    EXPECT_EQ(c.classify(child_fault, false).region, FaultRegion::Anon);
    child_fault.addr = 0x1a00;
    EXPECT_EQ(c.classify(child_fault, false).region, FaultRegion::Opcache);
}

TEST(FaultStats, NearestRankPercentilesAndPerRegionSums) {
    FaultStats s;
    for (uint64_t ns = 1; ns <= 100; ++ns)
        s.add(ns <= 60 ? FaultRegion::ZendHeap : FaultRegion::Anon, ns % 2 ? FaultKind::Cow : FaultKind::FirstTouch,
              ns == 100, ns * 100);
    FaultReport r = s.report();
    EXPECT_EQ(r.count, 100u);
    EXPECT_EQ(r.latency_ns.p50, 5000u);
    EXPECT_EQ(r.latency_ns.p90, 9000u);
    EXPECT_EQ(r.latency_ns.p99, 9900u);
    EXPECT_EQ(r.latency_ns.max, 10000u);
    EXPECT_EQ(r.latency_ns.mean, 5050u);
    EXPECT_EQ(r.region(FaultRegion::ZendHeap).count, 60u);
    EXPECT_EQ(r.region(FaultRegion::ZendHeap).cow, 30u);
    EXPECT_EQ(r.region(FaultRegion::ZendHeap).ns_total, 100u * 60 * 61 / 2);
    EXPECT_EQ(r.region(FaultRegion::Anon).major, 1u);
    uint64_t in_histogram = 0;
    for (uint64_t n : r.histogram) in_histogram += n;
    EXPECT_EQ(in_histogram, 100u);
}

TEST(FaultJson, UsesTheIssueNamesAndRoundTrips) {
    FaultStats s;
    s.add(FaultRegion::ZendHeap, FaultKind::Cow, false, 1500);
    s.add(FaultRegion::File, FaultKind::FirstTouch, true, 90000);
    FaultReport r = s.report();
    auto j = faults_to_json(r);
    EXPECT_EQ(j["count"], 2);
    for (const char* region : {"zend_heap", "zend_huge", "opcache", "anon", "file"})
        for (const char* field : {"count", "cow", "first_touch", "major", "ns_total"})
            EXPECT_TRUE(j["by_region"][region].contains(field)) << region << "." << field;
    for (const char* field : {"p50", "p90", "p99", "max", "mean"}) EXPECT_TRUE(j["latency_ns"].contains(field));
    EXPECT_EQ(j["by_region"]["zend_heap"]["cow"], 1);
    EXPECT_EQ(j["by_region"]["file"]["major"], 1);
    EXPECT_EQ(j["latency_ns"]["max"], 90000);
    FaultReport back = faults_from_json(j);
    EXPECT_EQ(faults_to_json(back), j);
}

TEST(FaultCollector, RejectsTruncatedRecordsAndReturnsTheStack) {
    FaultCollector c;
    std::vector<unsigned char> buf(PMT_FAULT_RECORD_FIXED_SIZE + 2 * sizeof(pmt_frame));
    pmt_fault_record r = fault(0x5000, kPresent | kWrite, PMT_FAULT_ZEND_CHUNK);
    r.depth = 2;
    std::memcpy(buf.data(), &r, PMT_FAULT_RECORD_FIXED_SIZE);
    pmt_frame frames[2] = {{0x1111, 7, 0}, {0x2222, 9, 0}};
    std::memcpy(buf.data() + PMT_FAULT_RECORD_FIXED_SIZE, frames, sizeof(frames));

    RecordView view;
    ASSERT_TRUE(RecordView::decode(buf.data(), buf.size(), view));
    auto a = c.on_record(view);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->region, FaultRegion::ZendHeap);
    EXPECT_EQ(a->kind, FaultKind::Cow);
    ASSERT_EQ(a->leaf_first.size(), 2u);
    EXPECT_EQ(a->leaf_first[0].func, 0x1111u);
    ASSERT_TRUE(RecordView::decode(buf.data(), buf.size() - 1, view));
    EXPECT_FALSE(c.on_record(view));  // depth says 2 frames
    FaultReport rep = c.report();
    EXPECT_EQ(rep.count, 1u);
    EXPECT_EQ(rep.counters.malformed_records, 1u);
}

TEST(RestoreFunctions, MatchedByNameCaseInsensitively) {
    EXPECT_TRUE(is_restore_function_name("zend_mm_snapshot_restore"));
    EXPECT_TRUE(is_restore_function_name("heap_Snapshot_Rollback"));
    EXPECT_FALSE(is_restore_function_name("zend_restore_error_handling"));  // stock PHP: not a snapshot
    EXPECT_FALSE(is_restore_function_name("zend_snapshot_take"));
}

pmt_restore_record restore_record(uint16_t kind, uint32_t tgid, uint64_t ts) {
    pmt_restore_record r{};
    r.hdr.kind = kind;
    r.hdr.tgid = tgid;
    r.hdr.ts_ns = ts;
    return r;
}

TEST(FaultWindows, FaultsAreSplitIntoDuringAndAfterEachRestoreAndPerRequest) {
    FaultWindows w;
    w.set_function_names({"php_snapshot_restore"});
    w.on_request_begin(7, 100);
    w.on_restore_begin(restore_record(PMT_REC_RESTORE_BEGIN, 7, 1000));
    w.on_restore_begin(restore_record(PMT_REC_RESTORE_BEGIN, 7, 1100));  // nested call
    w.on_fault(7, 0x1000, 500, FaultKind::FirstTouch);
    w.on_restore_end(restore_record(PMT_REC_RESTORE_END, 7, 1900));
    w.on_restore_end(restore_record(PMT_REC_RESTORE_END, 7, 2000));
    w.on_fault(7, 0x2000, 1000, FaultKind::Cow);
    w.on_fault(7, 0x2008, 1000, FaultKind::Cow);  // same page
    w.on_fault(8, 0x3000, 1000, FaultKind::Cow);  // another process: not in any window
    w.on_request_end(7);
    w.on_fault(7, 0x4000, 1000, FaultKind::Cow);  // after the request, still after the restore
    FaultReport r;
    w.fill(r, [](uint64_t ts) { return ts / 1000.0; }, 500.0);
    ASSERT_EQ(r.restores.size(), 1u);
    const auto& x = r.restores[0];
    EXPECT_EQ(x.function, "php_snapshot_restore");
    EXPECT_EQ(x.duration_ns, 1000u);
    EXPECT_EQ(x.faults_during, 1u);
    EXPECT_EQ(x.faults_after, 3u);
    EXPECT_EQ(x.cow_after, 3u);
    EXPECT_EQ(x.pages_after, 2u);
    EXPECT_EQ(x.break_even_pages, 2u);  // 1000 ns / 500 ns per CoW fault
    EXPECT_DOUBLE_EQ(x.t_s, 1.0);
    ASSERT_EQ(r.requests.size(), 1u);
    EXPECT_EQ(r.requests[0].faults, 3u);
    EXPECT_EQ(r.requests[0].pages, 2u);
    EXPECT_EQ(r.requests[0].first_touch, 1u);
}

TEST(FaultViews, FlameGraphViewsForFaults) {
    StackStats s;
    s.fault_count = 3;
    s.fault_ns = 4500;
    EXPECT_EQ(parse_view("faults"), View::Faults);
    EXPECT_EQ(parse_view("fault-ns"), View::FaultNs);
    EXPECT_EQ(stack_value(s, View::Faults), 3u);
    EXPECT_EQ(stack_value(s, View::FaultNs), 4500u);
    EXPECT_STREQ(view_name(View::FaultNs), "fault-ns");
}

TEST(FaultTracer, ParsesCpuLists) {
    EXPECT_EQ(parse_cpu_list("0-3,5\n"), (std::vector<int>{0, 1, 2, 3, 5}));
    EXPECT_EQ(parse_cpu_list("0"), (std::vector<int>{0}));
}

}  // namespace
}  // namespace pmt
