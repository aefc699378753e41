// The bounded lists a long session keeps its timeline in (util/bounded_lists.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "util/bounded_lists.h"

namespace pmt {
namespace {

TEST(BoundedLists, SeriesKeepsEverythingUntilFull) {
    ThinnedSeries<int> s(8);
    for (int i = 0; i < 8; ++i) EXPECT_TRUE(s.push(i));
    EXPECT_EQ(s.items(), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(s.stride(), 1u);
    EXPECT_EQ(s.dropped(), 0u);
}

TEST(BoundedLists, SeriesThinsToEvenSpacingOverTheWholeRun) {
    ThinnedSeries<int> s(8);
    for (int i = 0; i < 9; ++i) s.push(i);
    // Full at 8: every other one dropped, the 9th is the next on a spacing of 2.
    EXPECT_EQ(s.items(), (std::vector<int>{0, 2, 4, 6, 8}));
    EXPECT_EQ(s.stride(), 2u);
    EXPECT_EQ(s.dropped(), 4u);

    for (int i = 9; i < 1000; ++i) s.push(i);
    const std::vector<int>& v = s.items();
    ASSERT_GE(v.size(), 4u);
    ASSERT_LE(v.size(), 8u);
    EXPECT_EQ(v.front(), 0);  // the start of the run is still there
    const int spacing = v[1] - v[0];
    EXPECT_EQ(uint64_t(spacing), s.stride());
    for (size_t i = 1; i < v.size(); ++i) EXPECT_EQ(v[i] - v[i - 1], spacing) << i;
    EXPECT_GT(v.back(), 999 - spacing);  // and so is its end, to within one spacing
    EXPECT_EQ(s.offered(), 1000u);
    EXPECT_EQ(s.dropped() + v.size(), 1000u);
}

TEST(BoundedLists, SeriesNeverExceedsItsCapacity) {
    for (size_t cap : {0u, 1u, 2u, 3u, 7u, 100u}) {
        ThinnedSeries<uint64_t> s(cap);
        for (uint64_t i = 0; i < 100000; ++i) {
            s.push(i);
            ASSERT_LE(s.size(), s.capacity()) << cap;
        }
        EXPECT_GE(s.capacity(), cap);
        EXPECT_LE(s.capacity(), cap + 2);
        EXPECT_GE(s.size(), s.capacity() / 2) << cap;
        EXPECT_EQ(s.items().front(), 0u);
    }
}

struct Request {
    std::string name;
    uint64_t peak;
};
auto by_peak = [](const Request& r) { return r.peak; };

std::vector<std::string> names(const std::vector<Request>& v) {
    std::vector<std::string> out;
    for (const auto& r : v) out.push_back(r.name);
    return out;
}

TEST(BoundedLists, HighestNKeepsTheGreatestInTheOrderOffered) {
    HighestN<Request, decltype(by_peak)> h(3, by_peak);
    EXPECT_TRUE(h.push({"a", 5}));
    EXPECT_TRUE(h.push({"b", 1}));
    EXPECT_TRUE(h.push({"c", 9}));
    EXPECT_TRUE(h.push({"d", 7}));   // replaces b
    EXPECT_FALSE(h.push({"e", 2}));
    EXPECT_TRUE(h.push({"f", 6}));   // replaces a
    EXPECT_EQ(names(h.items()), (std::vector<std::string>{"c", "d", "f"}));
    EXPECT_EQ(h.offered(), 6u);
    EXPECT_EQ(h.not_kept(), 3u);
}

TEST(BoundedLists, HighestNTiesKeepTheEarlier) {
    HighestN<Request, decltype(by_peak)> h(2, by_peak);
    h.push({"a", 4});
    h.push({"b", 4});
    EXPECT_FALSE(h.push({"c", 4}));
    h.push({"d", 3});
    EXPECT_EQ(names(h.items()), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(h.push({"e", 5}));  // the later of the two equal ones goes
    EXPECT_EQ(names(h.items()), (std::vector<std::string>{"a", "e"}));
    EXPECT_EQ(h.not_kept(), 3u);
}

TEST(BoundedLists, HighestNMatchesSortingOnManyElements) {
    HighestN<Request, decltype(by_peak)> h(50, by_peak);
    std::vector<Request> all;
    uint64_t x = 12345;
    for (int i = 0; i < 5000; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        all.push_back({std::to_string(i), (x >> 33) % 700});  // many equal peaks
        h.push(all.back());
    }
    std::vector<Request> expect = all;
    std::stable_sort(expect.begin(), expect.end(), [](const auto& a, const auto& b) { return a.peak > b.peak; });
    expect.resize(50);
    std::stable_sort(expect.begin(), expect.end(), [](const auto& a, const auto& b) { return std::stoi(a.name) < std::stoi(b.name); });
    EXPECT_EQ(names(h.items()), names(expect));
    EXPECT_EQ(h.not_kept(), 4950u);
}

TEST(BoundedLists, HighestNOfNothing) {
    HighestN<Request, decltype(by_peak)> h(0, by_peak);
    EXPECT_FALSE(h.push({"a", 1}));
    EXPECT_TRUE(h.items().empty());
    EXPECT_EQ(h.not_kept(), 1u);
}

}  // namespace
}  // namespace pmt
