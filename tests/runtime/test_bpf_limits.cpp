// Every BPF program must fit the verifier's limits on any kernel, not only on the
// build this suite runs on. Kernels with private BPF stacks (6.13+, x86-64 JIT)
// accept a combined stack over 512 bytes that others refuse ("combined stack size
// of 2 calls is 640. Too large"), so loading here proves nothing: the stack depths
// the verifier reports for each program and its subprograms are checked instead.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <numeric>
#include <set>

#include "attach/bpf_load.h"
#include "attach/memtrace_probes.h"
#include "faults/fault_tracer.h"
#include "heap/heap_probes.h"
#include "attach/uprobe_multi.h"
#include "runtime_helpers.h"
#include "target/php_binary.h"

namespace pmt {
namespace {

constexpr uint32_t kMaxCombinedStack = 512;  // MAX_BPF_STACK
// Without a JIT the verifier rounds each frame up to 32 bytes (16 with one).
constexpr uint32_t kFrameRounding = 32;

uint32_t round_up(uint32_t v, uint32_t to) { return (v + to - 1) / to * to; }

// The deepest call chain is at most the main program plus every subprogram.
uint32_t worst_combined_stack(const VerifierStats& s) {
    return std::accumulate(s.stack_depths.begin(), s.stack_depths.end(), 0u,
                           [](uint32_t sum, uint32_t d) { return sum + round_up(d, kFrameRounding); });
}

TEST(BpfLimits, EveryProgramsCombinedStackFitsIn512Bytes) {
    PMT_REQUIRE_ROOT();
    auto php = PhpBinary::open("/usr/bin/php8.2");
    ASSERT_TRUE(php) << php.error().message;

    // Loaded as a session loads them, configured for a real PHP binary: the
    // verifier prunes code that the .rodata configuration turns off.
    std::vector<VerifierStats> stats;
    collect_verifier_stats(&stats);
    auto probes = MemtraceProbes::load(*php, ProbeOptions{});
    ASSERT_TRUE(probes) << probes.error().message;
    auto heap = HeapProbes::load(*php, (*probes)->config(), (*probes)->shared_maps(), kernel_has_uprobe_multi());
    ASSERT_TRUE(heap) << heap.error().message;
    FaultTracerOptions fault_options;
    fault_options.config = (*probes)->config();
    fault_options.shared = (*probes)->shared_maps();
    auto faults = FaultTracer::start(fault_options);
    collect_verifier_stats(nullptr);
    ASSERT_TRUE(faults) << faults.error().message;

    std::set<std::string> seen;
    for (const auto& s : stats) {
        seen.insert(s.program);
        std::printf("%-20s %-20s stack depths %-12s worst combined %u bytes\n", s.object.c_str(), s.program.c_str(),
                    ::testing::PrintToString(s.stack_depths).c_str(), worst_combined_stack(s));
        ASSERT_FALSE(s.stack_depths.empty()) << s.object << " " << s.program << ": no stack depth in the verifier log";
        EXPECT_LE(worst_combined_stack(s), kMaxCombinedStack)
            << s.object << " program " << s.program << ": stack depths " << ::testing::PrintToString(s.stack_depths);
        EXPECT_GT(s.processed_insns, 0u) << s.program;
    }
    for (const char* program : {"allocator_entry", "allocator_return", "on_fork", "on_exit", "on_exec", "heap_entry",
                                "heap_return", "on_fault_user", "on_fault_kernel", "on_fault_end_minor",
                                "on_fault_end_major"})
        EXPECT_TRUE(seen.count(program)) << program << " was not loaded";
}

}  // namespace
}  // namespace pmt
