// The dominator tree and retained sizes (userspace/snapshot/dominators.cpp): on
// small graphs worked out by hand, and on random graphs against the definition
// itself (d dominates v when v cannot be reached from 0 without passing d).
#include <gtest/gtest.h>

#include <random>

#include "snapshot/dominators.h"

namespace pmt {
namespace {

using Edges = std::vector<std::pair<uint32_t, uint32_t>>;

TEST(Dominators, DiamondAndTail) {
    // 0 -> 1 -> 3 -> 4, 0 -> 2 -> 3; node 5 unreached.
    const Edges edges = {{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}};
    const auto tree = immediate_dominators(6, edges);
    EXPECT_EQ(tree.idom, (std::vector<uint32_t>{0, 0, 0, 0, 3, kNoDominator}));
    const auto r = retained_sizes(tree, {0, 10, 20, 30, 40, 50});
    EXPECT_EQ(r[0].bytes, 100u);  // everything reached, not the unreached 50
    EXPECT_EQ(r[0].nodes, 5u);
    EXPECT_EQ(r[1].bytes, 10u);   // 3 is also held through 2
    EXPECT_EQ(r[3].bytes, 70u);
    EXPECT_EQ(r[3].nodes, 2u);
    EXPECT_EQ(r[5].bytes, 50u);   // an unreached node retains itself
}

TEST(Dominators, CyclesAndSelfLoops) {
    // 0 -> 1 <-> 2 -> 3 -> 3, and 2 -> 1 again.
    const Edges edges = {{0, 1}, {1, 2}, {2, 1}, {2, 3}, {3, 3}, {2, 1}};
    const auto tree = immediate_dominators(4, edges);
    EXPECT_EQ(tree.idom, (std::vector<uint32_t>{0, 0, 1, 2}));
    const auto r = retained_sizes(tree, {0, 1, 2, 4});
    EXPECT_EQ(r[1].bytes, 7u);
    EXPECT_EQ(r[2].bytes, 6u);
}

TEST(Dominators, DeepChainNeedsNoRecursion) {
    constexpr uint32_t kNodes = 1'000'000;
    Edges edges;
    for (uint32_t v = 0; v + 1 < kNodes; ++v) edges.emplace_back(v, v + 1);
    const auto tree = immediate_dominators(kNodes, edges);
    EXPECT_EQ(tree.idom[kNodes - 1], kNodes - 2);
    const auto r = retained_sizes(tree, std::vector<uint64_t>(kNodes, 1));
    EXPECT_EQ(r[0].bytes, kNodes);
    EXPECT_EQ(r[kNodes / 2].bytes, kNodes - kNodes / 2);
}

// Reachable from 0 when `removed` is taken out (removed = kNoDominator: none).
std::vector<bool> reachable(uint32_t n, const Edges& edges, uint32_t removed) {
    std::vector<bool> seen(n, false);
    if (removed == 0) return seen;
    std::vector<uint32_t> stack{0};
    seen[0] = true;
    while (!stack.empty()) {
        const uint32_t v = stack.back();
        stack.pop_back();
        for (const auto& [a, b] : edges)
            if (a == v && b != removed && !seen[b]) {
                seen[b] = true;
                stack.push_back(b);
            }
    }
    return seen;
}

TEST(Dominators, RandomGraphsAgreeWithTheDefinition) {
    std::mt19937 rng(16);
    for (int round = 0; round < 300; ++round) {
        const uint32_t n = 2 + rng() % 25;
        Edges edges;
        for (uint32_t e = 0, m = rng() % (3 * n); e < m; ++e) edges.emplace_back(rng() % n, rng() % n);
        const auto tree = immediate_dominators(n, edges);
        const auto all = reachable(n, edges, kNoDominator);
        // dominates[d][v]: removing d cuts v off.
        std::vector<std::vector<bool>> cut(n);
        for (uint32_t d = 0; d < n; ++d) cut[d] = reachable(n, edges, d);
        for (uint32_t v = 1; v < n; ++v) {
            if (!all[v]) {
                EXPECT_EQ(tree.idom[v], kNoDominator);
                continue;
            }
            const uint32_t d = tree.idom[v];
            ASSERT_LT(d, n);
            EXPECT_NE(d, v);
            EXPECT_FALSE(cut[d][v]) << "round " << round << ": " << d << " does not dominate " << v;
            // Every other strict dominator of v dominates d: d is the closest.
            for (uint32_t o = 0; o < n; ++o)
                if (o != v && o != d && !cut[o][v]) EXPECT_FALSE(cut[o][d]) << "round " << round << " v " << v;
        }
        // Retained counts: each reached node is counted once, in the root's total.
        const auto r = retained_sizes(tree, std::vector<uint64_t>(n, 1));
        uint64_t reached = 0;
        for (uint32_t v = 0; v < n; ++v) reached += all[v];
        EXPECT_EQ(r[0].nodes, reached);
    }
}

}  // namespace
}  // namespace pmt
