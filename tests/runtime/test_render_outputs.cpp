// Every output format rendered from one real traced php8.2 run, each checked with
// an independent reader against the JSON report of the same run: the sqlite3 CLI
// for the session, `go tool pprof -raw` for pprof, tinyxml2 for the SVG, and
// headless Chromium for the page the SVG's script draws.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "../unit/pprof_raw.h"
#include "../unit/svg_frames.h"
#include "runtime_helpers.h"

namespace pmt::testing {
namespace {

using nlohmann::json;

// Stacks as "name;name;..." (root first), as both the JSON and SQL sides build them.
std::string json_stack_text(const json& stack) {
    std::string text;
    for (const auto& f : stack["frames"]) text += (text.empty() ? "" : ";") + frame_name(f);
    return text;
}

// Where two long texts first differ, with some context (reports are megabytes).
std::string first_difference(const std::string& a, const std::string& b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    if (i == a.size() && i == b.size()) return "identical";
    const size_t from = i > 300 ? i - 300 : 0;
    return "first difference at byte " + std::to_string(i) + "\n--- expected:\n" + b.substr(from, 600) +
           "\n--- actual:\n" + a.substr(from, 600);
}

uint64_t json_total(const json& report, const std::string& field) {
    uint64_t total = 0;
    for (const auto& s : report["stacks"]) total += s[field].get<uint64_t>();
    return total;
}

// One traced run of tests/php/render_mix.php, rendered in every format, shared by
// the tests of this suite (tracing is the slow part).
class RenderOutputs : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (geteuid() != 0) return;
        dir_ = new TempDir();
        CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "--view", "alloc",
                                       "-o", dir_->file("r.json"), "-o", dir_->file("s.db"),
                                       "-o", dir_->file("f.svg"), "-o", dir_->file("p.pb.gz"),
                                       "-o", dir_->file("f.folded"), "--", "php8.2", "-n",
                                       php_script("render_mix.php")});
        record_ok_ = r.exit_code == 0;
        record_log_ = r.err + r.out;
    }
    static void TearDownTestSuite() {
        delete dir_;
        dir_ = nullptr;
    }
    void SetUp() override {
        PMT_REQUIRE_ROOT();
        ASSERT_TRUE(record_ok_) << "phpmemtrace record failed:\n" << record_log_;
        report_ = read_json(dir_->file("r.json"));
    }
    static std::string file(const std::string& name) { return dir_->file(name); }

    static inline TempDir* dir_ = nullptr;
    static inline bool record_ok_ = false;
    static inline std::string record_log_;
    json report_;
};

