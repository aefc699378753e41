// A bad option value is refused with one line and a non-zero exit while the
// command line is parsed: before anything is loaded or the target runs, and
// without libbpf's messages.
#include <filesystem>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

void expect_value_refused(const std::string& option, const std::string& value) {
    TempDir dir;
    const std::string marker = dir.file("the-target-ran");
    auto r = run_command({phpmemtrace_binary(), "record", "-q", option, value, "--", "php8.2", "-n", "-r",
                          "touch('" + marker + "');"});
    SCOPED_TRACE(option + " " + value);
    expect_one_line_error(r, option);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.find("libbpf"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(OptionValues, RecordRefusesBadValues) {
    PMT_REQUIRE_ROOT();
    for (const std::string v : {"-1", "0", "nan", "inf", "-inf", "1e300", "ten"}) expect_value_refused("--duration", v);
    for (const std::string v : {"-1M", "-1", "1X", "1.5M", "99999999999999999999", "17179869184G", " 1M"})
        expect_value_refused("--limit-margin", v);
    for (const std::string v : {"4096", "2048", "3", "0", "-1", "1.0"}) expect_value_refused("--ringbuf-mb", v);
    for (const std::string v : {"0", "513", "-1"}) {
        expect_value_refused("--max-frames", v);
        expect_value_refused("--fault-frames", v);
    }
    for (const std::string v : {"0", "1", "-2"}) expect_value_refused("--max-stacks", v);
    for (const std::string v : {"0", "-5", "x"}) expect_value_refused("--pid", v);
    expect_value_refused("--top", "-1");
    for (const std::string v : {"sideways", "", "Alloc"}) expect_value_refused("--view", v);
}

TEST(OptionValues, ReportAndDiffRefuseBadValues) {
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"report", "s.db", "--top", "-1"}, {"diff", "a.db", "b.db", "--top", "many"}}) {
        std::vector<std::string> full = {phpmemtrace_binary()};
        full.insert(full.end(), argv.begin(), argv.end());
        auto r = run_command(full);
        expect_one_line_error(r, "--top");
        EXPECT_EQ(r.exit_code, 2);
    }
}

TEST(OptionValues, TopRefusesABadBudget) {
    for (const std::string v : {"0", "-1", "101", "nan", "1%", ""}) {
        auto r = run_command({phpmemtrace_binary(), "top", "-p", "1", "--batch", "--max-overhead", v});
        SCOPED_TRACE("--max-overhead " + v);
        expect_one_line_error(r, "--max-overhead");
        EXPECT_EQ(r.exit_code, 2);
    }
}

// The edges of each range are accepted and the session runs.
TEST(OptionValues, RecordAcceptsTheEdgesOfEachRange) {
    PMT_REQUIRE_ROOT();
    for (const std::string rb : {"1", "1024"}) {
        auto r = run_command({phpmemtrace_binary(), "record", "-q", "--ringbuf-mb", rb, "--duration", "30",
                              "--limit-margin", "512K", "--max-frames", "512", "--", "php8.2", "-n", "-r",
                              "str_repeat('x', 100000);"});
        EXPECT_EQ(r.exit_code, 0) << "--ringbuf-mb " << rb << ": " << r.err;
    }
}

}  // namespace
}  // namespace pmt::testing
