// The flame graph SVG: well-formed XML (tinyxml2), frame widths proportional to
// the view's values, colours by kind, tooltips, escaping, and big profiles.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "render_fixtures.h"
#include "report/diff.h"
#include "report/flamegraph_script.h"
#include "report/flamegraph_svg.h"
#include "svg_frames.h"

namespace pmt {
namespace {

using testing::parse_flamegraph;
using testing::SvgDoc;

SvgDoc render(const Profile& p, View view, const FlameGraphOptions& options = {}) {
    std::ostringstream out;
    write_flamegraph_svg(p, view, out, options);
    SvgDoc doc = parse_flamegraph(out.str());
    EXPECT_TRUE(doc.parsed) << doc.error;
    return doc;
}

double width_of(const SvgDoc& doc, const std::string& name) {
    auto frames = doc.named(name);
    EXPECT_EQ(frames.size(), 1u) << name;
    return frames.empty() ? -1 : frames[0].width;
}

TEST(FlameGraphSvg, TitleNamesProcessViewAndUnits) {
    SvgDoc doc = render(testing::small_profile(), View::Live);
    EXPECT_NE(doc.title.find("pid 4242"), std::string::npos) << doc.title;
    EXPECT_NE(doc.title.find("/usr/bin/php8.2"), std::string::npos);
    EXPECT_NE(doc.title.find("PHP 8.2.7"), std::string::npos);
    EXPECT_NE(doc.title.find("live"), std::string::npos);
    EXPECT_NE(doc.title.find("bytes"), std::string::npos);
    EXPECT_NE(render(testing::small_profile(), View::Count).title.find("allocations"), std::string::npos);
}

// Expected inclusive values are summed here from the fixture's stacks, not read
// back from the file.
TEST(FlameGraphSvg, WidthsAreProportionalToTheView) {
    const Profile p = testing::small_profile();
    for (View view : {View::Alloc, View::Live, View::Count, View::Peak}) {
        std::map<std::string, uint64_t> inclusive;
        uint64_t total = 0;
        for (const Stack& s : p.stacks) {
            const uint64_t v = stack_value(s.stats, view);
            total += v;
            for (const Frame& f : s.frames) inclusive[p.symbols[f.symbol].qualified_name()] += v;
        }
        SvgDoc doc = render(p, view, FlameGraphOptions{1200, 17, 0});
        const double px_per_unit = doc.usable_width() / static_cast<double>(total);
        EXPECT_NEAR(width_of(doc, "all"), doc.usable_width(), 0.01);
        for (const auto& [name, value] : inclusive) {
            if (value == 0) {
                EXPECT_TRUE(doc.named(name).empty()) << name << " has no value in " << view_name(view);
                continue;
            }
            EXPECT_NEAR(width_of(doc, name), static_cast<double>(value) * px_per_unit, 0.01)
                << name << " in " << view_name(view);
        }
    }
}

TEST(FlameGraphSvg, ChildrenSitInsideTheirParent) {
    SvgDoc doc = render(testing::small_profile(), View::Alloc);
    const auto load = doc.named("load").at(0);
    const auto str_repeat = doc.named("str_repeat").at(0);
    EXPECT_EQ(str_repeat.depth, load.depth + 1);
    EXPECT_GE(str_repeat.x, load.x - 0.001);
    EXPECT_LE(str_repeat.x + str_repeat.width, load.x + load.width + 0.001);
}

TEST(FlameGraphSvg, ColoursFollowTheFrameKind) {
    SvgDoc doc = render(testing::small_profile(), View::Alloc);
    auto str_repeat = doc.named("str_repeat").at(0);
    auto load = doc.named("load").at(0);
    auto startup = doc.named("[startup]").at(0);
    EXPECT_EQ(str_repeat.kind, "internal");
    EXPECT_EQ(load.kind, "user");
    EXPECT_EQ(startup.kind, "pseudo");
    auto internal = testing::parse_rgb(str_repeat.fill), user = testing::parse_rgb(load.fill);
    EXPECT_GT(internal.b, internal.r) << str_repeat.fill << ": internal functions are blue";
    EXPECT_GT(user.r, user.b) << load.fill << ": PHP code is warm";
}

TEST(FlameGraphSvg, TooltipShowsLocationValueAndPercent) {
    SvgDoc doc = render(testing::small_profile(), View::Alloc);
    const std::string info = doc.named("load").at(0).info;
    // load runs line 12 for 6000 bytes and line 14 for 1000: the tooltip shows the heavier.
    EXPECT_NE(info.find("/srv/lib.php:12"), std::string::npos) << info;
    EXPECT_NE(info.find("6.84 KiB"), std::string::npos) << info;  // 7000 bytes
    EXPECT_NE(info.find("7,000 bytes"), std::string::npos) << info;
    EXPECT_NE(info.find("71.4%"), std::string::npos) << info;  // 7000 / 9800
}

TEST(FlameGraphSvg, HostileNamesStayWellFormed) {
    Profile p = testing::small_profile();
    p.symbols[1].function = "<script>alert(\"x&y\")</script>";
    p.symbols[3].function = std::string("bad\xff\xfe utf8 \x01 ctl");
    p.symbols[4].file = "/srv/]]>/View.php";
    SvgDoc doc = render(p, View::Alloc);
    ASSERT_TRUE(doc.parsed);
    EXPECT_EQ(doc.named("<script>alert(\"x&y\")</script>").size(), 1u);
    EXPECT_EQ(doc.named("bad\\xFF\\xFE utf8 \\x01 ctl").size(), 1u);  // as every output writes it
}

TEST(FlameGraphSvg, EmptyProfileStillRenders) {
    Profile p;
    SvgDoc doc = render(p, View::Live);
    ASSERT_TRUE(doc.parsed);
    ASSERT_EQ(doc.frames.size(), 1u);  // just "all"
}

// 20,000 stacks: small siblings merge, so the file stays small and nothing is a sliver.
TEST(FlameGraphSvg, LargeProfilesMergeSmallFrames) {
    Profile p = testing::large_profile(20000);
    std::ostringstream out;
    FlameGraphOptions options;
    write_flamegraph_svg(p, View::Alloc, out, options);
    SvgDoc doc = parse_flamegraph(out.str());
    ASSERT_TRUE(doc.parsed) << doc.error;
    EXPECT_LT(doc.frames.size(), 5000u);
    EXPECT_LT(out.str().size(), 4u << 20);
    size_t merged = 0;
    for (const auto& f : doc.frames) {
        EXPECT_GE(f.width, options.min_frame_px - 0.01) << f.name;
        merged += f.kind == "merged";
    }
    EXPECT_GT(merged, 0u);
    // Widths still add up: the total is the whole usable width.
    EXPECT_NEAR(doc.named("all").at(0).width, doc.usable_width(), 0.01);

    // Without merging the same profile draws every node.
    std::ostringstream full;
    write_flamegraph_svg(p, View::Alloc, full, FlameGraphOptions{1200, 17, 0});
    EXPECT_GT(parse_flamegraph(full.str()).frames.size(), 10 * doc.frames.size());
}

TEST(FlameGraphSvg, PeakViewSubtitleSaysWhenThePeakWas) {
    std::ostringstream out;
    write_flamegraph_svg(testing::small_profile(), View::Peak, out);
    EXPECT_NE(out.str().find("traced heap peaked (8.79 KiB at 0.750 s)"), std::string::npos);
}

TEST(FlameGraphSvg, DiffColoursGrowthRedAndShrinkBlue) {
    Profile before = testing::small_profile();
    Profile after = before;
    after.stacks[0].stats.alloc_bytes = 12000;  // str_repeat grew
    after.stacks[2].stats.alloc_bytes = 100;    // App\View::draw shrank
    std::ostringstream out;
    write_diff_flamegraph_svg(diff_profiles(before, after), View::Alloc, out, FlameGraphOptions{1200, 17, 0});
    SvgDoc doc = parse_flamegraph(out.str());
    ASSERT_TRUE(doc.parsed) << doc.error;
    auto grew = testing::parse_rgb(doc.named("str_repeat").at(0).fill);
    auto shrank = testing::parse_rgb(doc.named("App\\View::draw").at(0).fill);
    auto same = testing::parse_rgb(doc.named("[startup]").at(0).fill);
    EXPECT_EQ(grew.r, 255);
    EXPECT_LT(grew.b, 200);
    EXPECT_EQ(shrank.b, 255);
    EXPECT_LT(shrank.r, 200);
    EXPECT_EQ(same.r, same.b);
    // Width is the larger side: draw keeps its old 2000 bytes of width.
    const double per_byte = doc.usable_width() / (12000.0 + 1000 + 2000 + 500 + 300);
    EXPECT_NEAR(doc.named("App\\View::draw").at(0).width, 2000 * per_byte, 0.01);
    EXPECT_NE(doc.named("str_repeat").at(0).info.find("+5.86 KiB"), std::string::npos)
        << doc.named("str_repeat").at(0).info;
}

std::string source_file(const std::string& path) {
    std::ifstream in(std::string(PMT_SOURCE_DIR) + "/" + path, std::ios::binary);
    EXPECT_TRUE(in) << path;
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The style sheet and script are their files, byte for byte (embedded at build
// time), and each sits in a CDATA section it cannot end early.
TEST(FlameGraphSvg, EmbedsTheScriptAndStyleFilesAsTheyAre) {
    const std::string js = source_file("userspace/report/flamegraph.js");
    const std::string css = source_file("userspace/report/flamegraph.css");
    EXPECT_EQ(kFlameGraphJs, js);
    EXPECT_EQ(kFlameGraphCss, css);
    EXPECT_EQ(js.find("]]>"), std::string::npos);
    EXPECT_EQ(css.find("]]>"), std::string::npos);
    std::ostringstream out;
    write_flamegraph_svg(testing::small_profile(), View::Alloc, out);
    EXPECT_NE(out.str().find("<script type=\"text/ecmascript\"><![CDATA[\n" + js + "]]></script>"),
              std::string::npos);
}

}  // namespace
}  // namespace pmt
