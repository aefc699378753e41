// The JSON report's one frame writer (report/frame_json.h): a frame whose symbol
// index is out of range (a damaged session file) is written and counted.
#include <gtest/gtest.h>

#include "render_fixtures.h"
#include "report/json_report.h"

namespace pmt {
namespace {

using nlohmann::json;

TEST(FrameJson, FramesNameTheirSymbols) {
    const json j = profile_to_json(testing::small_profile());
    const json& frames = j["stacks"][2]["frames"];
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[2], (json{{"function", "draw"}, {"class", "App\\View"}, {"file", "/srv/View.php"},
                               {"line", 7}, {"kind", "user"}}));
    EXPECT_EQ(frames[0]["class"], nullptr);
    EXPECT_EQ(j["counters"]["bad_symbol_frames"], 0);
}

TEST(FrameJson, AFrameOfAnUnknownSymbolIsWrittenAndCounted) {
    Profile p = testing::small_profile();
    const uint32_t bad = uint32_t(p.symbols.size()) + 40;
    p.stacks[0].frames[1].symbol = bad;
    HeapTimeline t;
    t.map_events.push_back(HeapMapEvent{0.1, 4242, true, true, 0x7f0000000000, 4u << 20, {{0, 3}, {bad, 9}}});
    t.gc_runs.push_back(GcRun{4242, 0.2, 0.001, 5, 100, 200, 100, {HeapStackBytes{{{bad, 1}}, 100, 1}}});
    p.heap_timeline = t;

    json j;
    ASSERT_NO_THROW(j = profile_to_json(p));
    const json bad_frame = {{"function", "[bad symbol]"}, {"class", nullptr}, {"file", nullptr},
                            {"line", 12},                 {"kind", "unknown"}, {"symbol", bad}};
    const json& stack = j["stacks"][0]["frames"];
    ASSERT_EQ(stack.size(), 3u) << "no frame dropped";
    EXPECT_EQ(stack[1], bad_frame);
    EXPECT_EQ(stack[2]["function"], "str_repeat");
    const json& event = j["heap_timeline"]["map_events"][0]["frames"];
    ASSERT_EQ(event.size(), 2u);
    EXPECT_EQ(event[1]["function"], "[bad symbol]");
    EXPECT_EQ(event[1]["line"], 9);
    EXPECT_EQ(j["gc"]["runs_detail"][0]["stacks"][0]["frames"][0]["symbol"], bad);
    EXPECT_EQ(j["counters"]["bad_symbol_frames"], 3);
}

}  // namespace
}  // namespace pmt
