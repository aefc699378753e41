// `phpmemtrace agent` refuses bad input with one line and a non-zero exit,
// before anything is attached (no libbpf message, no profile written).
#include <filesystem>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

CommandResult run_agent(const TempDir& dir, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {phpmemtrace_binary(), "agent", "--out", dir.path(), "-d", "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
}

TEST(AgentOptions, RefusesBadValuesBeforeAttaching) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--interval", "0"}, "--interval"},
        {{"--interval", "nan"}, "--interval"},
        {{"--metrics", "localhost"}, "--metrics"},
        {{"--metrics", "127.0.0.1:70000"}, "--metrics"},
        {{"--exclude", "(unclosed"}, "--exclude"},
        {{"--max-bytes", "1X"}, "--max-bytes"},
        {{"--push", "ftp://127.0.0.1:4040"}, "--push"},
        {{"--push", "http://127.0.0.1:70000"}, "--push"},
        {{"--push", "http://host name/"}, "--push"},
        {{"--push", "http://127.0.0.1:4040", "--push-queue", "1X"}, "--push-queue"},
        {{"--push", "http://127.0.0.1:4040", "--push-retry-max", "0"}, "--push-retry-max"},
        {{"--max-overhead", "0"}, "--max-overhead"},
        {{"--max-overhead", "101"}, "--max-overhead"},
        {{"--max-overhead", "nan"}, "--max-overhead"},
        {{"--pid", "0"}, "--pid"},
        {{"--binary", "/nonexistent/php"}, "--binary"},
    };
    for (const auto& [extra, fragment] : cases) {
        SCOPED_TRACE(fragment);
        CommandResult r = run_agent(dir, extra);
        expect_one_line_error(r, fragment);
        EXPECT_EQ(r.exit_code, 2);
        EXPECT_EQ(r.err.find("libbpf"), std::string::npos) << r.err;
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(AgentOptions, RefusesAnUnusableFolderOrPid) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    CommandResult r = run_command({phpmemtrace_binary(), "agent", "--out", dir.file("missing"), "-d", "1"});
    expect_one_line_error(r, "not a folder");
    EXPECT_EQ(r.exit_code, 1);
    // PID 1 (init) is not PHP: said in one line, nothing traced.
    r = run_agent(dir, {"--pid", "1"});
    expect_one_line_error(r, "--pid 1");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace pmt::testing
