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
#include "target/php_offsets.h"

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
        per_write.push_back(r.out["write_p50_ns"].get<double>());
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
    // Untraced: what the program itself sees (fault entry, kernel work, return, the
    // write, and ~20 ns of clock reads). p50 = median of single timed writes/restores;
    // mean = totals / count (includes preemption on a busy machine).
    const double per_write = kPages * kRounds;
    const double copy_p50 = untraced("copy", "restore_p50_ns", 1), copy_mean = untraced("copy", "restore_ns", kRounds);
    const double plain_p50 = untraced("copy", "write_p50_ns", 1), plain_mean = untraced("copy", "write_ns", per_write);
    const double map_p50 = untraced("cow", "restore_p50_ns", 1), map_mean = untraced("cow", "restore_ns", kRounds);
    const double cow_p50 = untraced("cow", "write_p50_ns", 1), cow_mean = untraced("cow", "write_ns", per_write);
    const double cowr_p50 = untraced("cow-read", "write_p50_ns", 1),
                 cowr_mean = untraced("cow-read", "write_ns", per_write);
    const double fork_p50 = untraced("fork", "write_p50_ns", 1), fork_mean = untraced("fork", "write_ns", per_write);
    const double touch_p50 = untraced("cow", "touch_p50_ns", 1), touch_mean = untraced("cow", "touch_ns", 511);

    // The test program lays out its heap as Zend's: the table's figures.
    FaultTracerOptions options;
    options.config.off = *php_offsets_for(*PhpVersion::parse("8.2.0"));
    auto t = FaultTracer::start(options);
    ASSERT_TRUE(t) << t.error().message;
    double cow_traced_p50 = 0, cowr_traced_p50 = 0;  // program-visible, per write
    auto first_touch = traced_kernel_ns(**t, "copy", [](const Fault& f) { return !present(f) && write(f); }, nullptr);
    auto cow_np = traced_kernel_ns(**t, "cow", [](const Fault& f) { return f.kind == FaultKind::Cow; },
                                   &cow_traced_p50);
    auto cow_p = traced_kernel_ns(**t, "cow-read", [](const Fault& f) { return present(f) && write(f); },
                                  &cowr_traced_p50);
    auto read_map = traced_kernel_ns(**t, "cow-read", [](const Fault& f) { return !write(f); }, nullptr);

    auto row = [](const char* kind, const KernelFigures& k, double p50, double mean) {
        std::printf("| %s | %.0f / %.0f ns (%llu) | %.0f / %.0f ns |\n", kind, k.p50, k.mean,
                    (unsigned long long)k.n, p50, mean);
    };
    std::printf("\n| fault kind (2 MiB region, THP off) | kernel time, traced: p50 / mean (faults) | "
                "cost seen by the program, untraced: p50 / mean |\n|---|---|---|\n");
    row("first touch (anonymous zero-fill)", first_touch, touch_p50 - plain_p50, touch_mean - plain_mean);
    row("CoW, page not mapped (write to a MAP_PRIVATE memfd image)", cow_np, cow_p50 - plain_p50,
        cow_mean - plain_mean);
    row("CoW, page mapped read-only (write after a read)", cow_p, cowr_p50 - plain_p50, cowr_mean - plain_mean);
    row("CoW after fork() (anonymous; the child is not traced here)", KernelFigures{}, fork_p50 - plain_p50,
        fork_mean - plain_mean);
    row("read of a page-cache page (maps up to 16 around it)", read_map, 0, 0);
    std::printf("\nRestore of one 2 MiB chunk, untraced, p50 / mean: copy-back memcpy %.0f / %.0f ns; "
                "MAP_PRIVATE re-map %.0f / %.0f ns. A write to a mapped page: %.0f / %.0f ns.\n",
                copy_p50, copy_mean, map_p50, map_mean, plain_p50, plain_mean);
    std::printf("Break-even = (copy-back - re-map) / cost per CoW fault, in pages written after a restore "
                "(of 512); above it copy-back is cheaper:\n");
    auto even = [&](const char* kind, double f_p50, double f_mean) {
        std::printf("  %s: p50 %.0f pages, mean %.0f pages\n", kind, (copy_p50 - map_p50) / (f_p50 - plain_p50),
                    (copy_mean - map_mean) / (f_mean - plain_mean));
    };
    even("CoW on unmapped pages (MAP_PRIVATE image)", cow_p50, cow_mean);
    even("CoW on read-mapped pages (image read first; read faults not counted)", cowr_p50, cowr_mean);
    even("fork-style CoW", fork_p50, fork_mean);
    std::printf("Tracer cost per fault as the program sees it (p50 traced - p50 untraced): CoW unmapped %.0f ns, "
                "CoW read-mapped %.0f ns.\n",
                cow_traced_p50 - cow_p50, cowr_traced_p50 - cowr_p50);
    EXPECT_GT(cow_np.n, 0u);  // the figures above came from real records
}

}  // namespace
}  // namespace pmt
