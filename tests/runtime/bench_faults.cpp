// Page-fault cost on this machine, and the break-even between copy-back and
// copy-on-write restore of a 2 MiB heap chunk. A measurement, not a test: it is
// disabled by default and asserts nothing about time. Run it as root with
//   build/tests/runtime_tests --gtest_also_run_disabled_tests --gtest_filter='FaultBench.*'
// and it prints the Markdown table that docs/bench-faults.md holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "fault_run.h"

namespace pmt {
namespace {

using namespace testing_faults;

constexpr unsigned kPages = 256;  // pages written per round
constexpr unsigned kRounds = 50;  // restores per run
constexpr int kRuns = 7;          // runs per figure; the median is reported

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

std::vector<std::string> args(const char* strategy) {
    return {"--strategy", strategy, "--pages", std::to_string(kPages), "--rounds", std::to_string(kRounds)};
}

// The program's own figures, untraced: median over kRuns of field / divisor.
double untraced(const char* strategy, const char* field, double divisor) {
    std::vector<double> v;
    for (int i = 0; i < kRuns; ++i) {
        TracedRun r = run_traced(nullptr, args(strategy));
        v.push_back(r.out[field].get<double>() / divisor);
    }
    return median(v);
}

struct KernelFigures {
    double mean = 0, p50 = 0;
    uint64_t n = 0;
};

// Kernel time of the faults in the region that match `want`, over kRuns traced runs.
template <typename Pred>
KernelFigures traced_kernel_ns(FaultTracer& tracer, const char* strategy, Pred want, double* user_per_write) {
    std::vector<uint32_t> ns;
    std::vector<double> per_write;
    for (int i = 0; i < kRuns; ++i) {
        TracedRun r = run_traced(&tracer, args(strategy));
        const uint64_t start = r.out["region"].get<uint64_t>(), end = start + r.out["region_bytes"].get<uint64_t>();
        for (const auto& f : r.faults)
            if (f.r.addr >= start && f.r.addr < end && want(f)) ns.push_back(static_cast<uint32_t>(f.r.ns));
        per_write.push_back(r.out["write_ns"].get<double>() / (kPages * kRounds));
    }
    if (user_per_write) *user_per_write = median(per_write);
    KernelFigures k;
    k.n = ns.size();
    if (ns.empty()) return k;
    std::sort(ns.begin(), ns.end());
    double sum = 0;
    for (uint32_t x : ns) sum += x;
    k.mean = sum / ns.size();
    k.p50 = ns[ns.size() / 2];
    return k;
}

bool present(const Fault& f) { return f.r.error_code & PMT_FAULT_ERR_PRESENT; }
bool write(const Fault& f) { return f.r.error_code & PMT_FAULT_ERR_WRITE; }

TEST(FaultBench, DISABLED_CostPerFaultAndBreakEven) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs and open perf events";
    // Untraced: what the program itself sees (fault entry, kernel work, return, the write).
    const double copy_restore = untraced("copy", "restore_ns", kRounds);
    const double plain_write = untraced("copy", "write_ns", kPages * kRounds);  // mapped pages: no fault
    const double cow_restore = untraced("cow", "restore_ns", kRounds);
    const double cow_write = untraced("cow", "write_ns", kPages * kRounds);
    const double cow_read_write = untraced("cow-read", "write_ns", kPages * kRounds);
    const double fork_write = untraced("fork", "write_ns", kPages * kRounds);
    const double touch = untraced("cow", "touch_ns", 511);  // memset of 511 fresh pages

    auto t = FaultTracer::start(FaultTracerOptions{});
    ASSERT_TRUE(t) << t.error().message;
    double cow_write_traced = 0, cow_read_write_traced = 0;
    auto first_touch = traced_kernel_ns(**t, "copy", [](const Fault& f) { return !present(f) && write(f); }, nullptr);
    auto cow_np = traced_kernel_ns(**t, "cow", [](const Fault& f) { return f.kind == FaultKind::Cow; },
                                   &cow_write_traced);
    auto cow_p = traced_kernel_ns(**t, "cow-read", [](const Fault& f) { return present(f) && write(f); },
                                  &cow_read_write_traced);
    auto read_map = traced_kernel_ns(**t, "cow-read", [](const Fault& f) { return !write(f); }, nullptr);

    const double f_direct = cow_write - plain_write, f_present = cow_read_write - plain_write,
                 f_fork = fork_write - plain_write;
    std::printf("\n| fault kind (2 MiB region, THP off) | kernel time, traced: mean / p50 (faults) | "
                "cost seen by the program, untraced |\n|---|---|---|\n");
    std::printf("| first touch (anonymous zero-fill) | %.0f / %.0f ns (%llu) | %.0f ns per page (memset 4 KiB incl.) |\n",
                first_touch.mean, first_touch.p50, (unsigned long long)first_touch.n, touch);
    std::printf("| CoW, page not mapped (write to MAP_PRIVATE memfd image) | %.0f / %.0f ns (%llu) | %.0f ns |\n",
                cow_np.mean, cow_np.p50, (unsigned long long)cow_np.n, f_direct);
    std::printf("| CoW, page mapped read-only (write after read) | %.0f / %.0f ns (%llu) | %.0f ns |\n", cow_p.mean,
                cow_p.p50, (unsigned long long)cow_p.n, f_present);
    std::printf("| read of a page-cache page (fault-around maps 16) | %.0f / %.0f ns (%llu) | - |\n", read_map.mean,
                read_map.p50, (unsigned long long)read_map.n);
    std::printf("| CoW after fork() (anonymous, child writes) | (child not traced here; see the PHP fork test) | "
                "%.0f ns |\n",
                f_fork);
    std::printf("\nRestore of one 2 MiB chunk, untraced: copy-back memcpy %.0f ns; MAP_PRIVATE re-map %.0f ns; "
                "plain write to a mapped page %.1f ns.\n",
                copy_restore, cow_restore, plain_write);
    std::printf("Break-even (pages written per request after a restore; above it copy-back is cheaper):\n");
    std::printf("  CoW on unmapped pages: (%.0f - %.0f) / %.0f = %.0f pages of 512\n", copy_restore, cow_restore,
                f_direct, (copy_restore - cow_restore) / f_direct);
    std::printf("  CoW on read-mapped pages: (%.0f - %.0f) / %.0f = %.0f pages of 512 (read faults not counted)\n",
                copy_restore, cow_restore, f_present, (copy_restore - cow_restore) / f_present);
    std::printf("  fork-style CoW: (%.0f - %.0f) / %.0f = %.0f pages of 512\n", copy_restore, cow_restore, f_fork,
                (copy_restore - cow_restore) / f_fork);
    std::printf("Tracer overhead per fault (program-visible, traced - untraced): CoW unmapped %.0f ns, "
                "CoW read-mapped %.0f ns.\n",
                cow_write_traced - cow_write, cow_read_write_traced - cow_read_write);
    EXPECT_GT(cow_np.n, 0u);  // the figures above came from real records
}

}  // namespace
}  // namespace pmt
