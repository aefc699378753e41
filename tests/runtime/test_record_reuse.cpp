// Function names stay right when PHP reuses a freed function's memory.
#include <fstream>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

TEST(RecordReuse, ClosuresReusingMemoryKeepTheirOwnNames) {
    PMT_REQUIRE_ROOT();
    auto report = record_script("closure_reuse.php");
    ASSERT_FALSE(report.is_null());
    // str_repeat(1000) -> 1032 bytes -> 1280 bin; str_repeat(2000) -> 2032 -> 2048 bin
    uint64_t alpha_1280 = 0, alpha_other = 0, beta_2048 = 0, beta_other = 0;
    for (const auto& stack : report["stacks"]) {
        const auto& frames = stack["frames"];
        if (frames.size() < 2 || frame_name(frames.back()) != "str_repeat") continue;
        const std::string caller = frame_name(frames[frames.size() - 2]);
        const uint64_t count = stack["alloc_count"], bytes = stack["alloc_bytes"];
        if (caller == "Alpha::{closure}") (bytes == count * 1280 ? alpha_1280 : alpha_other) += count;
        if (caller == "Beta::{closure}") (bytes == count * 2048 ? beta_2048 : beta_other) += count;
    }
    EXPECT_EQ(alpha_1280, 30u);
    EXPECT_EQ(beta_2048, 30u);
    EXPECT_EQ(alpha_other, 0u);
    EXPECT_EQ(beta_other, 0u);
    EXPECT_EQ(report["counters"]["lost_function_names"], 0);
}

}  // namespace
}  // namespace pmt::testing

namespace pmt::testing {
namespace {

// Bytes live in strings made by str_repeat under the top-level code of `file`
// (the array holding them grows in whichever file pushes past its capacity).
uint64_t live_under_main_of(const nlohmann::json& report, const std::string& file) {
    uint64_t total = 0;
    for (const auto& stack : report["stacks"]) {
        if (frame_name(stack["frames"].back()) != "str_repeat") continue;
        for (const auto& f : stack["frames"])
            if (f["function"] == "{main}" && f["file"].is_string() && f["file"].get<std::string>().ends_with("/" + file)) {
                total += stack["live_bytes"].get<uint64_t>();
                break;
            }
    }
    return total;
}

// An included file's op_array is freed after it runs, and the next include gets
// the same memory: each file's top-level code must keep its own file name.
TEST(RecordReuse, IncludedFilesReusingMemoryKeepTheirOwnNames) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    // str_repeat(1000): a 1032-byte string in the 1280 bin.
    const std::vector<std::pair<std::string, int>> files = {{"a.php", 100}, {"b.php", 150}, {"c.php", 50}};
    std::string main = "<?php\n$keep = [];\n";
    for (const auto& [name, strings] : files) {
        std::ofstream(dir.file(name)) << "<?php\nfor ($i = 0; $i < " << strings
                                      << "; $i++) $GLOBALS['keep'][] = str_repeat('x', 1000);\n";
        main += "include __DIR__ . '/" + name + "';\n";
    }
    std::ofstream(dir.file("main.php")) << main;
    TempDir out;
    CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "-o", out.file("r.json"), "--", "php8.2",
                                   "-n", dir.file("main.php")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto report = read_json(out.file("r.json"));
    for (const auto& [name, strings] : files)
        EXPECT_EQ(live_under_main_of(report, name), strings * 1280u) << name;
}

}  // namespace
}  // namespace pmt::testing
