// Frames get the right names, files and lines for every kind of PHP code.
#include <algorithm>
#include <sstream>

#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

using nlohmann::json;

struct Site {
    std::vector<json> frames;  // of the stack, root first
};

// Stacks whose leaf is str_repeat and which allocated exactly `bytes` per block
// are the SITE of that size (each site uses its own string length).
std::vector<Site> sites_with_block_size(const json& report, uint64_t block) {
    std::vector<Site> out;
    for (const auto& stack : report["stacks"]) {
        const auto& frames = stack["frames"];
        if (frames.empty() || frame_name(frames.back()) != "str_repeat") continue;
        uint64_t count = stack["alloc_count"], bytes = stack["alloc_bytes"];
        if (count && bytes == count * block) out.push_back(Site{{frames.begin(), frames.end()}});
    }
    return out;
}

// The user frame right above the internal leaf.
const json& caller_of_leaf(const Site& s) { return s.frames.at(s.frames.size() - 2); }

class RecordNames : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (geteuid() != 0) return;
        report_ = new json(record_script("names.php"));
    }
    static void TearDownTestSuite() { delete report_; }
    void SetUp() override {
        PMT_REQUIRE_ROOT();
        ASSERT_TRUE(report_ && !report_->is_null());
    }
    int line_of(const std::string& site) {
        std::string v = script_value((*report_)["__script_output"], "LINE_" + site);
        return v.empty() ? -1 : std::stoi(v);
    }
    std::string file() { return script_value((*report_)["__script_output"], "FILE"); }
    // str_repeat of 1000 + k characters: a 1032-byte zend_string -> 1280 bin.
    // All sites share the bin, so look them up by the calling frame instead.
    std::vector<Site> sites() { return sites_with_block_size(*report_, 1280); }
    const Site* site_called_from(const std::string& qualified) {
        static std::vector<Site> all;
        all = sites();
        for (const auto& s : all)
            if (frame_name(caller_of_leaf(s)) == qualified) return &s;
        return nullptr;
    }
    static json* report_;
};
json* RecordNames::report_ = nullptr;

TEST_F(RecordNames, MethodHasClassFileAndLine) {
    const Site* s = site_called_from("Worker::build");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(caller_of_leaf(*s)["file"], file());
    EXPECT_EQ(caller_of_leaf(*s)["line"], line_of("method"));
    EXPECT_EQ(s->frames.front()["function"], "{main}");  // root first
    EXPECT_EQ(s->frames.back()["kind"], "internal");
}

TEST_F(RecordNames, StaticMethod) {
    const Site* s = site_called_from("Worker::make");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(caller_of_leaf(*s)["line"], line_of("static"));
}

TEST_F(RecordNames, RecursionShowsEveryFrame) {
    const Site* s = site_called_from("recurse");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(caller_of_leaf(*s)["line"], line_of("recursion"));
    auto depth = std::count_if(s->frames.begin(), s->frames.end(), [](const json& f) { return frame_name(f) == "recurse"; });
    EXPECT_EQ(depth, 6);  // recurse(5) .. recurse(0)
}

TEST_F(RecordNames, GeneratorBody) {
    const Site* s = site_called_from("numbers");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(caller_of_leaf(*s)["line"], line_of("generator"));
}

TEST_F(RecordNames, Closure) {
    const Site* s = site_called_from("{closure}");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(caller_of_leaf(*s)["file"], file());
    EXPECT_EQ(caller_of_leaf(*s)["line"], line_of("closure"));
}

TEST_F(RecordNames, IncludedFileTopLevelCodeAndFunction) {
    const std::string included = file().substr(0, file().rfind('/')) + "/names_included.php";
    bool saw_main = false, saw_function = false;
    for (const auto& s : sites()) {
        const json& caller = caller_of_leaf(s);
        if (caller["file"] != included) continue;
        if (caller["function"] == "{main}") {
            saw_main = true;
            EXPECT_EQ(caller["line"], 3);
            // ... included from {main} of names.php
            EXPECT_EQ(s.frames.at(s.frames.size() - 3)["file"], file());
        }
        if (caller["function"] == "included_function") {
            saw_function = true;
            EXPECT_EQ(caller["line"], 7);
        }
    }
    EXPECT_TRUE(saw_main);
    EXPECT_TRUE(saw_function);
}

TEST_F(RecordNames, EvalCodeIsMainOfTheEvalFrame) {
    bool saw = false;
    for (const auto& s : sites()) {
        const json& caller = caller_of_leaf(s);
        if (caller["function"] != "{main}" || !caller["file"].is_string()) continue;
        std::string f = caller["file"];
        if (f.find("eval()'d code") == std::string::npos) continue;
        saw = true;
        EXPECT_EQ(caller["line"], 1);
        // the frame that called eval() is names.php's {main}, at the eval line
        const json& evaluator = s.frames.at(s.frames.size() - 3);
        EXPECT_EQ(evaluator["file"], file());
        EXPECT_EQ(evaluator["line"], line_of("eval"));
    }
    EXPECT_TRUE(saw);
}

}  // namespace
}  // namespace pmt::testing

namespace pmt::testing {
namespace {

// Inside a Fiber the stack reads as PHP's own backtrace shows it: the fiber's
// code, then Fiber::start and its caller, with no {main} between them.
TEST(RecordNamesFiber, FiberFramesHaveNoSpuriousMain) {
    PMT_REQUIRE_ROOT();
    auto report = record_script("fiber.php");
    ASSERT_FALSE(report.is_null());
    std::vector<std::string> names;
    for (const auto& stack : report["stacks"]) {
        const auto& frames = stack["frames"];
        if (frames.empty() || frame_name(frames.back()) != "str_repeat") continue;
        names.clear();
        for (const auto& f : frames) names.push_back(frame_name(f));
    }
    EXPECT_EQ(names, (std::vector<std::string>{"{main}", "outer", "Fiber::start", "in_fiber", "inner", "str_repeat"}));
}

// `yield from`: the generators that delegate show up between the running one and
// the consumer, at their `yield from` lines, exactly as PHP's own backtrace lists them.
TEST(RecordNamesGenerators, YieldFromKeepsTheDelegatingFrames) {
    PMT_REQUIRE_ROOT();
    auto report = record_script("yield_from.php");
    ASSERT_FALSE(report.is_null());
    const std::string output = report["__script_output"];
    std::vector<std::string> expected;
    std::stringstream php_stack(script_value(output, "PHP_STACK"));
    for (std::string name; std::getline(php_stack, name, ',');) expected.push_back(name);
    ASSERT_EQ(expected.size(), 6u);

    int sites = 0;
    for (const auto& stack : report["stacks"]) {
        const auto& frames = stack["frames"];
        if (frames.empty() || frame_name(frames.back()) != "str_repeat") continue;
        ++sites;
        std::vector<std::string> names;
        for (const auto& f : frames) names.push_back(frame_name(f));
        EXPECT_EQ(names, expected);
        for (const auto& f : frames)
            for (const char* gen : {"middle_gen", "outer_gen"})
                if (frame_name(f) == gen) EXPECT_EQ(f["line"], std::stoi(script_value(output, std::string("LINE_") + gen)));
        EXPECT_EQ(stack["alloc_count"], 3);  // one stack for all three values
    }
    EXPECT_EQ(sites, 1);
}

}  // namespace
}  // namespace pmt::testing
