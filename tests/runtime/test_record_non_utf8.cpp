// PHP identifiers may hold any byte 0x80-0xff: a Latin-1 source file declares
// `function café` as the bytes "caf\xE9". Every output must still be read by a
// strict consumer, and show the name the same way (the byte as \xE9) so that it
// can be searched for.
#include <fstream>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

using nlohmann::json;

const std::string kFunction = "caf\\xE9_keep";  // as every output writes "caf\xE9_keep"
const std::string kClass = "Gr\\xF6\\xDFe";
const std::string kMethod = "m\\xFCll";
const std::string kFile = "latin1_\\xE9.php";

// A Latin-1 script, in a file whose name is Latin-1 too.
std::string write_latin1_script(const TempDir& dir) {
    const std::string path = dir.file("latin1_\xE9.php");
    std::ofstream(path, std::ios::binary) << "<?php\n"
                                             "function caf\xE9_keep($n) {\n"
                                             "    $a = [];\n"
                                             "    for ($i = 0; $i < $n; $i++) $a[] = str_repeat('x', 500);\n"
                                             "    return $a;\n"
                                             "}\n"
                                             "class Gr\xF6\xDF" "e {\n"
                                             "    static function m\xFCll() { return str_repeat('y', 100000); }\n"
                                             "}\n"
                                             "$kept = caf\xE9_keep(1000);\n"
                                             "$big = Gr\xF6\xDF" "e::m\xFCll();\n"
                                             "echo 'USAGE=', memory_get_usage(), \"\\n\";\n";
    return path;
}

// The file's text as a strict reader accepts it (tests/tools/strict_read.py).
std::string strict_read(const std::string& mode, const std::string& path) {
    CommandResult r = run_command({"python3", std::string(PMT_SOURCE_DIR) + "/tests/tools/strict_read.py", mode, path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

std::string save_output(const TempDir& dir, const std::string& name, const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string path = dir.file(name);
    std::ofstream(path, std::ios::binary) << r.out;
    return path;
}

// The report's frames carry the escaped names, with the kept bytes on them.
void expect_names_in_report(const json& report) {
    uint64_t kept = 0;
    bool method_seen = false, file_seen = false;
    for (const auto& stack : report["stacks"])
        for (const auto& f : stack["frames"]) {
            if (f["function"] == kFunction) {
                kept += stack["live_bytes"].get<uint64_t>();
                if (f["file"].is_string() && f["file"].get<std::string>().ends_with("/" + kFile)) file_seen = true;
                break;
            }
            if (f["function"] == kMethod && f["class"] == kClass) method_seen = true;
        }
    EXPECT_GE(kept, 1000u * 512);
    EXPECT_TRUE(method_seen);
    EXPECT_TRUE(file_seen);
}

TEST(RecordNonUtf8, EveryOutputIsStrictlyReadableAndShowsTheEscapedName) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    const std::string script = write_latin1_script(dir);
    std::vector<std::string> argv = {phpmemtrace_binary(), "record", "-q"};
    for (const char* ext : {"json", "svg", "heap.svg", "folded", "pb.gz", "db", "txt"})
        argv.insert(argv.end(), {"-o", dir.file(std::string("r.") + ext)});
    argv.insert(argv.end(), {"--", "php8.2", "-n", script});
    CommandResult r = run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;

    expect_names_in_report(json::parse(strict_read("json", dir.file("r.json"))));
    EXPECT_NE(strict_read("xml", dir.file("r.svg")).find(kFunction), std::string::npos);
    strict_read("xml", dir.file("r.heap.svg"));
    EXPECT_NE(strict_read("utf8", dir.file("r.folded")).find(kFunction), std::string::npos);
    EXPECT_NE(strict_read("utf8", dir.file("r.txt")).find(kFunction), std::string::npos);
    const std::string raw = save_output(dir, "pprof.txt", run_command({"go", "tool", "pprof", "-raw", dir.file("r.pb.gz")}));
    EXPECT_NE(strict_read("utf8", raw).find(kFunction), std::string::npos);
    const std::string symbols =
        save_output(dir, "symbols.txt", run_command({"sqlite3", dir.file("r.db"), "SELECT function, class FROM symbols"}));
    EXPECT_NE(strict_read("utf8", symbols).find(kFunction), std::string::npos);

    // A stored session renders the same names.
    CommandResult again = run_command({phpmemtrace_binary(), "report", dir.file("r.db"), "-o", dir.file("again.json"),
                                       "-o", dir.file("again.svg")});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    expect_names_in_report(json::parse(strict_read("json", dir.file("again.json"))));
    EXPECT_NE(strict_read("xml", dir.file("again.svg")).find(kFunction), std::string::npos);
}

}  // namespace
}  // namespace pmt::testing