TEST_F(RenderOutputs, SqliteQueriesGiveTheJsonTopStacks) {
    for (const std::string field : {"live_bytes", "alloc_bytes", "peak_live_bytes"}) {
        // sqlite3 CLI: the 8 largest stacks, "bytes name;name;...", ties by text.
        const std::string sql =
            "SELECT s." + field + " || ' ' || (SELECT group_concat(name, ';') FROM ("
            "  SELECT coalesce(sy.class || '::', '') || sy.function AS name FROM stack_frames f"
            "  JOIN symbols sy ON sy.id = f.symbol_id WHERE f.stack_id = s.id ORDER BY f.depth)) AS line"
            " FROM stacks s ORDER BY s." + field + " DESC, line ASC LIMIT 8;";
        CommandResult r = run_command({"sqlite3", file("s.db"), sql});
        ASSERT_EQ(r.exit_code, 0) << r.err;

        std::vector<std::pair<uint64_t, std::string>> stacks;
        for (const auto& s : report_["stacks"]) stacks.emplace_back(s[field].get<uint64_t>(), json_stack_text(s));
        std::sort(stacks.begin(), stacks.end(), [](const auto& a, const auto& b) {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        });
        std::string expected;
        for (size_t i = 0; i < stacks.size() && i < 8; ++i)
            expected += std::to_string(stacks[i].first) + " " + stacks[i].second + "\n";
        EXPECT_EQ(r.out, expected) << field;
    }
    // docs/session-schema.md's "by file and line" query charges every stack to its
    // innermost PHP frame; the JSON, summed the same way, must agree.
    CommandResult by_line = run_command({"sqlite3", file("s.db"), R"(
        WITH innermost AS (
          SELECT f.stack_id, max(f.depth) AS depth
            FROM stack_frames f JOIN symbols sy ON sy.id = f.symbol_id
           WHERE sy.kind = 'user' GROUP BY f.stack_id)
        SELECT coalesce(sy.class || '::', '') || sy.function || ' ' || sum(s.live_bytes)
        FROM innermost i
        JOIN stack_frames f ON f.stack_id = i.stack_id AND f.depth = i.depth
        JOIN symbols sy ON sy.id = f.symbol_id
        JOIN stacks s ON s.id = i.stack_id
        GROUP BY sy.id ORDER BY sum(s.live_bytes) DESC LIMIT 1;)"});
    ASSERT_EQ(by_line.exit_code, 0) << by_line.err;
    const uint64_t catalog = sum_for_innermost_user(report_, "Catalog::load", "live_bytes");
    EXPECT_GT(catalog, sum_for_innermost_user(report_, "build_index", "live_bytes"));  // 2000 x 300 vs 3000 x 124
    EXPECT_EQ(by_line.out, "Catalog::load " + std::to_string(catalog) + "\n");
}

TEST_F(RenderOutputs, GoPprofTotalsEqualTheJson) {
    CommandResult r = run_command({"go", "tool", "pprof", "-raw", file("p.pb.gz")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    PprofRaw raw = parse_pprof_raw(r.out);
    ASSERT_TRUE(raw.ok) << r.out;
    EXPECT_EQ(raw.total("alloc_objects/count"), int64_t(json_total(report_, "alloc_count")));
    EXPECT_EQ(raw.total("alloc_space/bytes"), int64_t(json_total(report_, "alloc_bytes")));
    EXPECT_EQ(raw.total("inuse_objects/count"), int64_t(json_total(report_, "live_count")));
    EXPECT_EQ(raw.total("inuse_space/bytes"), int64_t(json_total(report_, "live_bytes")));
    EXPECT_EQ(raw.total("peak_space/bytes"), int64_t(json_total(report_, "peak_live_bytes")));
    bool has_method = false;
    for (const auto& l : raw.location_lines)
        has_method |= l.find("Catalog::load " + php_script("render_mix.php") + ":") != std::string::npos;
    EXPECT_TRUE(has_method) << r.out;

    CommandResult top = run_command({"go", "tool", "pprof", "-top", "-sample_index=alloc_space", file("p.pb.gz")});
    ASSERT_EQ(top.exit_code, 0) << top.err;
    EXPECT_NE(top.out.find("scratch_work"), std::string::npos) << top.out;
}

// Widths of each function's frames add up to its inclusive bytes in the JSON.
TEST_F(RenderOutputs, SvgWidthsFollowTheJsonBytes) {
    SvgDoc doc = parse_flamegraph(read_file(file("f.svg")));
    ASSERT_TRUE(doc.parsed) << doc.error;
    EXPECT_NE(doc.title.find("pid " + std::to_string(report_["target"]["pid"].get<int64_t>())), std::string::npos)
        << doc.title;
    EXPECT_NE(doc.title.find("alloc (bytes)"), std::string::npos) << doc.title;
    const double total = static_cast<double>(json_total(report_, "alloc_bytes"));
    const double px_per_byte = doc.usable_width() / total;
    EXPECT_NEAR(doc.named("all").at(0).width, doc.usable_width(), 0.01);
    for (const std::string name : {"{main}", "Catalog::load", "build_index", "scratch_work", "str_repeat"}) {
        const double bytes = static_cast<double>(sum_for_function(report_, name, "alloc_bytes"));
        double width = 0;
        for (const auto& f : doc.named(name)) width += f.width;
        ASSERT_GT(bytes, 0) << name;
        // Sub-half-pixel branches may be merged away; allow one pixel.
        EXPECT_NEAR(width, bytes * px_per_byte, 1.0) << name;
    }
    EXPECT_EQ(doc.named("Catalog::load").at(0).kind, "user");
    EXPECT_EQ(doc.named("str_repeat").at(0).kind, "internal");
}

TEST_F(RenderOutputs, ReportOfTheSessionRewritesTheSameFiles) {
    CommandResult r = run_command({phpmemtrace_binary(), "report", file("s.db"), "--view", "alloc",
                                   "-o", file("again.json"), "-o", file("again.folded")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string again = read_file(file("again.json")), original = read_file(file("r.json"));
    EXPECT_TRUE(again == original) << first_difference(again, original);
    EXPECT_EQ(read_file(file("again.folded")), read_file(file("f.folded")));
}

// With every optional tracer on (page faults, the heap timeline, on by default),
// the session still holds everything the JSON shows.
TEST(RenderSession, ReportKeepsFaultsAndTheHeapTimeline) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "--faults", "-o", dir.file("r.json"), "-o",
                                   dir.file("s.db"), "--", "php8.2", "-n", php_script("render_mix.php")});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    const json report = read_json(dir.file("r.json"));
    ASSERT_TRUE(report.contains("faults")) << "recorded without page faults";
    ASSERT_TRUE(report.contains("heap_timeline")) << "recorded without the heap timeline";
    EXPECT_GT(report["heap_timeline"]["samples"].size(), 0u);

    r = run_command({phpmemtrace_binary(), "report", dir.file("s.db"), "-o", dir.file("again.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string again = read_file(dir.file("again.json")), original = read_file(dir.file("r.json"));
    EXPECT_TRUE(again == original) << first_difference(again, original);
    CommandResult rows = run_command({"sqlite3", dir.file("s.db"), "SELECT count(*) FROM heap_samples;"});
    EXPECT_EQ(rows.out, std::to_string(report["heap_timeline"]["samples"].size()) + "\n");
}

// Headless Chromium runs the SVG's script: zoom (?x=) and search (?s=) change the
// DOM it dumps; the screenshot is for people to look at.
TEST_F(RenderOutputs, FlameGraphRendersInChromium) {
    const std::vector<std::string> flags = {
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + file("chromium-profile"), "--window-size=1400,900"};
    if (run_command({"sh", "-c", "command -v chromium"}).exit_code != 0)
        GTEST_SKIP() << "chromium (Debian package) is not installed";

    auto argv = flags;
    argv.insert(argv.end(), {"--dump-dom", "file://" + file("f.svg") + "?x=Catalog::load&s=str_repeat"});
    CommandResult r = run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    SvgDoc dom = parse_flamegraph(r.out);
    ASSERT_TRUE(dom.parsed) << dom.error << "\n" << r.out.substr(0, 500);
    // The script ran over every frame, zoomed and searched.
    EXPECT_EQ(dom.root_attributes["data-ready"], std::to_string(dom.frames.size()));
    EXPECT_EQ(dom.root_attributes["data-zoomed"], "Catalog::load");
    auto load = dom.named("Catalog::load");
    ASSERT_EQ(load.size(), 1u);
    EXPECT_NEAR(load[0].width, dom.usable_width(), 0.01);  // the zoomed frame fills the width
    EXPECT_TRUE(dom.named("build_index").at(0).hidden);   // outside the zoomed frame
    size_t matched = 0;
    for (const auto& f : dom.named("str_repeat")) {
        EXPECT_NE(f.cls.find("match"), std::string::npos) << f.cls;
        matched += 1;
    }
    EXPECT_GE(matched, 2u);
    EXPECT_EQ(dom.root_attributes["data-matched"], std::to_string(matched));

    argv = flags;
    argv.insert(argv.end(), {"--screenshot=" + file("flame.png"), "file://" + file("f.svg")});
    r = run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string png = read_file(file("flame.png"));
    ASSERT_GT(png.size(), 24u);
    EXPECT_EQ(png.substr(1, 3), "PNG");
    const auto be32 = [&](size_t at) {
        return (uint32_t(uint8_t(png[at])) << 24) | (uint32_t(uint8_t(png[at + 1])) << 16) |
               (uint32_t(uint8_t(png[at + 2])) << 8) | uint32_t(uint8_t(png[at + 3]));
    };
    EXPECT_EQ(be32(16), 1400u);  // IHDR width
    EXPECT_EQ(be32(20), 900u);   // IHDR height
    // A blank page compresses to a few KB; coloured frames and text do not.
    EXPECT_GT(png.size(), 15000u);
}

// The peak view answers "what held the memory when the heap was largest": the
// big array built and dropped by build_big(), not build_small()'s survivor.
TEST(RenderPeak, PeakViewBlamesTheFunctionHoldingThePeak) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "--view", "peak", "-o", dir.file("r.json"),
                                   "-o", dir.file("s.db"), "-o", dir.file("peak.svg"), "--", "php8.2", "-n",
                                   php_script("peak_then_small.php")});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    const json report = read_json(dir.file("r.json"));
    const uint64_t peak = report["heap"]["peak_live_bytes"].get<uint64_t>();
    const uint64_t big_peak = sum_for_function(report, "build_big", "peak_live_bytes");
    const uint64_t small_peak = sum_for_function(report, "build_small", "peak_live_bytes");
    // 30000 strings of 200 bytes (256-byte bins) plus the array: well over 7 MB.
    EXPECT_GT(big_peak, 30000u * 256);
    EXPECT_GT(big_peak, peak * 8 / 10) << "peak " << peak;
    EXPECT_EQ(small_peak, 0u);
    // ... while at the end only build_small's strings are live.
    EXPECT_EQ(sum_for_function(report, "build_big", "live_bytes"), 0u);
    EXPECT_GT(sum_for_function(report, "build_small", "live_bytes"), 5000u * 256);
    EXPECT_EQ(json_total(report, "peak_live_bytes"), peak);

    // The flame graph in peak view: build_big is there with its share, build_small is not.
    SvgDoc doc = parse_flamegraph(read_file(dir.file("peak.svg")));
    ASSERT_TRUE(doc.parsed) << doc.error;
    EXPECT_NE(doc.title.find("peak"), std::string::npos);
    ASSERT_EQ(doc.named("build_big").size(), 1u);
    EXPECT_NEAR(doc.named("build_big")[0].width, doc.usable_width() * double(big_peak) / double(peak), 1.0);
    EXPECT_TRUE(doc.named("build_small").empty());

    // SQL on the session says the same.
    CommandResult sql = run_command({"sqlite3", dir.file("s.db"),
                                     "SELECT sy.function FROM stacks s JOIN leaf_frames l ON l.stack_id = s.id"
                                     " JOIN symbols sy ON sy.id = l.symbol_id WHERE sy.kind = 'user'"
                                     " ORDER BY s.peak_live_bytes DESC LIMIT 1;"});
    EXPECT_EQ(sql.out, "build_big\n");
}

// 16,384 distinct call paths: the flame graph merges slivers so it stays a few
// thousand boxes, still adds up, and still renders in a browser.
TEST(RenderLarge, TenThousandStacksStayDrawable) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "--no-heap", "-o", dir.file("s.db"), "-o",
                                   dir.file("f.svg"), "--", "php8.2", "-n", php_script("many_stacks.php")});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    CommandResult count = run_command({"sqlite3", dir.file("s.db"), "SELECT count(*) FROM stacks;"});
    ASSERT_GE(std::stoul(count.out), 10000u) << count.out;

    const std::string svg = read_file(dir.file("f.svg"));
    EXPECT_LT(svg.size(), 3u << 20);
    SvgDoc doc = parse_flamegraph(svg);
    ASSERT_TRUE(doc.parsed) << doc.error;
    EXPECT_LT(doc.frames.size(), 8000u);
    for (const auto& f : doc.frames) ASSERT_GE(f.width, 0.49) << f.name;
    // Frames wide enough to keep their own box are exactly as wide as their bytes.
    CommandResult total = run_command({"sqlite3", dir.file("s.db"), "SELECT sum(alloc_bytes) FROM stacks;"});
    const double px_per_byte = doc.usable_width() / std::stod(total.out);
    for (const std::string name : {"left_0", "right_0", "right_1"}) {
        CommandResult bytes = run_command(
            {"sqlite3", dir.file("s.db"),
             "SELECT sum(alloc_bytes) FROM stacks WHERE id IN (SELECT f.stack_id FROM stack_frames f"
             " JOIN symbols sy ON sy.id = f.symbol_id WHERE sy.function = '" + name + "');"});
        double width = 0;
        for (const auto& f : doc.named(name)) width += f.width;
        EXPECT_NEAR(width, std::stod(bytes.out) * px_per_byte, 0.01) << name;
    }
    // The deepest levels (16,384 leaves of a few hundred bytes) are merged boxes.
    size_t merged = 0;
    for (const auto& f : doc.frames) merged += f.kind == "merged";
    EXPECT_GT(merged, 100u);
    EXPECT_TRUE(doc.named("str_repeat").empty());

    if (run_command({"sh", "-c", "command -v chromium"}).exit_code != 0) return;
    CommandResult dom = run_command({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                     "--no-first-run", "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync",
                                     "--user-data-dir=" + dir.file("chromium-profile"), "--dump-dom",
                                     "file://" + dir.file("f.svg") + "?s=^right_3$"});
    ASSERT_EQ(dom.exit_code, 0) << dom.err;
    SvgDoc rendered = parse_flamegraph(dom.out);
    ASSERT_TRUE(rendered.parsed) << rendered.error;
    EXPECT_EQ(rendered.root_attributes["data-ready"], std::to_string(doc.frames.size()));
    EXPECT_EQ(rendered.root_attributes["data-matched"], std::to_string(doc.named("right_3").size()));
}

