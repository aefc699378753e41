#include "snapshot/snapshot_flame.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "report/flamegraph_svg.h"
#include "snapshot/reachability.h"

namespace pmt {
namespace {

class TreeBuilder {
public:
    TreeBuilder(const Reachability& r, uint64_t min_value) : r_(r), min_value_(min_value) {
        const auto& idom = r.dominators.idom;
        children_.resize(idom.size());
        for (uint32_t v = 1; v < idom.size(); ++v)
            if (idom[v] != kNoDominator && r.graph->nodes()[v].kind != NodeKind::Unreached)
                children_[idom[v]].push_back(v);
        for (auto& list : children_)
            std::sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
                return r.retained[a].bytes != r.retained[b].bytes ? r.retained[a].bytes > r.retained[b].bytes : a < b;
            });
    }

    // The roots' boxes under `into`: each cycle-garbage object is a root of its own
    // (heap_graph.cpp), so they are gathered by class, one box for each.
    void add_roots(FlameNode& into) const {
        std::vector<uint32_t> roots;
        std::map<std::string, std::vector<uint32_t>> garbage;
        for (uint32_t v : children_[kSuperRoot]) {
            const GraphNode& g = r_.graph->nodes()[v];
            if (g.garbage && g.parent == kSuperRoot)
                garbage[r_.graph->class_name(g.ce)].push_back(v);
            else
                roots.push_back(v);
        }
        add(roots, into, 1);
        for (const auto& [name, objects] : garbage) {
            FlameNode box;
            box.name = "[cycle garbage: " + name + "]";
            box.kind = FrameKind::Pseudo;
            for (uint32_t v : objects) box.value += r_.retained[v].bytes;
            if (box.value < min_value_) continue;
            add(objects, box, 2);
            into.children.push_back(std::move(box));
        }
    }

private:
    // The boxes of `nodes` (largest first), under `into`.
    void add(const std::vector<uint32_t>& nodes, FlameNode& into, uint32_t depth) const {
        uint64_t small_bytes = 0;
        uint32_t small = 0;
        for (uint32_t v : nodes) {
            if (r_.retained[v].bytes < min_value_) {
                small_bytes += r_.retained[v].bytes;
                ++small;
                continue;
            }
            into.children.push_back(node(v, depth));
        }
        if (small) into.children.push_back(merged(small, small_bytes));
    }

    FlameNode merged(uint32_t count, uint64_t bytes) const {
        FlameNode n;
        n.name = "[" + std::to_string(count) + " smaller values]";
        n.kind = FrameKind::Pseudo;
        n.value = bytes;
        n.merged = count;
        return n;
    }

    FlameNode node(uint32_t v, uint32_t depth) const {
        const GraphNode& g = r_.graph->nodes()[v];
        FlameNode n;
        // Its step from the node that dominates it, when that is the one it was
        // reached from; else (reached along several ways) its whole path.
        const bool tree_edge = g.parent == r_.dominators.idom[v];
        n.name = tree_edge ? r_.graph->step(v) : r_.graph->path(v);
        n.file = g.kind == NodeKind::Object ? r_.graph->class_name(g.ce) : node_kind_name(g.kind);
        if (n.name.empty()) n.name = "[" + n.file + "]";  // an engine block: an array's data, ...
        n.kind = g.garbage ? FrameKind::Pseudo : g.kind == NodeKind::Engine ? FrameKind::Internal : FrameKind::User;
        n.value = r_.retained[v].bytes;
        if (depth + 1 >= kRetentionDepth) {
            if (!children_[v].empty()) n.name += " [and what it holds]";
            return n;
        }
        add(children_[v], n, depth + 1);
        return n;
    }

    const Reachability& r_;
    uint64_t min_value_;
    std::vector<std::vector<uint32_t>> children_;
};

}  // namespace

FlameNode retention_tree(const Snapshot& s, uint64_t min_value) {
    FlameNode root;
    root.name = "heap";
    root.kind = FrameKind::Pseudo;
    root.value = s.blocks->census().blocks_bytes();
    if (!s.reachability) return root;
    const Reachability& r = *s.reachability;
    TreeBuilder(r, min_value).add_roots(root);
    for (const auto& [kind, k] : r.unreached) {
        if (k.bytes < min_value) continue;
        FlameNode n;
        n.name = "[not reached: " + kind + "]";
        n.kind = FrameKind::Unknown;
        n.value = k.bytes;
        root.children.push_back(std::move(n));
    }
    std::stable_sort(root.children.begin(), root.children.end(),
                     [](const FlameNode& a, const FlameNode& b) { return a.value > b.value; });
    return root;
}

bool write_retention_svg(const Snapshot& s, std::ostream& out) {
    if (!s.reachability) return false;
    const FlameGraphOptions options;
    const FlameNode root = retention_tree(s, flame_min_value(s.blocks->census().blocks_bytes(), options));
    FlameGraphLabels labels;
    labels.title = "phpmemtrace snapshot: what holds the heap of pid " + std::to_string(s.pid);
    labels.subtitle = "retained bytes: a box is a value and everything only it keeps alive (PHP " +
                      s.php_version + ")";
    labels.view = View::Live;
    labels.kind_legend = {{FrameKind::User, "PHP value"},
                          {FrameKind::Internal, "engine root (VM stack, objects store, ...)"},
                          {FrameKind::Pseudo, "cycle garbage"},
                          {FrameKind::Unknown, "not reached from a root"}};
    write_flame_svg(root, labels, FlameColouring::ByKind, out, options);
    return true;
}

}  // namespace pmt
