// The agent's pure parts: service names, the split of a profile by service,
// interval deltas, and the rotation of the profile files (real files in a temp
// folder, a planted symlink left alone).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/process_filter.h"
#include "agent/profile_files.h"
#include "agent/service_profiles.h"
#include "collect/collector.h"

namespace pmt {
namespace {

TEST(AgentServices, NamesFromTitles) {
    EXPECT_EQ(service_name("php-fpm: pool www", "/usr/sbin/php-fpm8.2"), "www");
    EXPECT_EQ(service_name("php-fpm: pool api-v2   ", "/usr/sbin/php-fpm8.2"), "api-v2");
    EXPECT_EQ(service_name("php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", "/usr/sbin/php-fpm8.2"),
              "php-fpm-master");
    EXPECT_EQ(service_name("php8.2 -n /srv/jobs/worker.php --queue=mail", "/usr/bin/php8.2"), "php8.2_worker.php");
    EXPECT_EQ(service_name("php8.2 -a", "/usr/bin/php8.2"), "php8.2");
    // A name goes into file names and labels: nothing else survives.
    EXPECT_EQ(service_name("php-fpm: pool ../../etc", "/usr/sbin/php-fpm8.2"), "_.._.._etc");
    EXPECT_EQ(safe_name(""), "_");
    EXPECT_EQ(safe_name(".hidden"), "_.hidden");
    EXPECT_EQ(safe_name("a/b c"), "a_b_c");
}

TEST(AgentServices, FilterByPidPoolAndExclude) {
    ProcessFilter f;
    PhpProcess p{42, "/usr/sbin/php-fpm8.2", "www", "php-fpm: pool www"};
    EXPECT_TRUE(f.accepts(p));
    f.pools = {"api"};
    EXPECT_FALSE(f.accepts(p));
    f.pools = {"api", "www"};
    EXPECT_TRUE(f.accepts(p));
    f.exclude = std::regex("pool w");
    EXPECT_FALSE(f.accepts(p));
    f.exclude.reset();
    f.pids = {7};
    EXPECT_FALSE(f.accepts(p));
    f.pids = {42};
    f.binary = "/usr/bin/php8.2";
    EXPECT_FALSE(f.accepts(p));
}

// Two services' stacks under their root frames, as the Collector makes them.
Profile two_services() {
    Profile p;
    auto sym = [&](FrameKind kind, const std::string& name) {
        p.symbols.push_back(Symbol{kind, name, std::nullopt, kind == FrameKind::User ? "/srv/a.php" : "", 0});
        return uint32_t(p.symbols.size() - 1);
    };
    const uint32_t www = sym(FrameKind::Pseudo, std::string(kServiceFramePrefix) + "www]");
    const uint32_t api = sym(FrameKind::Pseudo, std::string(kServiceFramePrefix) + "api]");
    const uint32_t main = sym(FrameKind::User, "{main}");
    const uint32_t load = sym(FrameKind::User, "load");
    StackStats a;
    a.alloc_count = 3;
    a.alloc_bytes = 3 * 8192;
    a.live_count = 1;
    a.live_bytes = 8192;
    StackStats b;
    b.alloc_count = 1;
    b.alloc_bytes = 4096;
    p.stacks.push_back(Stack{{Frame{www, 0}, Frame{main, 3}, Frame{load, 7}}, a});
    p.stacks.push_back(Stack{{Frame{api, 0}, Frame{main, 3}}, b});
    p.stacks.push_back(Stack{{Frame{main, 1}}, b});  // no service frame: left out
    return p;
}

TEST(AgentProfiles, SplitByServiceDropsTheRootFrame) {
    std::map<std::string, Profile> by;
    split_by_service(two_services(), by);
    ASSERT_EQ(by.size(), 2u);
    const Profile& www = by.at("www");
    ASSERT_EQ(www.stacks.size(), 1u);
    ASSERT_EQ(www.stacks[0].frames.size(), 2u);
    EXPECT_EQ(www.symbols.at(www.stacks[0].frames[0].symbol).function, "{main}");
    EXPECT_EQ(www.symbols.at(www.stacks[0].frames[1].symbol).function, "load");
    EXPECT_EQ(www.stacks[0].frames[1].line, 7u);
    EXPECT_EQ(www.stacks[0].stats.alloc_bytes, 3u * 8192);
    EXPECT_EQ(by.at("api").stacks.at(0).stats.alloc_count, 1u);
}

TEST(AgentProfiles, IntervalsCountOnlyWhatIsNew) {
    IntervalDeltas deltas;
    std::map<std::string, Profile> first;
    split_by_service(two_services(), first);
    deltas.to_interval("www", first["www"]);
    EXPECT_EQ(first["www"].stacks.at(0).stats.alloc_count, 3u);  // all of it is new
    Profile later = two_services();
    later.stacks[0].stats.alloc_count = 5;
    later.stacks[0].stats.alloc_bytes = 5 * 8192;
    std::map<std::string, Profile> second;
    split_by_service(later, second);
    deltas.to_interval("www", second["www"]);
    ASSERT_EQ(second["www"].stacks.size(), 1u);
    EXPECT_EQ(second["www"].stacks[0].stats.alloc_count, 2u);
    EXPECT_EQ(second["www"].stacks[0].stats.alloc_bytes, 2u * 8192);
    EXPECT_EQ(second["www"].stacks[0].stats.live_bytes, 8192u);  // held: a level, not a change
    // Nothing new and nothing held: the stack is left out of the interval.
    std::map<std::string, Profile> third;
    split_by_service(two_services(), third);
    deltas.to_interval("api", third["api"]);
    std::map<std::string, Profile> fourth;
    split_by_service(two_services(), fourth);
    deltas.to_interval("api", fourth["api"]);
    EXPECT_TRUE(fourth["api"].stacks.empty());
}

class ProfileRotation : public ::testing::Test {
protected:
    void SetUp() override {
        char templ[] = "/tmp/pmt-agent-XXXXXX";
        ASSERT_TRUE(mkdtemp(templ));
        dir_ = templ;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    size_t count(const std::string& prefix) const {
        size_t n = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir_))
            n += e.path().filename().string().rfind(prefix, 0) == 0;
        return n;
    }
    std::string dir_;
};

TEST_F(ProfileRotation, KeepsTheNewestPerServiceAndLeavesLinksAlone) {
    const std::string victim = dir_ + "/victim";
    std::ofstream(victim) << "keep me";
    // A link with a name of ours: rotation must neither follow nor remove it.
    ASSERT_EQ(symlink(victim.c_str(), (dir_ + "/www-20000101T000000.000Z.pb.gz").c_str()), 0);
    ProfileFiles files(ProfileFilesOptions{dir_, 3, 1ull << 30});
    ASSERT_TRUE(files.check());
    Profile empty;
    empty.started_at = "2026-01-01T00:00:00Z";
    for (int i = 0; i < 5; ++i) {
        auto path = files.write("www", empty, 1767225600000 + i * 1000);
        ASSERT_TRUE(path) << path.error().message;
        EXPECT_NE(path->find("www-20260101T0000"), std::string::npos) << *path;
    }
    ASSERT_TRUE(files.write("api", empty, 1767225600000));
    EXPECT_EQ(count("www-2026"), 3u);
    EXPECT_EQ(count("api-"), 1u);
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/www-20260101T000004.000Z.pb.gz"));
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/www-20260101T000000.000Z.pb.gz"));
    EXPECT_TRUE(std::filesystem::is_symlink(dir_ + "/www-20000101T000000.000Z.pb.gz"));
    std::ifstream in(victim);
    std::string text;
    std::getline(in, text);
    EXPECT_EQ(text, "keep me");
}

TEST_F(ProfileRotation, BoundsTheFolderInBytes) {
    ProfileFiles files(ProfileFilesOptions{dir_, 100, 1});  // any two files are over the bound
    Profile empty;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(files.write(i % 2 ? "a" : "b", empty, 1767225600000 + i * 1000));
    EXPECT_EQ(count("a-") + count("b-"), 1u);  // the newest stays even past the bound
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/b-20260101T000002.000Z.pb.gz"));
}

TEST(ProfileFilesCheck, RefusesAMissingFolder) {
    ProfileFiles files(ProfileFilesOptions{"/nonexistent/pmt-agent", 3, 1});
    auto s = files.check();
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("not a folder"), std::string::npos);
}

}  // namespace
}  // namespace pmt
