// opcache and its JIT change where names live (shared memory) and what runs
// (machine code instead of the VM's handlers): the stacks, names and lines must be
// the same as without them, and every checkpoint exact.
#include <map>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

using nlohmann::json;

const std::vector<std::string> kOpcacheOn = {"-d", "zend_extension=opcache.so", "-d", "opcache.enable_cli=1",
                                             "-d", "opcache.jit=off"};
const std::vector<std::string> kJitOn = {"-d", "zend_extension=opcache.so", "-d", "opcache.enable_cli=1",
                                         "-d", "opcache.jit=tracing", "-d", "opcache.jit_buffer_size=64M"};

// Allocations per stack, the stack written as "file:function:line" frames: what
// must not change with opcache or JIT.
std::map<std::string, uint64_t> allocations_by_stack(const json& report) {
    std::map<std::string, uint64_t> out;
    for (const auto& stack : report["stacks"]) {
        std::string key;
        for (const auto& f : stack["frames"])
            key += (f["file"].is_string() ? f["file"].get<std::string>() : "") + ":" + frame_name(f) + ":" +
                   (f["line"].is_number() ? std::to_string(f["line"].get<int>()) : "-") + " ";
        out[key] += stack["alloc_count"].get<uint64_t>();
    }
    return out;
}

// Stacks of the script's own allocations (below {main} of the script): the engine's
// start-up and opcache's own work differ between the modes by design.
std::map<std::string, uint64_t> script_stacks(const json& report, const std::string& leaf) {
    std::map<std::string, uint64_t> out;
    for (const auto& [key, count] : allocations_by_stack(report))
        if (key.find(":" + leaf + ":") != std::string::npos) out[key] = count;
    return out;
}

void expect_exact_checkpoints(const json& report) {
    for (const auto& c : report["checkpoints"]) EXPECT_EQ(c["php_memory_usage"], c["traced_live_bytes"]) << c;
    for (const char* counter : {"lost_events", "unreadable_frames", "bad_symbol_frames"})
        EXPECT_EQ(report["counters"][counter], 0) << counter;
}

TEST(RecordOpcache, HotFunctionUnderJitKeepsFramesNamesAndLines) {
    PMT_REQUIRE_ROOT();
    const json plain = record_script("jit_hot.php");
    const json opcache = record_script("jit_hot.php", {}, {}, kOpcacheOn);
    const json jit = record_script("jit_hot.php", {}, {}, kJitOn);
    ASSERT_FALSE(plain.is_null() || opcache.is_null() || jit.is_null());
    // The JIT really compiled the hot loop: the allocations came from machine code.
    EXPECT_GT(std::stoul(script_value(jit["__script_output"], "JIT_CODE_BYTES")), 0u);
    EXPECT_EQ(script_value(plain["__script_output"], "JIT_CODE_BYTES"), "0");

    const auto expected = script_stacks(plain, "Hot::make");
    ASSERT_EQ(expected.size(), 1u) << "one stack {main} -> run_hot -> Hot::make -> str_repeat";
    EXPECT_EQ(expected.begin()->second, 5000u);
    const std::string line = ":Hot::make:" + script_value(plain["__script_output"], "LINE_hot") + " ";
    EXPECT_NE(expected.begin()->first.find(line), std::string::npos) << expected.begin()->first;
    EXPECT_EQ(script_stacks(opcache, "Hot::make"), expected);
    EXPECT_EQ(script_stacks(jit, "Hot::make"), expected);
    for (const json* r : {&plain, &opcache, &jit}) expect_exact_checkpoints(*r);
}

// names.php calls str_repeat with literal arguments, which opcache's optimizer
// evaluates at compile time (the strings become literals: no allocation at run
// time). Its optimizer is off here, so that the same calls run in every mode.
TEST(RecordOpcache, EveryKindOfFrameIsNamedTheSameWithOpcacheAndJit) {
    PMT_REQUIRE_ROOT();
    const json plain = record_script("names.php");
    ASSERT_FALSE(plain.is_null());
    const auto expected = script_stacks(plain, "str_repeat");
    ASSERT_GE(expected.size(), 7u);  // method, static, recursion, generator, closure, include, eval
    for (auto options : {kOpcacheOn, kJitOn}) {
        options.insert(options.end(), {"-d", "opcache.optimization_level=0"});
        const json traced = record_script("names.php", {}, {}, options);
        ASSERT_FALSE(traced.is_null());
        EXPECT_EQ(script_stacks(traced, "str_repeat"), expected);
        expect_exact_checkpoints(traced);
    }
}

}  // namespace
}  // namespace pmt::testing