// Two runs of the same script at different sizes: diff finds what grew.
TEST(RenderDiff, DiffOfTwoSessionsShowsTheGrowth) {
    PMT_REQUIRE_ROOT();
    TempDir dir;
    for (const auto& [scale, name] : {std::pair{"1", "a.db"}, std::pair{"2", "b.db"}}) {
        CommandResult r = run_command({phpmemtrace_binary(), "record", "-q", "-o", dir.file(name), "--", "php8.2",
                                       "-n", php_script("render_mix.php"), scale});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    CommandResult r = run_command({phpmemtrace_binary(), "diff", dir.file("a.db"), dir.file("b.db"), "--view", "live",
                                   "-o", dir.file("d.svg")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto grew = r.out.find("Stacks that grew");
    const auto shrank = r.out.find("Stacks that shrank");
    ASSERT_NE(grew, std::string::npos) << r.out;
    const std::string grew_part = r.out.substr(grew, shrank - grew);
    EXPECT_NE(grew_part.find("Catalog::load"), std::string::npos) << r.out;
    EXPECT_EQ(grew_part.find("build_index"), std::string::npos) << r.out;  // same size in both runs

    SvgDoc doc = parse_flamegraph(read_file(dir.file("d.svg")));
    ASSERT_TRUE(doc.parsed) << doc.error;
    ASSERT_FALSE(doc.named("Catalog::load").empty());
    EXPECT_EQ(parse_rgb(doc.named("Catalog::load")[0].fill).r, 255) << "grew: red";
}

// CLI errors: one line on stderr, non-zero exit. No tracing, so no root needed.
TEST(RenderCli, ErrorsAreOneLineAndNonZero) {
    TempDir dir;
    std::ofstream(dir.file("not-a-session.db")) << "{\"schema\": \"phpmemtrace/1\"}\n";
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"report", dir.file("missing.db"), "-o", dir.file("x.svg")}, "missing.db"},
        {{"report", dir.file("not-a-session.db"), "-o", dir.file("x.svg")}, "not a phpmemtrace session"},
        {{"report", dir.file("not-a-session.db"), "-o", dir.file("x.bmp")}, "unknown output format"},
        {{"diff", dir.file("missing.db"), dir.file("not-a-session.db")}, "missing.db"},
        {{"diff", dir.file("a.db"), dir.file("b.db"), "-o", dir.file("d.png")}, "unknown diff output format"},
    };
    for (const auto& [args, message] : cases) {
        std::vector<std::string> argv = {phpmemtrace_binary()};
        argv.insert(argv.end(), args.begin(), args.end());
        CommandResult r = run_command(argv);
        EXPECT_NE(r.exit_code, 0) << args[0] << " " << args[1];
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

}  // namespace
}  // namespace pmt::testing
