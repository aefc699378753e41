// Output paths are checked before anything is attached or launched: a path that
// cannot be written is refused with one line, and the target never runs (found
// at the end, it would cost the whole session).
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

// `record -o <path> -- php` whose script would leave a marker file if it ran.
void expect_refused_before_the_target_runs(const std::vector<std::string>& options, const std::string& why) {
    TempDir dir;
    const std::string marker = dir.file("the-target-ran");
    std::vector<std::string> argv = {phpmemtrace_binary(), "record", "-q"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"--", "php8.2", "-n", "-r", "touch('" + marker + "');"});
    auto r = run_command(argv);
    expect_one_line_error(r, why);
    EXPECT_FALSE(std::filesystem::exists(marker)) << "the target ran before the path was refused";
}

TEST(OutputPaths, RefusedBeforeTheTargetRuns) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    std::filesystem::create_directory(dir.file("folder.json"));
    { std::ofstream(dir.file("plain-file")) << "x"; }
    expect_refused_before_the_target_runs({"-o", dir.file("missing/x.json")}, "No such file or directory");
    expect_refused_before_the_target_runs({"-o", "/proc/x.json"}, "kernel interface");
    expect_refused_before_the_target_runs({"-o", "/sys/kernel/x.json"}, "kernel interface");
    expect_refused_before_the_target_runs({"-o", "/proc/self/x.db"}, "kernel interface");
    expect_refused_before_the_target_runs({"-o", dir.file("folder.json")}, "is a folder");
    expect_refused_before_the_target_runs({"-o", dir.file("plain-file/x.json")}, "is not a folder");
    expect_refused_before_the_target_runs({"-o", dir.file("x.docx")}, "unknown output format");
    expect_refused_before_the_target_runs({"--ready-file", dir.file("missing/ready")}, "No such file or directory");
    // A good path beside a bad one: nothing is written either.
    expect_refused_before_the_target_runs({"-o", dir.file("good.json"), "-o", "/proc/x.svg"}, "/proc/x.svg");
    EXPECT_FALSE(std::filesystem::exists(dir.file("good.json")));
}

// An unprivileged user's folder rights are checked too (report and diff run without root).
TEST(OutputPaths, ReportAndDiffCheckTheirOutputsBeforeReading) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    auto r = run_command({phpmemtrace_binary(), "record", "-q", "-o", dir.file("s.db"), "--", "php8.2", "-n", "-r",
                          "str_repeat('x', 100000);"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_one_line_error(run_command({phpmemtrace_binary(), "report", dir.file("s.db"), "-o", "/proc/x.json"}),
                          "kernel interface");
    expect_one_line_error(run_command({phpmemtrace_binary(), "report", dir.file("s.db"), "-o", dir.file("no/x.svg")}),
                          "No such file or directory");
    expect_one_line_error(run_command({phpmemtrace_binary(), "diff", dir.file("s.db"), dir.file("s.db"), "-o",
                                       dir.file("no/d.svg")}),
                          "No such file or directory");
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    expect_one_line_error(run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                       phpmemtrace_binary(), "report", dir.file("s.db"), "-o", dir.file("x.json")}),
                          "Permission denied");
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.json")));
}

}  // namespace
}  // namespace pmt::testing
