// write_output() picks the renderer from the extension, for record -o and report -o.
#include <gtest/gtest.h>

#include "render_fixtures.h"
#include "report/output_writer.h"
#include "store/session_store.h"

namespace pmt {
namespace {

TEST(OutputFormats, EveryExtensionWritesItsFormat) {
    testing::TempDir dir;
    const Profile p = testing::small_profile();
    for (const char* name : {"o.json", "o.folded", "o.txt", "o.svg", "o.pb.gz", "o.db"}) {
        ASSERT_TRUE(write_output(p, dir.file(name), View::Live).ok()) << name;
    }
    EXPECT_EQ(testing::read_file(dir.file("o.svg")).rfind("<?xml", 0), 0u);
    const std::string gz = testing::read_file(dir.file("o.pb.gz"));
    ASSERT_GE(gz.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);  // gzip magic
    EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
    EXPECT_EQ(testing::read_file(dir.file("o.db")).rfind("SQLite format 3", 0), 0u);
    auto loaded = load_session(dir.file("o.db"));
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->stacks.size(), p.stacks.size());
}

TEST(OutputFormats, UnknownExtensionIsAnError) {
    testing::TempDir dir;
    EXPECT_FALSE(is_supported_output("x.bmp"));
    EXPECT_TRUE(is_supported_output("x.pb.gz"));
    auto s = write_output(testing::small_profile(), dir.file("x.bmp"), View::Alloc);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find(".svg"), std::string::npos) << s.error().message;
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.bmp")));
}

// report re-renders from a session: the JSON of the loaded profile is the JSON
// of the original, byte for byte.
TEST(OutputFormats, JsonFromASessionIsTheSame) {
    testing::TempDir dir;
    const Profile p = testing::small_profile();
    ASSERT_TRUE(write_output(p, dir.file("direct.json"), View::Alloc).ok());
    ASSERT_TRUE(write_output(p, dir.file("s.db"), View::Alloc).ok());
    auto loaded = load_session(dir.file("s.db"));
    ASSERT_TRUE(loaded.ok());
    ASSERT_TRUE(write_output(*loaded, dir.file("again.json"), View::Alloc).ok());
    EXPECT_EQ(testing::read_file(dir.file("direct.json")), testing::read_file(dir.file("again.json")));
}

}  // namespace
}  // namespace pmt
