// Page-fault tracing against the real kernel: the fault records of a test program
// are compared with what the program knows it touched (tests/testprogs/
// snapshot_restore.c) and with the kernel's own fault count for the process.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "faults/fault_collector.h"
#include "faults/fault_tracer.h"
#include "target/php_offsets.h"
#include "faults/restore_functions.h"
#include "fault_run.h"

namespace pmt {
namespace {

using namespace testing_faults;


class FaultTracing : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (geteuid() != 0) return;
        // The test program lays out its heap as Zend's (chunk_heap_slot and the rest
        // of zend_alloc.c's layout, the same in every version): the table's figures.
        FaultTracerOptions options;
        options.config.off = *php_offsets_for(*PhpVersion::parse("8.2.0"));
        auto t = FaultTracer::start(options);
        if (!t) {
            start_error_ = t.error().message;
            return;
        }
        tracer_ = std::move(t.value()).release();
        // The program's heap_snapshot_restore(), found by name as in a PHP with snapshots.
        auto elf = ElfFile::open(snapshot_restore_path());
        if (!elf) {
            start_error_ = elf.error().message;
            return;
        }
        std::vector<uint64_t> offsets;
        for (const auto& f : find_restore_functions(*elf)) {
            restore_names_.push_back(f.name);
            offsets.push_back(f.file_offset);
        }
        if (auto s = tracer_->attach_restore_functions(snapshot_restore_path(), offsets); !s)
            start_error_ = s.error().message;
    }
    static void TearDownTestSuite() {
        delete tracer_;
        tracer_ = nullptr;
    }
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs and open perf events";
        ASSERT_NE(tracer_, nullptr) << start_error_;
        ASSERT_EQ(start_error_, "");
    }

    struct InRegion {
        uint64_t first_touch = 0, cow = 0, other = 0, zend_heap = 0, present_write = 0,
                 not_present_write = 0, not_present_read = 0;
        uint64_t total() const { return first_touch + cow + other; }
    };
    static InRegion in_region(const TracedRun& run) {
        InRegion c;
        const uint64_t start = run.out["region"].get<uint64_t>();
        const uint64_t end = start + run.out["region_bytes"].get<uint64_t>();
        for (const auto& f : run.faults) {
            if (f.r.addr < start || f.r.addr >= end) continue;
            c.first_touch += f.kind == FaultKind::FirstTouch;
            c.cow += f.kind == FaultKind::Cow;
            c.other += f.kind == FaultKind::Other;
            c.zend_heap += f.region == FaultRegion::ZendHeap;
            const bool present = f.r.error_code & PMT_FAULT_ERR_PRESENT;
            const bool write = f.r.error_code & PMT_FAULT_ERR_WRITE;
            c.present_write += present && write;
            c.not_present_write += !present && write;
            c.not_present_read += !present && !write;
        }
        return c;
    }

    static inline FaultTracer* tracer_ = nullptr;
    static inline std::string start_error_;
    static inline std::vector<std::string> restore_names_;
};

// The margin, everywhere below, is zero inside the region: THP is off for it (one
// fault = one 4 KiB page), nothing else maps or unmaps it, and no fault there fails.

TEST_F(FaultTracing, CopyBackRestoreFaultsOnlyOnFirstTouch) {
    TracedRun run = run_traced(tracer_, {"--strategy", "copy", "--pages", "100", "--rounds", "3"});
    ASSERT_TRUE(run.out.is_object());
    InRegion c = in_region(run);
    EXPECT_EQ(c.first_touch, 512u);  // the touch; the copies and writes hit mapped pages
    EXPECT_EQ(c.cow, 0u);
    EXPECT_EQ(c.total(), 512u);
    EXPECT_EQ(c.not_present_write, 512u);
    EXPECT_GE(c.zend_heap, 511u);  // page 0 faults before its chunk header is written
}

TEST_F(FaultTracing, CopyOnWriteRestoreCostsOneFaultPerWrittenPage) {
    TracedRun run = run_traced(tracer_, {"--strategy", "cow", "--pages", "100", "--rounds", "3"});
    ASSERT_TRUE(run.out.is_object());
    InRegion c = in_region(run);
    EXPECT_EQ(c.first_touch, 512u);
    EXPECT_EQ(c.cow, 300u);  // 100 pages x 3 restores
    // The image's pages are not mapped yet: copy-on-write from a not-present PTE.
    EXPECT_EQ(c.not_present_write, 512u + 300u);
    EXPECT_EQ(c.present_write, 0u);
    EXPECT_GE(c.zend_heap, 511u + 300u);  // the image carries the chunk header
    for (const auto& f : run.faults) {
        EXPECT_GT(f.r.ns, 0u);
        EXPECT_FALSE(f.r.flags & PMT_FAULT_MAJOR);
    }
}

TEST_F(FaultTracing, WritesAfterReadsAreProtectionCopyOnWriteFaults) {
    TracedRun run = run_traced(tracer_, {"--strategy", "cow-read", "--pages", "64", "--rounds", "2"});
    ASSERT_TRUE(run.out.is_object());
    InRegion c = in_region(run);
    EXPECT_EQ(c.present_write, 128u);  // the page was mapped read-only by the read: CoW
    EXPECT_EQ(c.cow, 128u);
    // Reads map page-cache pages with fault-around (up to 16 pages per fault), so
    // between 512/16 and 512 read faults per round; they copy nothing.
    EXPECT_GE(c.not_present_read, 2u * 512 / 16);
    EXPECT_LE(c.not_present_read, 2u * 512);
    EXPECT_EQ(c.first_touch, 512u + c.not_present_read);
}

