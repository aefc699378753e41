// Ending a session with Ctrl-C, and the folded output.
#include <signal.h>

#include <fstream>
#include <map>
#include <sstream>

#include "background_process.h"
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

TEST(RecordOutputs, CtrlCEndsTheSessionAndStillWritesEverything) {
    PMT_REQUIRE_ROOT();
    BackgroundProcess php({"php8.2", "-n", php_script("long_running.php"), "10"});
    ASSERT_FALSE(php.wait_for_line("READY", 15000).empty());
    TempDir dir;
    const std::string ready = dir.file("ready");
    BackgroundProcess tracer({phpmemtrace_binary(), "record", "-q", "-p", std::to_string(php.pid()), "-o",
                              dir.file("s.json"), "-o", dir.file("s.folded"), "--ready-file", ready});
    for (int i = 0; i < 300 && read_file(ready).empty(); ++i) usleep(50000);
    ASSERT_EQ(read_file(ready).substr(0, 5), "ready");
    usleep(500000);
    ASSERT_EQ(kill(tracer.pid(), SIGINT), 0);
    EXPECT_EQ(tracer.wait_exit(30000), 0);
    auto report = read_json(dir.file("s.json"));
    EXPECT_GT(report["counters"]["allocs"].get<uint64_t>(), 0u);
    EXPECT_FALSE(read_file(dir.file("s.folded")).empty());
    // The traced process is left running, unharmed, and finishes by itself.
    EXPECT_EQ(kill(php.pid(), 0), 0);
    EXPECT_EQ(php.wait_exit(20000), 0);
}

// Folded lines "a;b;c VALUE" sum to the JSON's totals for each view.
TEST(RecordOutputs, FoldedStacksSumToTheReportTotals) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    for (const std::string view : {"alloc", "live", "count"}) {
        const std::string folded = dir.file(view + ".folded"), json = dir.file(view + ".json");
        auto r = run_command({phpmemtrace_binary(), "record", "-q", "--view", view, "-o", folded, "-o", json, "--",
                              "php8.2", "-n", php_script("keep_and_free.php"), "200", "100"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        auto report = read_json(json);
        const std::string field = view == "alloc" ? "alloc_bytes" : view == "live" ? "live_bytes" : "alloc_count";
        uint64_t expected = 0;
        for (const auto& s : report["stacks"]) expected += s[field].get<uint64_t>();
        std::istringstream lines(read_file(folded));
        std::string line;
        uint64_t total = 0;
        size_t keep_lines = 0;
        while (std::getline(lines, line)) {
            auto space = line.rfind(' ');
            ASSERT_NE(space, std::string::npos) << line;
            total += std::stoull(line.substr(space + 1));
            if (line.find("{main};keep_strings;str_repeat ") == 0) ++keep_lines;
        }
        EXPECT_EQ(total, expected) << view;
        EXPECT_EQ(keep_lines, 1u) << view;  // root first, ';'-separated
    }
}

}  // namespace
}  // namespace pmt::testing
