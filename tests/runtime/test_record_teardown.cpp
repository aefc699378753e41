// The fixed cost of a session (issue 17): record reports when each phase ended,
// and hands the detach's grace periods to a closer process, so that it exits as
// soon as its outputs are written. Nothing is lost on the way: the outputs are
// complete, the exit status is the command's, and no probe outlives the teardown.
#include <bpf/bpf.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

// struct bpf_link_info of the running kernel (6.8+), as far as a multi-uprobe
// link's fields: Debian's uapi headers predate them.
struct LinkInfo {
    uint32_t type;
    uint32_t id;
    uint32_t prog_id;
    uint32_t pad;
    struct {
        uint64_t path, offsets, ref_ctr_offsets, cookies;
        uint32_t path_size, count, flags, pid;
    } uprobe_multi;
    char rest[256];  // zero: the kernel accepts a longer buffer whose tail is zero
};
constexpr uint32_t kLinkTypeUprobeMulti = 12;

// The ids of every multi-uprobe link the kernel reports for process `pid`.
std::set<uint32_t> uprobe_links_of(pid_t pid) {
    std::set<uint32_t> ids;
    for (uint32_t id = 0; bpf_link_get_next_id(id, &id) == 0;) {
        const int fd = bpf_link_get_fd_by_id(id);
        if (fd < 0) continue;  // closed meanwhile
        LinkInfo info{};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == kLinkTypeUprobeMulti &&
            info.uprobe_multi.pid == static_cast<uint32_t>(pid))
            ids.insert(id);
        close(fd);
    }
    return ids;
}

bool link_exists(uint32_t id) {
    const int fd = bpf_link_get_fd_by_id(id);
    if (fd < 0) return errno != ENOENT;
    close(fd);
    return true;
}

// The phase names of --timings, in the order printed, with their milliseconds
// since record started.
std::vector<std::pair<std::string, double>> timing_lines(const std::string& err) {
    std::vector<std::pair<std::string, double>> phases;
    std::istringstream in(err);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line.starts_with("phpmemtrace: timings")) {
            inside = true;
            continue;
        }
        if (!inside || !line.starts_with("  ")) continue;
        std::istringstream fields(line);
        std::string name;
        double ms = -1;
        fields >> name >> ms;
        if (name != "verifier:") phases.emplace_back(name, ms);
    }
    return phases;
}

TEST(RecordTeardown, TimingsCoverEveryPhaseInOrder) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    auto r = run_command({phpmemtrace_binary(), "record", "-q", "--timings", "-o", dir.file("s.json"), "--",
                          "php8.2", "-n", "-r", "$a = str_repeat('x', 100000); exit(7);"});
    EXPECT_EQ(r.exit_code, 7) << r.err;  // the command's status, with --timings too
    const auto phases = timing_lines(r.err);
    const std::vector<std::string> expected = {"binary",  "loaded",   "attached", "released", "ended",
                                               "drained", "finished", "outputs",  "detached"};
    ASSERT_EQ(phases.size(), expected.size()) << r.err;
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(phases[i].first, expected[i]) << r.err;
        EXPECT_GE(phases[i].second, 0.0) << r.err;
        if (i > 0) {
            EXPECT_GE(phases[i].second, phases[i - 1].second) << phases[i].first << "\n" << r.err;
        }
    }
    EXPECT_NE(r.err.find("closer process"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("verifier: memtrace.bpf.o allocator_entry "), std::string::npos) << r.err;
    // The outputs were complete before the teardown started.
    auto report = read_json(dir.file("s.json"));
    EXPECT_EQ(report["target"]["exit_code"].get<int>(), 7);
    uint64_t allocated = 0;
    for (const auto& stack : report["stacks"]) allocated += stack["alloc_bytes"].get<uint64_t>();
    EXPECT_GE(allocated, 100000u);  // the str_repeat()
    EXPECT_EQ(report["counters"]["lost_events"].get<uint64_t>(), 0u);
}

// The probes are closed by the closer process after record exits: within a
// bounded wait, every link the session had on its target is gone.
TEST(RecordTeardown, NoUprobeOutlivesTheSession) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    const std::string ready = dir.file("ready");
    pid_t tracer = fork();
    ASSERT_GE(tracer, 0);
    if (tracer == 0) {
        execl(phpmemtrace_binary().c_str(), "phpmemtrace", "record", "-q", "-o", dir.file("s.json").c_str(),
              "--ready-file", ready.c_str(), "--", "php8.2", "-n", "-r", "sleep(2); exit(4);", (char*)nullptr);
        _exit(127);
    }
    bool is_ready = false;
    for (int i = 0; i < 300 && !is_ready; ++i, usleep(50000)) is_ready = read_file(ready).starts_with("ready");
    ASSERT_TRUE(is_ready);
    const pid_t php = child_of(tracer);
    ASSERT_GT(php, 0);
    const std::set<uint32_t> links = uprobe_links_of(php);
    EXPECT_FALSE(links.empty()) << "no multi-uprobe link reported for the target " << php;

    int status = 0;
    ASSERT_EQ(waitpid(tracer, &status, 0), tracer);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 4);
    EXPECT_EQ(read_json(dir.file("s.json"))["target"]["exit_code"].get<int>(), 4);

    std::set<uint32_t> left = links;
    for (int i = 0; i < 200 && !left.empty(); ++i, usleep(50000))
        std::erase_if(left, [](uint32_t id) { return !link_exists(id); });
    EXPECT_TRUE(left.empty()) << left.size() << " of the session's " << links.size()
                              << " uprobe links still attached 10 s after record exited";
}

}  // namespace
}  // namespace pmt::testing
