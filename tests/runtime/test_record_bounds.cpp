// The tracer's own memory is bounded: its tables grow with what the target does,
// never past their bounds, and a full table is counted and said, not hidden.
#include <set>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

using nlohmann::json;

std::set<std::string> eval_function_names(const json& report) {
    std::set<std::string> names;
    for (const auto& stack : report["stacks"])
        for (const auto& f : stack["frames"])
            if (f["function"].get<std::string>().rfind("evald_", 0) == 0) names.insert(f["function"].get<std::string>());
    return names;
}

// 10,000 eval'd functions drove the tracer to 24 GB: every stack collided in the
// stack table's hash, and the table kept doubling.
TEST(RecordBounds, ManyEvaldFunctionsKeepTheTracerSmall) {
    PMT_REQUIRE_ROOT();
    const int n = 20000;
    TempDir dir;
    CommandResult r = run_command({"python3", std::string(PMT_SOURCE_DIR) + "/tests/tools/max_rss.py",
                                   phpmemtrace_binary(), "record", "-q", "-o", dir.file("r.json"), "--", "php8.2", "-n",
                                   php_script("eval_functions.php"), std::to_string(n)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string rss = r.err.substr(r.err.rfind("MAX_RSS_KB=") + 11);
    EXPECT_LT(std::stoull(rss), 400u * 1024) << "tracer (or PHP) resident set in KiB";
    json report = read_json(dir.file("r.json"));
    EXPECT_EQ(eval_function_names(report).size(), static_cast<size_t>(n));
    EXPECT_EQ(report["counters"]["stack_table_full"], 0);
}

TEST(RecordBounds, AFullStackTableIsCountedAndTheTotalsStayRight) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    CommandResult r = run_command({phpmemtrace_binary(), "record", "--max-stacks", "100", "-o", dir.file("r.json"),
                                   "--", "php8.2", "-n", php_script("eval_functions.php"), "1000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("WARNING: the stack table was full"), std::string::npos) << r.out;
    json report = read_json(dir.file("r.json"));
    EXPECT_GT(report["counters"]["stack_table_full"].get<uint64_t>(), 0u);
    EXPECT_LE(report["stacks"].size(), 100u);
    uint64_t live = 0, overflow_live = 0;
    for (const auto& s : report["stacks"]) {
        live += s["live_bytes"].get<uint64_t>();
        if (s["frames"].size() == 1 && s["frames"][0]["function"] == "[stack table full]")
            overflow_live += s["live_bytes"].get<uint64_t>();
    }
    EXPECT_EQ(live, report["heap"]["live_bytes"].get<uint64_t>()) << "bytes lost with the stacks";
    EXPECT_GT(overflow_live, 0u);
    for (const auto& c : report["checkpoints"]) EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;
}

}  // namespace
}  // namespace pmt::testing
