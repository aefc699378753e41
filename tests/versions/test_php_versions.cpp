// The PHP version matrix (`make test-versions`, tools/test-php-versions.sh): the same
// attribution checks on each PHP version, every one but the host's own run in a
// Debian root made by debootstrap, traced from the host by PID. The roots come in
// PMT_PHP_ROOTS: "VERSION=ROOT=BINARY" entries separated by ';'.
#include <filesystem>
#include <sstream>

#include "../runtime/background_process.h"
#include "../runtime/runtime_helpers.h"

namespace pmt::testing {
namespace {

using nlohmann::json;

struct PhpRoot {
    std::string version;  // "7.4"
    std::string root;     // "/" for the host's own PHP
    std::string binary;   // as run inside the root: "php7.4"
};

std::vector<PhpRoot> roots_from_env() {
    std::vector<PhpRoot> roots;
    const char* env = std::getenv("PMT_PHP_ROOTS");
    std::stringstream entries(env ? env : "");
    for (std::string entry; std::getline(entries, entry, ';');) {
        std::stringstream fields(entry);
        PhpRoot r;
        std::getline(fields, r.version, '=');
        std::getline(fields, r.root, '=');
        std::getline(fields, r.binary, '=');
        if (!r.version.empty() && !r.root.empty() && !r.binary.empty()) roots.push_back(r);
    }
    return roots;
}

// The one stack whose frames, root first, end with `tail`.
const json* stack_ending_with(const json& report, const std::vector<std::string>& tail) {
    const json* found = nullptr;
    for (const auto& stack : report["stacks"]) {
        const auto& frames = stack["frames"];
        if (frames.size() < tail.size()) continue;
        bool match = true;
        for (size_t i = 0; i < tail.size() && match; ++i)
            match = frame_name(frames[frames.size() - tail.size() + i]) == tail[i];
        if (!match) continue;
        if (found) return nullptr;  // two stacks: the test wants one
        found = &stack;
    }
    return found;
}

class PhpVersions : public ::testing::TestWithParam<PhpRoot> {};

TEST_P(PhpVersions, KnownBlocksInKnownFramesAndExactCheckpoints) {
    PMT_REQUIRE_ROOT();
    const PhpRoot& php = GetParam();
    // The workload and the ready file live where the PHP in the root can see them.
    const std::string inside = "/tmp/phpmemtrace-versions-" + std::to_string(getpid());
    const std::string outside = (php.root == "/" ? "" : php.root) + inside;
    std::filesystem::create_directories(outside);
    std::filesystem::copy_file(php_script("versions_workload.php"), outside + "/workload.php",
                               std::filesystem::copy_options::overwrite_existing);
    struct Cleanup {
        std::string dir;
        ~Cleanup() { std::filesystem::remove_all(dir); }
    } cleanup{outside};

    std::vector<std::string> argv = {php.binary, "-n", inside + "/workload.php", inside + "/ready"};
    if (php.root != "/") argv.insert(argv.begin(), {"chroot", php.root});
    BackgroundProcess target(argv);
    ASSERT_FALSE(target.wait_for_line("STARTED", 30000).empty()) << php.version << " did not start";

    TempDir out;
    CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "-p", std::to_string(target.pid()),
                                   "--ready-file", outside + "/ready", "-o", out.file("r.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_FALSE(target.wait_for_line("CHECKPOINTS", 30000).empty()) << target.output();  // its last line
    ASSERT_EQ(target.wait_exit(30000), 0);
    const std::string output = target.output();
    const json report = read_json(out.file("r.json"));

    EXPECT_EQ(report["target"]["php_version"], script_value(output, "PHP_VERSION"));
    EXPECT_EQ(script_value(output, "PHP_VERSION").rfind(php.version + ".", 0), 0u) << output;

    // 40 strings of 5000 characters: large blocks of two pages, from the method.
    const json* keep = stack_ending_with(report, {"Keeper::keep", "str_repeat"});
    ASSERT_NE(keep, nullptr) << "no single stack ends in Keeper::keep -> str_repeat";
    EXPECT_EQ((*keep)["alloc_count"], 40);
    EXPECT_EQ((*keep)["alloc_bytes"], 40 * 8192);
    const auto& keep_frames = (*keep)["frames"];
    EXPECT_EQ(keep_frames[keep_frames.size() - 2]["line"], std::stoi(script_value(output, "LINE_keep")));

    // 30 strings of 1000 characters (the 1280-byte bin), from a generator that
    // another one delegates to with `yield from`: both generators are on the stack.
    const json* gen = stack_ending_with(report, {"{main}", "delegate", "strings_from_generator", "str_repeat"});
    ASSERT_NE(gen, nullptr) << "no single stack {main} -> delegate -> strings_from_generator -> str_repeat";
    EXPECT_EQ((*gen)["alloc_count"], 30);
    EXPECT_EQ((*gen)["alloc_bytes"], 30 * 1280);
    const auto& gen_frames = (*gen)["frames"];
    EXPECT_EQ(gen_frames[gen_frames.size() - 2]["line"], std::stoi(script_value(output, "LINE_generator")));
    EXPECT_EQ(gen_frames[gen_frames.size() - 3]["line"], std::stoi(script_value(output, "LINE_delegate")));

    // What was live before the attach is the baseline; with it, PHP's own figure
    // at every memory_get_usage() call.
    const auto& checkpoints = report["checkpoints"];
    EXPECT_EQ(checkpoints.size(), std::stoul(script_value(output, "CHECKPOINTS")));
    for (const auto& c : checkpoints) EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;
    for (const char* counter : {"lost_events", "unreadable_frames", "truncated_stacks", "bad_symbol_frames"})
        EXPECT_EQ(report["counters"][counter], 0) << counter;
}

std::string version_name(const ::testing::TestParamInfo<PhpRoot>& info) {
    std::string name = "php" + info.param.version;
    for (char& c : name)
        if (c == '.') c = '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(Matrix, PhpVersions, ::testing::ValuesIn(roots_from_env()), version_name);
// Without PMT_PHP_ROOTS there is nothing to run; tools/test-php-versions.sh always sets it.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PhpVersions);

TEST(PhpVersionsMatrix, HasRoots) {
    EXPECT_FALSE(roots_from_env().empty()) << "PMT_PHP_ROOTS is empty: run tools/test-php-versions.sh";
}

}  // namespace
}  // namespace pmt::testing
