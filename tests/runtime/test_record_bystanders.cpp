// A tracer must not slow a process it was not asked to trace. A uprobe is a
// breakpoint (int3, 0xCC) written into the probed function's code page of each
// process it applies to: reading the byte at every probe (a function's first, or
// the branch attach/probe_placement.h moves it to) through /proc/PID/mem tells,
// independently of the tracer, which processes take traps.
#include <signal.h>

#include "attach/probe_table.h"
#include "background_process.h"
#include "runtime_helpers.h"
#include "target/php_binary.h"
#include "target/process.h"

namespace pmt::testing {
namespace {

constexpr uint8_t kInt3 = 0xCC;

// How many of the probes (every row of the probe table) have their breakpoint
// in process `pid`.
int breakpoints_in(pid_t pid, const PhpBinary& php) {
    auto bias = load_bias_in_process(pid, php.path());
    EXPECT_TRUE(bias) << "php8.2 not mapped in " << pid;
    if (!bias) return -1;
    int found = 0;
    for (const auto& probe : probe_table()) {
        const uint64_t vaddr = probe_address(php, probe);
        if (!vaddr) continue;
        uint8_t first = 0;
        EXPECT_TRUE(read_process_memory(pid, *bias + vaddr, &first, 1)) << probe.function;
        if (first == kInt3) ++found;
    }
    return found;
}

// `record -p PID -o DIR/r.json --ready-file DIR/ready`.
std::vector<std::string> record_pid_argv(pid_t pid, const TempDir& dir) {
    return {phpmemtrace_binary(), "record", "-q", "-p", std::to_string(pid), "-o", dir.file("r.json"),
            "--ready-file", dir.file("ready")};
}

// Waits (up to 15 s) for the tracer started with record_pid_argv() to say its probes are attached.
bool probes_attached(const TempDir& dir) {
    for (int i = 0; i < 300 && read_file(dir.file("ready")).empty(); ++i) usleep(50000);
    return read_file(dir.file("ready")).substr(0, 5) == "ready";
}

TEST(RecordBystanders, OnlyTracedProcessesTakeTraps) {
    PMT_REQUIRE_ROOT();
    auto php = PhpBinary::open("/usr/bin/php8.2");
    ASSERT_TRUE(php) << php.error().message;
    BackgroundProcess bystander({"php8.2", "-n", php_script("long_running.php"), "20"});
    BackgroundProcess target({"php8.2", "-n", php_script("long_running.php"), "20"});
    ASSERT_FALSE(bystander.wait_for_line("READY", 15000).empty());
    ASSERT_FALSE(target.wait_for_line("READY", 15000).empty());
    ASSERT_EQ(breakpoints_in(target.pid(), *php), 0) << "breakpoints left by an earlier test";

    TempDir dir;
    BackgroundProcess tracer(record_pid_argv(target.pid(), dir));
    ASSERT_TRUE(probes_attached(dir));

    EXPECT_GT(breakpoints_in(target.pid(), *php), 30) << "the traced process has no probes";
    EXPECT_EQ(breakpoints_in(bystander.pid(), *php), 0) << "a process nobody traces takes traps";
    // A php8.2 started while the tracer runs is a bystander too.
    BackgroundProcess late({"php8.2", "-n", php_script("long_running.php"), "5"});
    ASSERT_FALSE(late.wait_for_line("READY", 15000).empty());
    EXPECT_EQ(breakpoints_in(late.pid(), *php), 0) << "a php8.2 started during the session takes traps";

    ASSERT_EQ(kill(tracer.pid(), SIGINT), 0);
    EXPECT_EQ(tracer.wait_exit(30000), 0);
    // The links are closed by a closer process after record has exited (the
    // grace periods are off the command's path): they go soon after, not at once.
    int left = -1;
    for (int i = 0; i < 200 && left != 0; ++i, usleep(50000)) left = breakpoints_in(target.pid(), *php);
    EXPECT_EQ(left, 0) << "probes left behind after the session";
    auto report = read_json(dir.file("r.json"));
    EXPECT_EQ(report["target"]["pids"].size(), 1u);
    EXPECT_EQ(report["counters"]["unpaired_returns"], 0);
    for (const auto& c : report["checkpoints"]) EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;
}

// Killed with SIGKILL, the tracer runs no clean-up: the kernel closes its link
// fds, and with them every probe goes.
TEST(RecordBystanders, ASigkilledTracerLeavesNoProbeBehind) {
    PMT_REQUIRE_ROOT();
    auto php = PhpBinary::open("/usr/bin/php8.2");
    ASSERT_TRUE(php) << php.error().message;
    BackgroundProcess target({"php8.2", "-n", php_script("long_running.php"), "20"});
    ASSERT_FALSE(target.wait_for_line("READY", 15000).empty());
    TempDir dir;
    BackgroundProcess tracer(record_pid_argv(target.pid(), dir));
    ASSERT_TRUE(probes_attached(dir));
    ASSERT_GT(breakpoints_in(target.pid(), *php), 30);
    ASSERT_EQ(kill(tracer.pid(), SIGKILL), 0);
    tracer.wait_exit(30000);
    int left = -1;
    for (int i = 0; i < 100 && left != 0; ++i, usleep(50000)) left = breakpoints_in(target.pid(), *php);
    EXPECT_EQ(left, 0) << "breakpoints left in the target after the tracer died";
    EXPECT_EQ(kill(target.pid(), 0), 0) << "the target did not survive";
}

}  // namespace
}  // namespace pmt::testing
