// The pprof output, read back by `go tool pprof` (an independent reader) and by
// the generated message classes for the fields pprof does not print.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "pprof_profile.pb.h"
#include "pprof_raw.h"
#include "render_fixtures.h"
#include "report/pprof_writer.h"

namespace pmt {
namespace {

std::string write_pprof_file(const Profile& p, const testing::TempDir& dir) {
    const std::string path = dir.file("profile.pb.gz");
    std::ofstream out(path, std::ios::binary);
    EXPECT_TRUE(write_pprof(p, out).ok());
    return path;
}

testing::PprofRaw go_pprof_raw(const std::string& path) {
    int rc = 0;
    std::string output = testing::run_command("go tool pprof -raw '" + path + "' 2>&1", rc);
    if (rc != 0) return testing::PprofRaw{false, output, {}, {}, {}};
    return testing::parse_pprof_raw(output);
}

std::string gunzip(const std::string& data) {
    z_stream zs{};
    EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
    std::string out;
    char buf[65536];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    int rc;
    do {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
    } while (rc == Z_OK);
    inflateEnd(&zs);
    EXPECT_EQ(rc, Z_STREAM_END);
    return out;
}

TEST(PprofWriter, GoToolPprofReadsTheSameTotals) {
    if (!testing::have_command("go")) GTEST_SKIP() << "go (Debian golang-go) is not installed";
    testing::TempDir dir;
    const Profile p = testing::small_profile();
    auto raw = go_pprof_raw(write_pprof_file(p, dir));
    ASSERT_TRUE(raw.ok) << raw.output;

    ASSERT_GE(raw.sample_types.size(), 4u);
    EXPECT_EQ(raw.sample_types[0], "alloc_objects/count");
    EXPECT_EQ(raw.sample_types[1], "alloc_space/bytes");
    EXPECT_EQ(raw.sample_types[2], "inuse_objects/count");
    EXPECT_EQ(raw.sample_types[3], "inuse_space/bytes[dflt]");

    int64_t alloc_count = 0, alloc_bytes = 0, live_count = 0, live_bytes = 0, peak_bytes = 0;
    for (const Stack& s : p.stacks) {
        alloc_count += s.stats.alloc_count;
        alloc_bytes += s.stats.alloc_bytes;
        live_count += s.stats.live_count;
        live_bytes += s.stats.live_bytes;
        peak_bytes += s.stats.peak_live_bytes;
    }
    EXPECT_EQ(raw.total("alloc_objects/count"), alloc_count);
    EXPECT_EQ(raw.total("alloc_space/bytes"), alloc_bytes);
    EXPECT_EQ(raw.total("inuse_objects/count"), live_count);
    EXPECT_EQ(raw.total("inuse_space/bytes"), live_bytes);
    EXPECT_EQ(raw.total("peak_space/bytes"), peak_bytes);
    EXPECT_EQ(raw.samples.size(), p.stacks.size());

    // Functions carry qualified names, files and lines.
    auto has_location = [&](const std::string& text) {
        for (const auto& l : raw.location_lines)
            if (l.find(text) != std::string::npos) return true;
        return false;
    };
    EXPECT_TRUE(has_location("load /srv/lib.php:12")) << raw.output;
    EXPECT_TRUE(has_location("App\\View::draw /srv/View.php:7")) << raw.output;
    EXPECT_TRUE(has_location("str_repeat")) << raw.output;
}

TEST(PprofWriter, GoToolPprofTopShowsFunctions) {
    if (!testing::have_command("go")) GTEST_SKIP() << "go (Debian golang-go) is not installed";
    testing::TempDir dir;
    const std::string path = write_pprof_file(testing::small_profile(), dir);
    int rc = 0;
    std::string top = testing::run_command("go tool pprof -top -sample_index=alloc_space '" + path + "' 2>&1", rc);
    ASSERT_EQ(rc, 0) << top;
    EXPECT_NE(top.find("Type: alloc_space"), std::string::npos) << top;
    // str_repeat allocated 6000 of 9800 bytes itself: the top line.
    EXPECT_NE(top.find("61.22%"), std::string::npos) << top;
    EXPECT_NE(top.find("str_repeat"), std::string::npos) << top;
}

TEST(PprofWriter, StacksAreLeafFirstWithResolvedMapping) {
    testing::TempDir dir;
    const Profile p = testing::small_profile();
    pprof::Profile decoded;
    ASSERT_TRUE(decoded.ParseFromString(gunzip(testing::read_file(write_pprof_file(p, dir)))));
    ASSERT_EQ(decoded.string_table(0), "");
    ASSERT_EQ(decoded.sample_size(), 5);
    // First stack: {main} -> load -> str_repeat; pprof wants the leaf first.
    const auto& sample = decoded.sample(0);
    ASSERT_EQ(sample.location_id_size(), 3);
    auto function_name = [&](uint64_t location_id) {
        for (const auto& loc : decoded.location())
            if (loc.id() == location_id)
                for (const auto& fn : decoded.function())
                    if (fn.id() == loc.line(0).function_id()) return decoded.string_table(fn.name());
        return std::string("?");
    };
    EXPECT_EQ(function_name(sample.location_id(0)), "str_repeat");
    EXPECT_EQ(function_name(sample.location_id(2)), "{main}");
    ASSERT_EQ(decoded.mapping_size(), 1);
    EXPECT_TRUE(decoded.mapping(0).has_functions());
    EXPECT_EQ(decoded.duration_nanos(), 1250000000);
    EXPECT_EQ(decoded.time_nanos(), int64_t{1795246642} * 1000000000 + 500000000);  // 2026-11-21T07:37:22.5Z
}

// A session file's start time is text: dates past int64 nanoseconds (April 2262)
// have no time_nanos (fuzz_session: year 3026 overflowed the product, UBSan).
TEST(PprofWriter, StartTimesPastInt64NanosecondsAreLeftOut) {
    testing::TempDir dir;
    for (const auto& [started_at, nanos] : std::vector<std::pair<std::string, int64_t>>{
             {"2262-04-11T23:47:15Z", int64_t{9223372035} * 1000000000},
             {"2262-04-11T23:47:16Z", 0},
             {"3026-12-02T00:08:42Z", 0},
             {"9999-12-31T23:59:59.9Z", 0}}) {
        Profile p = testing::small_profile();
        p.started_at = started_at;
        pprof::Profile decoded;
        ASSERT_TRUE(decoded.ParseFromString(gunzip(testing::read_file(write_pprof_file(p, dir)))));
        EXPECT_EQ(decoded.time_nanos(), nanos) << started_at;
    }
}

TEST(PprofWriter, LargeProfileTotalsSurvive) {
    if (!testing::have_command("go")) GTEST_SKIP() << "go (Debian golang-go) is not installed";
    testing::TempDir dir;
    const Profile p = testing::large_profile(10000);
    int64_t bytes = 0;
    for (const Stack& s : p.stacks) bytes += s.stats.alloc_bytes;
    auto raw = go_pprof_raw(write_pprof_file(p, dir));
    ASSERT_TRUE(raw.ok) << raw.output.substr(0, 2000);
    EXPECT_EQ(raw.total("alloc_space/bytes"), bytes);
}

}  // namespace
}  // namespace pmt
