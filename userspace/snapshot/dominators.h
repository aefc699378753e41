// Immediate dominators of a directed graph from node 0, by the iterative
// algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast Dominance
// Algorithm", 2001), and the retained sizes they give: a node's own size plus
// that of every node it dominates (what freeing it would free).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace pmt {

constexpr uint32_t kNoDominator = UINT32_MAX;

struct DominatorTree {
    std::vector<uint32_t> idom;       // idom[0] = 0; kNoDominator: not reached from 0
    std::vector<uint32_t> postorder;  // the reached nodes, each after all it dominates
};
DominatorTree immediate_dominators(uint32_t nodes, const std::vector<std::pair<uint32_t, uint32_t>>& edges);

struct Retained {
    uint64_t bytes = 0;
    uint64_t nodes = 0;
};
// Sums `size` up the dominator tree. Unreached nodes retain only themselves.
std::vector<Retained> retained_sizes(const DominatorTree& tree, const std::vector<uint64_t>& size);

}  // namespace pmt