TEST_F(FaultTracing, EachRestoreIsMeasuredFromTheFunctionFoundByName) {
    ASSERT_EQ(restore_names_, std::vector<std::string>{"heap_snapshot_restore"});
    TracedRun cow = run_traced(tracer_, {"--strategy", "cow", "--pages", "100", "--rounds", "3"}, restore_names_);
    ASSERT_EQ(cow.report.restores.size(), 3u);
    // The first uprobe hit of a process faults once on its own: the kernel executes
    // the probed instruction out of line in the "[uprobes]" page, mapped on first use.
    // That fault lands inside the first restore call; nothing else does.
    EXPECT_LE(cow.report.restores[0].faults_during, 1u);
    for (const auto& r : cow.report.restores) {
        EXPECT_EQ(r.function, "heap_snapshot_restore");
        EXPECT_GT(r.duration_ns, 0u);
        if (&r != &cow.report.restores[0]) {
            EXPECT_EQ(r.faults_during, 0u);  // mapping the image faults nothing
        }
        // Each restore is paid after it: one CoW fault per page written. The program
        // also touches its timing array and stack between restores (other pages).
        EXPECT_GE(r.cow_after, 100u);
        EXPECT_LE(r.cow_after, 100u + 4);
        EXPECT_GE(r.pages_after, 100u);
    }
    TracedRun copy = run_traced(tracer_, {"--strategy", "copy", "--pages", "100", "--rounds", "3"}, restore_names_);
    ASSERT_EQ(copy.report.restores.size(), 3u);
    EXPECT_LE(copy.report.restores[0].faults_during, 1u);  // the "[uprobes]" page, as above
    for (const auto& r : copy.report.restores) {
        if (&r != &copy.report.restores[0]) {
            EXPECT_EQ(r.faults_during, 0u);  // all mapped already
        }
        EXPECT_LE(r.cow_after, 4u);      // and the writes after it do not fault
    }
}

TEST_F(FaultTracing, ReadingAFileDroppedFromThePageCacheTakesMajorFaults) {
    const std::string data = std::string(PMT_BUILD_DIR) + "/tests/file_faults.dat";  // on disk, not tmpfs
    TracedRun run = run_traced_program(tracer_, std::string(PMT_BUILD_DIR) + "/tests/file_faults", {data, "256"});
    ASSERT_TRUE(run.out.is_object());
    const uint64_t start = run.out["region"].get<uint64_t>(), end = start + run.out["region_bytes"].get<uint64_t>();
    uint64_t major = 0, in_region = 0;
    for (const auto& f : run.faults) {
        if (f.r.addr < start || f.r.addr >= end) continue;
        ++in_region;
        if (f.r.flags & PMT_FAULT_MAJOR) {
            ++major;
            EXPECT_EQ(f.region, FaultRegion::File);
            EXPECT_EQ(f.kind, FaultKind::FirstTouch);
        }
    }
    // The first read waits for the disk; readahead brings the rest in, and read
    // faults map up to 16 cached pages at once: so at least 1 major fault, and at
    // least 256 / 16 faults in all.
    EXPECT_GE(major, 1u);
    EXPECT_GE(in_region, 256u / 16);
    EXPECT_LE(in_region, 256u);
    EXPECT_GE(static_cast<uint64_t>(run.usage.ru_majflt), major);  // the kernel counted them as major too
}

TEST_F(FaultTracing, RecordsAgreeWithTheKernelsFaultCountForTheProcess) {
    TracedRun run = run_traced(tracer_, {"--strategy", "cow", "--pages", "200", "--rounds", "2"});
    ASSERT_TRUE(run.out.is_object());
    // Between its two getrusage() calls the program knows how many faults the kernel
    // counted; the records whose fault began in that interval must be the same ones.
    const uint64_t t_begin = run.out["t_begin_ns"].get<uint64_t>(), t_end = run.out["t_end_ns"].get<uint64_t>();
    const uint64_t kernel_window = run.out["faults_end"].get<uint64_t>() - run.out["faults_begin"].get<uint64_t>();
    uint64_t traced_window = 0;
    for (const auto& f : run.faults) traced_window += f.r.hdr.ts_ns >= t_begin && f.r.hdr.ts_ns <= t_end;
    std::printf("in the run: traced %llu faults, kernel counted %llu\n", (unsigned long long)traced_window,
                (unsigned long long)kernel_window);
    // Margin 1: a fault that straddles a boundary (a clock read is not atomic with
    // the getrusage() next to it). Nothing in the run faults through get_user_pages().
    EXPECT_LE(traced_window, kernel_window + 1);
    EXPECT_GE(traced_window + 1, kernel_window) << "unmatched ends " << run.counters.unmatched_ends
                                                << ", address mismatches " << run.counters.addr_mismatches
                                                << ", programs skipped " << run.counters.program_misses;
    EXPECT_GE(traced_window, 512u + 400u);
    // Over the whole process (fork, exec, loader) the kernel counts more than the
    // tracer can see: the forked child's faults before its pid entered the traced
    // set, and get_user_pages() faults in execve, which raise no perf event.
    const uint64_t kernel = run.usage.ru_minflt + run.usage.ru_majflt;
    EXPECT_LE(run.faults.size(), kernel);
}

}  // namespace
}  // namespace pmt
