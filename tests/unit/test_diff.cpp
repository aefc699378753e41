// Diffs match stacks by meaning (names and files), not by symbol ids or lines.
#include <gtest/gtest.h>

#include <sstream>

#include "render_fixtures.h"
#include "report/diff.h"

namespace pmt {
namespace {

// The same code traced again: symbols in another order, lines moved, one stack
// grown, one shrunk, one new, one gone.
Profile reordered_after(const Profile& before) {
    Profile after;
    after.target.pid = 777;
    after.symbols = {before.symbols[4], before.symbols[2], before.symbols[0], before.symbols[1],
                     before.symbols[3], Symbol{FrameKind::User, "newfn", std::nullopt, "/srv/new.php", 1}};
    // new ids: draw=0, str_repeat=1, main=2, load=3, render=4, newfn=5
    auto stack = [](std::vector<Frame> frames, uint64_t alloc) {
        Stack s;
        s.frames = std::move(frames);
        s.stats.alloc_bytes = alloc;
        s.stats.alloc_count = 1;
        return s;
    };
    after.stacks = {
        stack({{2, 99}, {3, 98}, {1, 0}}, 9000),  // main>load>str_repeat: 6000 -> 9000
        stack({{2, 99}, {4, 98}, {0, 97}}, 500),   // main>render>draw: 2000 -> 500
        stack({{2, 99}, {5, 1}}, 700),             // new
        stack({{2, 98}, {3, 97}}, 1000),           // main>load unchanged
    };
    return after;
}

const StackDiff* find(const ProfileDiff& d, const std::string& leaf, size_t depth) {
    for (const auto& s : d.stacks)
        if (s.frames.size() == depth && s.frames.back().name == leaf) return &s;
    return nullptr;
}

TEST(Diff, MatchesStacksByNamesNotIds) {
    const Profile before = testing::small_profile();
    const ProfileDiff d = diff_profiles(before, reordered_after(before), "a.db", "b.db");
    const StackDiff* str_repeat = find(d, "str_repeat", 3);
    ASSERT_NE(str_repeat, nullptr);
    EXPECT_EQ(str_repeat->before.alloc_bytes, 6000u);
    EXPECT_EQ(str_repeat->after.alloc_bytes, 9000u);
    EXPECT_EQ(stack_delta(*str_repeat, View::Alloc), 3000);

    const StackDiff* draw = find(d, "App\\View::draw", 3);
    ASSERT_NE(draw, nullptr);
    EXPECT_EQ(stack_delta(*draw, View::Alloc), -1500);

    const StackDiff* load = find(d, "load", 2);
    ASSERT_NE(load, nullptr);
    EXPECT_EQ(stack_delta(*load, View::Alloc), 0);

    const StackDiff* added = find(d, "newfn", 2);
    ASSERT_NE(added, nullptr);
    EXPECT_EQ(added->before.alloc_bytes, 0u);
    const StackDiff* gone = find(d, "[startup]", 1);
    ASSERT_NE(gone, nullptr);
    EXPECT_EQ(gone->after.alloc_bytes, 0u);
    EXPECT_EQ(d.stacks.size(), 6u);  // 5 before + 1 new
}

TEST(Diff, SameFunctionNameInAnotherFileIsAnotherFrame) {
    Profile before = testing::small_profile();
    Profile after = before;
    after.symbols[1].file = "/srv/other.php";  // "load" moved to another file
    const ProfileDiff d = diff_profiles(before, after);
    EXPECT_EQ(d.stacks.size(), before.stacks.size() + 2);  // both load stacks differ
}

TEST(Diff, TableListsGrowthAndShrink) {
    const Profile before = testing::small_profile();
    std::ostringstream out;
    write_diff_table(diff_profiles(before, reordered_after(before), "a.db", "b.db"), View::Alloc, out);
    const std::string text = out.str();
    // 9800 -> 11200 bytes in total
    EXPECT_NE(text.find("total: 9.57 KiB -> 10.9 KiB (+1.37 KiB)"), std::string::npos) << text;
    const auto grew = text.find("Stacks that grew");
    const auto shrank = text.find("Stacks that shrank");
    ASSERT_NE(grew, std::string::npos);
    ASSERT_NE(shrank, std::string::npos);
    const std::string grew_part = text.substr(grew, shrank - grew);
    EXPECT_NE(grew_part.find("+2.93 KiB  str_repeat <- load <- {main}"), std::string::npos) << text;
    EXPECT_NE(grew_part.find("newfn"), std::string::npos);
    EXPECT_EQ(grew_part.find("App\\View::draw"), std::string::npos);
    const std::string shrank_part = text.substr(shrank, text.find("Functions that grew") - shrank);
    EXPECT_NE(shrank_part.find("App\\View::draw"), std::string::npos) << text;
    EXPECT_NE(shrank_part.find("[startup]"), std::string::npos);
}

}  // namespace
}  // namespace pmt
