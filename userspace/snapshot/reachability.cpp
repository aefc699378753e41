#include "snapshot/reachability.h"

#include <algorithm>

#include "session/session_core.h"
#include "snapshot/heap_bytes.h"

namespace pmt {
namespace {

constexpr size_t kHolders = 100;

bool is_value(NodeKind k) {
    return k == NodeKind::String || k == NodeKind::Array || k == NodeKind::Object || k == NodeKind::Reference;
}

}  // namespace

std::string guess_kind(std::span<const uint8_t> block, const PhpGraphOffsets& g) {
    const uint32_t type = load<uint32_t>(block, g.gc_type_info).value_or(0) & 0xf;
    const uint64_t len = load_u64(block, g.str_len).value_or(UINT64_MAX);
    if (type == 6 && len < block.size() && g.str_val + len + 1 <= block.size()) return "string";
    if (type == 7 && block.size() == g.ht_bytes) return "array";
    if (type == 8 && block.size() >= g.obj_size) return "object";
    if (type == 10 && block.size() == 32) return "reference";
    return "other";
}

std::vector<std::pair<std::string, GarbageClass>> garbage_largest_first(const Reachability& r) {
    std::vector<std::pair<std::string, GarbageClass>> classes(r.cycle_garbage.begin(), r.cycle_garbage.end());
    std::stable_sort(classes.begin(), classes.end(),
                     [](const auto& a, const auto& b) { return a.second.retained_bytes > b.second.retained_bytes; });
    return classes;
}

std::unique_ptr<Reachability> analyse_reachability(const HeapCopy& copy, const HeapBlocks& blocks,
                                                   const RootCopy& roots, const PhpGraphOffsets& g) {
    const uint64_t start = monotonic_ns();
    auto r = std::make_unique<Reachability>();
    r->index = std::make_unique<BlockIndex>(copy, blocks);
    r->graph = std::make_unique<HeapGraph>(*r->index, roots, g);
    const auto& nodes = r->graph->nodes();
    const auto n = static_cast<uint32_t>(nodes.size());
    r->dominators = immediate_dominators(n, r->graph->edges());
    std::vector<uint64_t> size(n, 0);
    for (uint32_t v = 1; v < n; ++v) size[v] = r->index->block(v - 1).size;
    r->retained = retained_sizes(r->dominators, size);

    for (uint32_t v = 1; v < n; ++v) {
        const GraphNode& node = nodes[v];
        if (node.kind == NodeKind::Unreached) {
            KindCount& k = r->unreached[guess_kind(r->index->bytes(v - 1), g)];
            k.blocks++;
            k.bytes += size[v];
            continue;
        }
        if (node.garbage) {
            // Each cycle-garbage object is a root of its own (heap_graph.cpp): what it
            // dominates is what collecting it frees.
            if (node.parent == kSuperRoot) {
                GarbageClass& c = r->cycle_garbage[r->graph->class_name(node.ce)];
                c.objects++;
                c.bytes += size[v];
                c.retained_bytes += r->retained[v].bytes;
            }
            continue;
        }
        r->reached.blocks++;
        r->reached.bytes += size[v];
        if (is_value(node.kind)) r->holders.push_back(v);
    }
    auto larger = [&](uint32_t a, uint32_t b) {
        return r->retained[a].bytes != r->retained[b].bytes ? r->retained[a].bytes > r->retained[b].bytes : a < b;
    };
    const size_t keep = std::min(kHolders, r->holders.size());
    std::partial_sort(r->holders.begin(), r->holders.begin() + keep, r->holders.end(), larger);
    r->holders.resize(keep);
    r->analysis_ms = static_cast<double>(monotonic_ns() - start) / 1e6;
    return r;
}

}  // namespace pmt
