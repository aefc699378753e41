// util/output_file.h without privileges: the rename never follows a link, an
// unfinished file leaves nothing behind, and sizes parse strictly.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "render_fixtures.h"
#include "util/output_file.h"

namespace pmt {
namespace {

using testing::TempDir;

std::string contents(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(OutputFile, ReplacesALinkAndLeavesItsTargetAlone) {
    TempDir dir;
    { std::ofstream(dir.file("victim")) << "keep"; }
    ASSERT_EQ(symlink(dir.file("victim").c_str(), dir.file("out.txt").c_str()), 0);
    ASSERT_TRUE(write_output_file(dir.file("out.txt"), OutputAccess::Private, [](std::ostream& o) { o << "new"; }));
    EXPECT_EQ(contents(dir.file("victim")), "keep");
    EXPECT_EQ(contents(dir.file("out.txt")), "new");
    struct stat st {};
    ASSERT_EQ(lstat(dir.file("out.txt").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(OutputFile, AnUncommittedFileLeavesThePreviousOneAndNoTemp) {
    TempDir dir;
    { std::ofstream(dir.file("out.txt")) << "previous"; }
    {
        auto file = OutputFile::create(dir.file("out.txt"), OutputAccess::Shared);
        ASSERT_TRUE(file);
        (*file)->stream() << "half";
        EXPECT_TRUE(std::filesystem::exists((*file)->temp_path()));
    }
    EXPECT_EQ(contents(dir.file("out.txt")), "previous");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("")), {}), 1);
}

TEST(OutputFile, PathChecksSayWhy) {
    TempDir dir;
    EXPECT_TRUE(check_output_path(dir.file("fine.json")));
    EXPECT_NE(check_output_path(dir.file("none/x.json")).error().message.find("No such file"), std::string::npos);
    EXPECT_NE(check_output_path("/proc/x.json").error().message.find("kernel interface"), std::string::npos);
    EXPECT_NE(check_output_path(dir.file(".")).error().message.find("is a folder"), std::string::npos);
}

TEST(ParseBytes, StrictSizes) {
    EXPECT_EQ(cli::parse_bytes("65536"), 65536u);
    EXPECT_EQ(cli::parse_bytes("512K"), 512u << 10);
    EXPECT_EQ(cli::parse_bytes("8m"), 8u << 20);
    EXPECT_EQ(cli::parse_bytes("1G"), 1ull << 30);
    for (const char* bad : {"", "-1M", "-1", " 1", "1X", "1.5M", "99999999999999999999", "17179869184G", "M"})
        EXPECT_FALSE(cli::parse_bytes(bad)) << bad;
}

}  // namespace
}  // namespace pmt
