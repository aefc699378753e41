// Real programs from Debian's packages start children (composer runs git through
// proc_open, phpunit and phpcs run stty and the like): the live total at script end
// must still be what PHP itself says, not inflated by the children's heap copies.
#include <fstream>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

using nlohmann::json;

constexpr uint64_t kSlack = 64 * 1024;

struct RealRun {
    json report;
    uint64_t shutdown_usage = 0;  // memory_get_usage() in a shutdown function
    uint64_t shutdown_peak = 0;   // memory_get_peak_usage() there
};

RealRun record_real(const std::vector<std::string>& program, const std::string& cwd,
                    const std::vector<std::string>& env = {}) {
    TempDir out;
    std::vector<std::string> argv = {"/usr/bin/env", "-C", cwd};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {phpmemtrace_binary(), "record", "-q", "-o", out.file("r.json"), "--", "php8.2", "-d",
                             "auto_prepend_file=" + php_script("real/shutdown_usage.php")});
    argv.insert(argv.end(), program.begin(), program.end());
    CommandResult r = run_command(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    RealRun run;
    if (r.exit_code != 0) return run;
    run.report = read_json(out.file("r.json"));
    const std::string v = script_value(r.err, "SHUTDOWN_USAGE");
    EXPECT_FALSE(v.empty()) << r.err;
    run.shutdown_usage = v.empty() ? 0 : std::stoull(v);
    const std::string peak = script_value(r.err, "SHUTDOWN_PEAK");
    EXPECT_FALSE(peak.empty()) << r.err;
    run.shutdown_peak = peak.empty() ? 0 : std::stoull(peak);
    return run;
}

void expect_live_is_phps(const RealRun& run, size_t min_processes) {
    ASSERT_FALSE(run.report.is_null());
    const uint64_t live = run.report["heap"]["live_bytes"];
    EXPECT_GE(live + kSlack, run.shutdown_usage);
    EXPECT_LE(live, run.shutdown_usage + kSlack) << "live bytes inflated (children's copies?)";
    EXPECT_GE(run.report["target"]["pids"].size(), min_processes) << "the program started no child";
    for (const auto& c : run.report["checkpoints"]) EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;
    // The heap's own peak, to the byte: the tracer counts a block moved by a
    // shrinking realloc the way zend_mm_realloc_heap does (Collector::on_realloc).
    EXPECT_EQ(run.report["heap"]["peak_live_bytes"], run.shutdown_peak);
}

TEST(RecordRealPrograms, ComposerDumpAutoloadRunningGit) {
    PMT_REQUIRE_ROOT();
    TempDir project;
    std::ofstream(project.file("composer.json")) << R"({"name": "t/p", "autoload": {"psr-4": {"T\\": "src/"}}})";
    ASSERT_EQ(run_command({"mkdir", project.file("src")}).exit_code, 0);
    for (int i = 0; i < 5; ++i)
        std::ofstream(project.file("src/C" + std::to_string(i) + ".php")) << "<?php namespace T; class C" << i << " {}\n";
    ASSERT_EQ(run_command({"git", "-C", project.path(), "init", "-q"}).exit_code, 0);  // composer asks git about it
    RealRun run = record_real({"/usr/bin/composer", "dump-autoload"}, project.path(),
                              {"COMPOSER_ALLOW_SUPERUSER=1", "COMPOSER_DISABLE_NETWORK=1", "COMPOSER_NO_INTERACTION=1",
                               "COMPOSER_HOME=" + project.file(".composer")});
    expect_live_is_phps(run, 2);
}

TEST(RecordRealPrograms, Phpunit) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    RealRun run = record_real({"/usr/bin/phpunit", php_script("real/SmallTest.php")}, dir.path());
    expect_live_is_phps(run, 1);
}

TEST(RecordRealPrograms, Phpcs) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    // A file without violations: phpcs exits 0.
    RealRun run = record_real({"/usr/bin/phpcs", "--standard=PSR12", php_script("real/psr12_clean.php")}, dir.path());
    expect_live_is_phps(run, 1);
}

}  // namespace
}  // namespace pmt::testing
