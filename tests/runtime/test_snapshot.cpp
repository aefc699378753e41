// `phpmemtrace snapshot` on real php8.2 scripts that stop at a known point
// (blocked reading STDIN) and print their own figures: the blocks found add up
// to the script's memory_get_usage() to the byte, the script runs on unharmed
// afterwards, and its parent (this test) never sees it stop.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "collect/zend_sizes.h"
#include "piped_script.h"
#include "runtime_helpers.h"
#include "spawn.h"
#include "store/sqlite_db.h"

namespace pmt::testing {
namespace {

uint64_t as_u64(const std::string& text) { return text.empty() ? 0 : std::stoull(text); }

class Snapshot : public ::testing::Test {
protected:
    void SetUp() override { PMT_REQUIRE_ROOT(); }
    TempDir dir;
};

TEST_F(Snapshot, BlocksAddUpToMemoryGetUsageAndTheScriptRunsOn) {
    constexpr uint64_t kStrings = 3000;
    PipedScript php({"php8.2", "-n", php_script("snapshot_heap.php"), std::to_string(kStrings)});
    ASSERT_GT(php.pid(), 0);
    ASSERT_TRUE(php.send("warm\n"));
    const uint64_t usage = as_u64(php.value("usage"));
    const uint64_t real = as_u64(php.value("real"));
    const uint64_t cache_strlen = as_u64(php.value("cache_strlen"));
    const uint64_t huge_strlen = as_u64(php.value("huge_strlen"));
    const std::string version = php.value("version");
    ASSERT_GT(usage, 0u);

    const std::string json_path = dir.file("snap.json"), db_path = dir.file("snap.db");
    auto r = run_command({phpmemtrace_binary(), "snapshot", "-p", std::to_string(php.pid()), "-o", json_path, "-o",
                          db_path});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const auto j = read_json(json_path);
    EXPECT_EQ(j["schema"], "phpmemtrace-snapshot/1");
    EXPECT_EQ(j["target"]["pid"], php.pid());
    EXPECT_EQ(j["target"]["php_version"], version);
    EXPECT_GT(j["pause_ms"].get<double>(), 0.0);
    const auto& heap = j["heap"];
    // The proof: the heap's own counter, what the script saw, and the sum of
    // every block found, all the same to the byte.
    EXPECT_EQ(heap["size"].get<uint64_t>(), usage);
    EXPECT_EQ(heap["blocks_bytes"].get<uint64_t>(), usage);
    EXPECT_EQ(heap["real_size"].get<uint64_t>(), real);
    EXPECT_EQ(heap["copied_bytes"].get<uint64_t>(), real);  // every chunk and huge block copied
    EXPECT_TRUE(heap["exact"].get<bool>());
    EXPECT_EQ(j["counters"]["bad_page_entries"], 0);
    EXPECT_EQ(j["counters"]["bad_free_slots"], 0);
    EXPECT_TRUE(j["counters"]["list_problems"].empty());

    // The huge string, at its page-rounded size (zend_string: 24-byte header + NUL).
    const uint64_t huge_size = zend::round_to_pages(24 + huge_strlen + 1);
    bool huge_found = false;
    for (const auto& h : heap["by_kind"]["huge"]["list"]) huge_found |= h["size"].get<uint64_t>() == huge_size;
    EXPECT_TRUE(huge_found) << heap["by_kind"]["huge"].dump();
    // The cached strings, all in one bin; the freed ones left free slots.
    const uint32_t string_bin = zend::small_bin_size(24 + cache_strlen + 1);
    uint64_t in_bin = 0, free_slots = 0, small_bytes = 0;
    for (const auto& b : heap["by_kind"]["small"]) {
        if (b["size"] == string_bin) in_bin = b["blocks"];
        free_slots += b["free_blocks"].get<uint64_t>();
        small_bytes += b["bytes"].get<uint64_t>();
    }
    EXPECT_GE(in_bin, kStrings);
    EXPECT_GT(free_slots, 0u);
    EXPECT_EQ(small_bytes + heap["by_kind"]["large"]["bytes"].get<uint64_t>() +
                  heap["by_kind"]["huge"]["bytes"].get<uint64_t>(),
              usage);
    EXPECT_GT(heap["by_kind"]["large"]["blocks"].get<uint64_t>(), 0u);  // the range() arrays

    // The SQLite file lists the same blocks, one row each.
    auto db = sqlite::Database::open(db_path, /*read_only=*/true);
    ASSERT_TRUE(db) << db.error().message;
    auto sum = db->prepare("SELECT sum(size), count(*), sum(kind = 'huge' AND size = ?) FROM blocks");
    ASSERT_TRUE(sum);
    sum->bind(1, huge_size);
    ASSERT_TRUE(sum->next());
    EXPECT_EQ(sum->u64(0), usage);
    EXPECT_EQ(sum->u64(1), heap["blocks"].get<uint64_t>());
    EXPECT_EQ(sum->u64(2), 1u);

    // The parent saw no stop and no continue: the pause was ptrace's, not SIGSTOP.
    EXPECT_EQ(php.wait_status(/*block=*/false), -1);
    // Let it go: it finishes its work and exits normally.
    ASSERT_TRUE(php.send("go\n"));
    EXPECT_EQ(as_u64(php.value("done")), cache_strlen + huge_strlen);
    const int status = php.wait_status(/*block=*/true);
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(Snapshot, MaxPauseGivesUpAndTheTargetRunsOn) {
    PipedScript php({"php8.2", "-n", php_script("snapshot_heap.php"), "100"});
    ASSERT_GT(php.pid(), 0);
    ASSERT_TRUE(php.send("warm\n"));
    ASSERT_NE(php.value("usage"), "");
    // 1 us: less than one 2 MiB chunk takes to copy on any machine.
    auto r = run_command({phpmemtrace_binary(), "snapshot", "-p", std::to_string(php.pid()), "--max-pause", "0.001",
                          "-o", dir.file("snap.json")});
    expect_one_line_error(r, "--max-pause");
    EXPECT_NE(access(dir.file("snap.json").c_str(), F_OK), 0);
    EXPECT_EQ(php.wait_status(/*block=*/false), -1);
    ASSERT_TRUE(php.send("go\n"));
    EXPECT_NE(php.value("done"), "");
    const int status = php.wait_status(/*block=*/true);
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(Snapshot, BadTargetsAreOneLineBeforeAnythingIsTouched) {
    // No such process (PIDs stay below PID_MAX_LIMIT).
    expect_one_line_error(run_command({phpmemtrace_binary(), "snapshot", "-p", "4194304"}), "no process with PID");
    // Not PHP: a sleep, which must then still be running, not stopped.
    pid_t sleeper = spawn_process({"sleep", "30"}, {}, nullptr);
    ASSERT_GT(sleeper, 0);
    expect_one_line_error(run_command({phpmemtrace_binary(), "snapshot", "-p", std::to_string(sleeper)}),
                          "is not a PHP process");
    int status = 0;
    EXPECT_EQ(waitpid(sleeper, &status, WNOHANG | WUNTRACED | WCONTINUED), 0);
    kill(sleeper, SIGKILL);
    waitpid(sleeper, &status, 0);
    // An output format it does not write: refused while parsing the options.
    auto r = run_command({phpmemtrace_binary(), "snapshot", "-p", std::to_string(getpid()), "-o", dir.file("x.html")});
    expect_one_line_error(r, "unknown snapshot output format");
    EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace pmt::testing
