// Outputs are written as root, often in folders other users can write to: they
// never follow a link planted at their name, appear whole or not at all (a full
// disk keeps the previous file), and under sudo belong to the invoking user.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <filesystem>
#include <set>
#include <thread>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

// Every format record writes, and whether it carries request URIs or the command line.
const std::vector<std::pair<std::string, bool>> kFormats = {
    {"json", true},    {"db", true},   {"heap.svg", true}, {"svg", false},
    {"folded", false}, {"txt", false}, {"pb.gz", false}};

std::vector<std::string> record_every_format(const TempDir& dir, const std::string& stem) {
    std::vector<std::string> argv = {phpmemtrace_binary(), "record", "-q"};
    for (const auto& [ext, _] : kFormats) argv.insert(argv.end(), {"-o", dir.file(stem + "." + ext)});
    argv.insert(argv.end(), {"--", "php8.2", "-n", php_script("keep_and_free.php"), "200", "100"});
    return argv;
}

struct stat stat_of(const std::string& path, bool follow = true) {
    struct stat st {};
    EXPECT_EQ(follow ? stat(path.c_str(), &st) : lstat(path.c_str(), &st), 0) << path;
    return st;
}

std::set<std::string> names_in(const std::string& folder) {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) names.insert(entry.path().filename());
    return names;
}

// Restores the test's umask, whatever the test set.
struct ScopedUmask {
    explicit ScopedUmask(mode_t mask) : saved(umask(mask)) {}
    ~ScopedUmask() { umask(saved); }
    mode_t saved;
};

TEST(OutputFiles, ALinkPlantedAtAnOutputIsReplacedNotFollowed) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    ASSERT_EQ(chmod(dir.path().c_str(), 0777), 0);  // any user could have planted the links
    const std::string secret = "root's secret\n";
    for (const auto& [ext, _] : kFormats) {
        const std::string victim = dir.file("victim-" + ext);
        {
            std::ofstream(victim) << secret;
        }
        ASSERT_EQ(chmod(victim.c_str(), 0600), 0);
        ASSERT_EQ(symlink(victim.c_str(), dir.file("x." + ext).c_str()), 0);
    }
    ScopedUmask mask(022);
    auto r = run_command(record_every_format(dir, "x"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& [ext, is_private] : kFormats) {
        EXPECT_EQ(read_file(dir.file("victim-" + ext)), secret) << ext;
        EXPECT_EQ(stat_of(dir.file("victim-" + ext)).st_mode & 07777, 0600u) << ext;
        const struct stat out = stat_of(dir.file("x." + ext), /*follow=*/false);
        EXPECT_TRUE(S_ISREG(out.st_mode)) << ext << " is still a link";
        EXPECT_GT(out.st_size, 0) << ext;
        EXPECT_EQ(out.st_mode & 07777, is_private ? 0600u : 0644u) << ext;
        EXPECT_EQ(out.st_uid, 0u) << ext;
    }
    EXPECT_GT(read_json(dir.file("x.json"))["counters"]["allocs"].get<uint64_t>(), 0u);
    // Nothing but the victims and the outputs: no temp file left behind.
    EXPECT_EQ(names_in(dir.path()).size(), 2 * kFormats.size());
}

TEST(OutputFiles, UnderSudoTheFilesBelongToTheInvokingUser) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    ScopedUmask mask(027);  // shared formats follow the umask: 0640 here
    auto r = run_command(record_every_format(dir, "s"), {"SUDO_UID=65534", "SUDO_GID=65533"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& [ext, is_private] : kFormats) {
        const struct stat st = stat_of(dir.file("s." + ext));
        EXPECT_EQ(st.st_uid, 65534u) << ext;
        EXPECT_EQ(st.st_gid, 65533u) << ext;
        EXPECT_EQ(st.st_mode & 07777, is_private ? 0600u : 0640u) << ext;
    }
}

TEST(OutputFiles, AReaderSeesTheOldFileOrTheNewOneNeverHalf) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    auto r = run_command({phpmemtrace_binary(), "record", "-q", "-o", dir.file("big.db"), "-o", dir.file("big.json"),
                          "--", "php8.2", "-n", php_script("many_functions.php")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string old_json = "{\"previous\": true}\n", new_json = read_file(dir.file("big.json"));
    ASSERT_GT(new_json.size(), 1u << 20);  // big enough to take many writes
    const std::string target = dir.file("x.json");
    {
        std::ofstream(target) << old_json;
    }
    std::atomic<bool> done{false};
    std::atomic<int> reads{0}, half{0};
    std::thread reader([&] {
        while (!done) {
            const std::string seen = read_file(target);
            if (seen != old_json && seen != new_json) ++half;
            ++reads;
        }
    });
    for (int i = 0; i < 5; ++i) {
        auto rewrite = run_command({phpmemtrace_binary(), "report", dir.file("big.db"), "-o", target});
        EXPECT_EQ(rewrite.exit_code, 0) << rewrite.err;
    }
    done = true;
    reader.join();
    EXPECT_EQ(half, 0) << "of " << reads << " reads";
    EXPECT_GT(reads, 10);
    EXPECT_EQ(read_file(target), new_json);
}

// A 64 KiB tmpfs in a private mount namespace: the host's mounts are untouched.
TEST(OutputFiles, AFullDiskKeepsThePreviousFileAndSaysWhy) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    const std::string small = dir.file("small"), copy = dir.file("copy");
    std::filesystem::create_directory(small);
    std::filesystem::create_directory(copy);
    const std::string previous = "{\"previous\": \"good\"}\n";
    const char* script = R"(small=$1; copy=$2; previous=$3; shift 3
mount -t tmpfs -o size=64k tmpfs "$small" || exit 99
printf '%s' "$previous" > "$small/x.json"
"$@"; rc=$?
cp -a "$small"/. "$copy"/
exit $rc)";
    // The JSON (1.4 MiB) and the session (0.5 MiB) cannot fit; the flame graph (8 KiB) can.
    auto r = run_command({"unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", small, copy, previous,
                          phpmemtrace_binary(), "record", "-q", "-o", small + "/x.json", "-o", small + "/x.svg", "-o",
                          small + "/x.db", "--", "php8.2", "-n", php_script("many_functions.php")});
    ASSERT_NE(r.exit_code, 99) << "could not mount a tmpfs: " << r.err;
    EXPECT_EQ(r.exit_code, 1);  // the tracer's own failure, though the script exited 0
    EXPECT_EQ(read_file(copy + "/x.json"), previous);
    // One line per output that did not fit, each with the system's reason.
    for (const std::string name : {"x.json", "x.db"})
        EXPECT_NE(r.err.find("cannot write " + small + "/" + name), std::string::npos) << r.err;
    size_t lines = 0, with_reason = 0;
    for (size_t at = 0; (at = r.err.find('\n', at)) != std::string::npos; ++at) ++lines;
    for (size_t at = 0; (at = r.err.find("No space left on device", at)) != std::string::npos; ++at) ++with_reason;
    EXPECT_EQ(lines, 2u) << r.err;
    EXPECT_EQ(with_reason, 2u) << r.err;
    // The output that fitted is written whole; nothing else is left, no temp file.
    EXPECT_EQ(names_in(copy), (std::set<std::string>{"x.json", "x.svg"}));
    EXPECT_NE(read_file(copy + "/x.svg").find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace pmt::testing
