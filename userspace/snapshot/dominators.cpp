#include "snapshot/dominators.h"

namespace pmt {
namespace {

// Compressed adjacency: the targets of node v are at [start[v], start[v + 1]).
struct Adjacency {
    std::vector<uint32_t> start, target;
    Adjacency(uint32_t nodes, const std::vector<std::pair<uint32_t, uint32_t>>& edges, bool reverse)
        : start(nodes + 1, 0), target(edges.size()) {
        for (const auto& [a, b] : edges) start[(reverse ? b : a) + 1]++;
        for (uint32_t v = 0; v < nodes; ++v) start[v + 1] += start[v];
        std::vector<uint32_t> fill(start.begin(), start.end() - 1);
        for (const auto& [a, b] : edges) target[fill[reverse ? b : a]++] = reverse ? a : b;
    }
};

// Postorder numbers from node 0, with an explicit stack (the heap's graphs are
// deep: a linked list of a million nodes).
std::vector<uint32_t> postorder(uint32_t nodes, const Adjacency& succ, std::vector<uint32_t>& number) {
    std::vector<uint32_t> order;
    number.assign(nodes, kNoDominator);
    std::vector<bool> seen(nodes, false);
    std::vector<std::pair<uint32_t, uint32_t>> stack{{0, succ.start[0]}};  // node, next edge
    seen[0] = true;
    while (!stack.empty()) {
        auto& [v, next] = stack.back();
        if (next < succ.start[v + 1]) {
            const uint32_t w = succ.target[next++];
            if (!seen[w]) {
                seen[w] = true;
                stack.emplace_back(w, succ.start[w]);
            }
            continue;
        }
        number[v] = static_cast<uint32_t>(order.size());
        order.push_back(v);
        stack.pop_back();
    }
    return order;
}

}  // namespace

DominatorTree immediate_dominators(uint32_t nodes, const std::vector<std::pair<uint32_t, uint32_t>>& edges) {
    DominatorTree tree;
    std::vector<uint32_t>& idom = tree.idom;
    idom.assign(nodes, kNoDominator);
    if (nodes == 0) return tree;
    const Adjacency succ(nodes, edges, false), pred(nodes, edges, true);
    std::vector<uint32_t> number;
    tree.postorder = postorder(nodes, succ, number);
    const std::vector<uint32_t>& order = tree.postorder;
    auto intersect = [&](uint32_t a, uint32_t b) {
        while (a != b) {
            while (number[a] < number[b]) a = idom[a];
            while (number[b] < number[a]) b = idom[b];
        }
        return a;
    };
    idom[0] = 0;
    for (bool changed = true; changed;) {
        changed = false;
        for (auto it = order.rbegin(); it != order.rend(); ++it) {  // reverse postorder
            const uint32_t v = *it;
            if (v == 0) continue;
            uint32_t best = kNoDominator;
            for (uint32_t e = pred.start[v]; e < pred.start[v + 1]; ++e) {
                const uint32_t p = pred.target[e];
                if (idom[p] == kNoDominator) continue;
                best = best == kNoDominator ? p : intersect(p, best);
            }
            if (best != idom[v]) {
                idom[v] = best;
                changed = true;
            }
        }
    }
    return tree;
}

std::vector<Retained> retained_sizes(const DominatorTree& tree, const std::vector<uint64_t>& size) {
    std::vector<Retained> r(tree.idom.size());
    for (uint32_t v = 0; v < r.size(); ++v) r[v] = Retained{size[v], 1};
    // A node's immediate dominator is its ancestor in the depth-first tree, so it
    // comes later in postorder: each node is summed into it after all of its own.
    for (uint32_t v : tree.postorder)
        if (v != 0) {
            r[tree.idom[v]].bytes += r[v].bytes;
            r[tree.idom[v]].nodes += r[v].nodes;
        }
    return r;
}

}  // namespace pmt
