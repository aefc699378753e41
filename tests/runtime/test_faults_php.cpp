// `phpmemtrace record --faults` on a real PHP process that forks: the child's
// copy-on-write faults must land in the Zend heap and be attributed to the PHP
// function that wrote.
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

TEST(FaultsPhp, ForkChildCopyOnWriteFaultsAreAttributedToTheWritingFunction) {
    PMT_REQUIRE_ROOT();
    const nlohmann::json report = record_script("fork_cow.php", {"60000", "30000"}, {"--faults"});
    ASSERT_TRUE(report.is_object());
    const std::string out = report["__script_output"];
    ASSERT_EQ(script_value(out, "CHILD_EXIT"), "0") << out;
    ASSERT_TRUE(report.contains("faults")) << "no faults section";
    const auto& faults = report["faults"];
    for (const char* region : {"zend_heap", "zend_huge", "opcache", "anon", "file"})
        for (const char* field : {"count", "cow", "first_touch", "major", "ns_total"})
            ASSERT_TRUE(faults["by_region"][region].contains(field)) << region << "." << field;
    for (const char* field : {"p50", "p90", "p99", "max", "mean"}) ASSERT_TRUE(faults["latency_ns"].contains(field));

    // The child wrote MODIFIED_BYTES contiguous bytes of the array's data: that spans
    // ceil(bytes / 4096) pages, or one more when the data does not start on a page.
    const uint64_t bytes = std::stoull(script_value(out, "MODIFIED_BYTES"));
    const uint64_t pages = (bytes + 4095) / 4096;
    const uint64_t in_child = sum_for_innermost_user(report, "modify_in_child", "fault_count");
    // Margin of 3 above the spanned pages: a fault on the function's own VM stack
    // frame or on a bookkeeping page while it is the running frame; none is expected.
    EXPECT_GE(in_child, pages);
    EXPECT_LE(in_child, pages + 1 + 3);
    EXPECT_GT(sum_for_innermost_user(report, "modify_in_child", "fault_ns"), 0u);
    // Those faults are copy-on-write faults in the Zend heap (the parent's faults on
    // the same pages, while build_array filled them, were first touches).
    EXPECT_GE(faults["by_region"]["zend_heap"]["cow"].get<uint64_t>(), pages);
    EXPECT_GE(faults["by_region"]["zend_heap"]["first_touch"].get<uint64_t>(), pages);
    EXPECT_GT(sum_for_innermost_user(report, "build_array", "fault_count"), pages);
    EXPECT_EQ(faults["counters"]["malformed_records"], 0);
    // Per request: the child carries on its parent's request, in an entry of its own.
    const int64_t parent = report["target"]["pid"].get<int64_t>();
    uint64_t child_requests = 0;
    for (const auto& req : faults["requests"]) {
        if (req["pid"].get<int64_t>() == parent) continue;
        ++child_requests;
        EXPECT_GE(req["cow"].get<uint64_t>(), pages);
        EXPECT_GE(req["pages"].get<uint64_t>(), pages);
    }
    EXPECT_EQ(child_requests, 1u);
}

// With 200,000 elements the array's data is one huge block (over 2 MiB): the child's
// copy-on-write faults land there, which is known only from the allocation records.
TEST(FaultsPhp, CopyOnWriteFaultsInAHugeBlockAreCountedAsZendHuge) {
    PMT_REQUIRE_ROOT();
    const nlohmann::json report = record_script("fork_cow.php", {"200000", "100000"}, {"--faults"});
    ASSERT_TRUE(report.is_object());
    const std::string out = report["__script_output"];
    ASSERT_EQ(script_value(out, "CHILD_EXIT"), "0") << out;
    const uint64_t pages = (std::stoull(script_value(out, "MODIFIED_BYTES")) + 4095) / 4096;
    const uint64_t in_child = sum_for_innermost_user(report, "modify_in_child", "fault_count");
    EXPECT_GE(in_child, pages);
    EXPECT_LE(in_child, pages + 1 + 3);
    EXPECT_GE(report["faults"]["by_region"]["zend_huge"]["cow"].get<uint64_t>(), pages);
}

// Deep recursion grows the VM stack: its first-touch faults are counted as vm_stack
// (pages of EG(vm_stack)), apart from the rest of the Zend heap.
TEST(FaultsPhp, VmStackGrowthIsCountedAsVmStack) {
    PMT_REQUIRE_ROOT();
    const nlohmann::json report = record_script("deep_recursion.php", {"20000"}, {"--faults"});
    ASSERT_TRUE(report.is_object());
    const std::string out = report["__script_output"];
    ASSERT_EQ(script_value(out, "DEPTH"), "20000") << out;
    const auto& vm = report["faults"]["by_region"]["vm_stack"];
    // Each frame is at least a zend_execute_data (80 bytes) and, with 5 arguments and
    // 2 locals of 16 bytes, well under 1 KiB: 20000 frames span 390 to 5000 pages.
    EXPECT_GE(vm["first_touch"].get<uint64_t>(), 20000u * 80 / 4096);
    EXPECT_LE(vm["count"].get<uint64_t>(), 20000u * 1024 / 4096);
    EXPECT_GE(sum_for_innermost_user(report, "down", "fault_count"), 20000u * 80 / 4096);
}

// With opcache on, compiled scripts are stored in its shared memory: first touches
// of that memory are counted as opcache; without opcache there are none.
TEST(FaultsPhp, OpcacheSharedMemoryIsCountedAsOpcache) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    auto record = [&](std::vector<std::string> php_args) {
        const std::string json_path = dir.file("report.json");
        std::vector<std::string> argv{phpmemtrace_binary(), "record", "--faults", "-q", "-o", json_path, "--",
                                      "php8.2", "-n"};
        argv.insert(argv.end(), php_args.begin(), php_args.end());
        argv.insert(argv.end(), {php_script("deep_recursion.php"), "1000"});
        CommandResult r = run_command(argv);
        EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
        return r.exit_code == 0 ? read_json(json_path) : nlohmann::json();
    };
    const nlohmann::json with = record({"-d", "zend_extension=opcache", "-d", "opcache.enable_cli=1"});
    const nlohmann::json without = record({});
    ASSERT_TRUE(with.is_object() && without.is_object());
    EXPECT_GT(with["faults"]["by_region"]["opcache"]["first_touch"].get<uint64_t>(), 0u);
    EXPECT_EQ(without["faults"]["by_region"]["opcache"]["count"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace pmt::testing
