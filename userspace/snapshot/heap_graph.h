// What holds the memory: the heap's blocks as a graph, walked from the engine's
// roots through zvals (strings, packed and hash arrays, objects' declared slots
// and dynamic properties, references), breadth first so that each block's first
// path is a shortest one. Objects in the objects store that no root reaches are
// cycle garbage (what gc_collect_cycles() would free); they are walked after
// everything else, from a root of their own. Everything is read from the copy and
// bounds-checked against the allocated blocks (block_index.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <string>
#include <utility>
#include <vector>

#include "snapshot/block_index.h"
#include "snapshot/root_copy.h"
#include "target/php_graph_offsets.h"

namespace pmt {

enum class NodeKind : uint8_t { Unreached, String, Array, ArrayData, Object, Reference, Engine, Other };
const char* node_kind_name(NodeKind kind);

constexpr uint32_t kSuperRoot = 0;  // node 0; block i is node i + 1

struct RootEntry {
    std::string label;  // "$GLOBALS['cache']", "Foo::$instances", "frame 0 of main: $buf"
    std::string kind;   // global, static, frame, engine, cycle garbage
};

struct GraphNode {
    NodeKind kind = NodeKind::Unreached;
    bool garbage = false;         // first reached from a cycle-garbage object
    uint32_t parent = kSuperRoot; // the block it was first reached from
    uint32_t root = 0;            // index in HeapGraph::roots()
    uint32_t label = 0;           // index in labels: the step from its parent
    uint64_t ce = 0;              // objects: their class entry
};

struct GraphCounters {
    uint64_t outside_heap = 0;    // pointers to no allocated block (interned strings, persistent data)
    uint64_t bad_headers = 0;     // a pointer whose block does not have the type its zval says
    uint64_t frames = 0;
    uint64_t depth_cut = 0;       // nodes not followed past kMaxDepth
};

class HeapGraph {
public:
    HeapGraph(const BlockIndex& index, const RootCopy& roots, const PhpGraphOffsets& g);

    const std::vector<GraphNode>& nodes() const { return nodes_; }
    const std::vector<std::pair<uint32_t, uint32_t>>& edges() const { return edges_; }
    const std::vector<RootEntry>& roots() const { return roots_; }
    const GraphCounters& counters() const { return counters_; }
    const BlockIndex& index() const { return index_; }
    const PhpGraphOffsets& offsets() const { return g_; }
    // The path from its root to node v ("" for blocks not reached).
    std::string path(uint32_t v) const;
    // The last step of that path: how node v was reached from its parent
    // ("['cache']", "->items", "[17]"), or its root's label for a root's node.
    const std::string& step(uint32_t v) const { return labels_[nodes_[v].label]; }
    std::string class_name(uint64_t ce) const;

private:
    struct Work {
        uint32_t node;
        NodeKind kind;
        uint64_t address;
        bool properties;  // an object's dynamic property table: keys are ->names
        uint32_t depth;
    };
    void walk_symbol_table();
    void walk_statics();
    void walk_frames();
    void walk_garbage();
    void drain();
    void visit(const Work& w);
    void visit_array(const Work& w);
    void visit_object(const Work& w);
    // A zval found in `from` (kSuperRoot: a root, then `root_label` names it).
    void zval(uint32_t from, std::span<const uint8_t> z, const std::string& label, uint32_t depth, bool indirect_ok = true);
    // Edge from -> the block at `address`, which holds a `kind`; queued when new.
    void reach(uint32_t from, uint64_t address, NodeKind kind, const std::string& label, uint32_t depth,
               bool properties = false);
    uint32_t new_root(std::string label, std::string kind);
    // A root structure of the engine's own (a VM stack page, the symbol table's data).
    void mark_engine(uint64_t address, const std::string& label);
    bool points(std::span<const uint8_t> z) const;  // a zval whose value is a pointer we follow
    using ElementVisit = std::function<void(std::span<const uint8_t> zval, const std::string& key, uint64_t key_ptr)>;
    // Each element of a HashTable (struct bytes) that points somewhere, with its
    // key ("'name'" or "17"); returns arData. Bounded by arData's block.
    uint64_t for_each_element(std::span<const uint8_t> ht, const ElementVisit& visit) const;
    // Declared property (or static) names of a class by slot, from its properties_info.
    const std::vector<std::string>& slot_names(uint64_t ce, bool statics);
    uint32_t intern(const std::string& label);
    std::string string_at(uint64_t address, size_t max) const;
    uint32_t node_of(uint64_t address) const;  // 0: no block

    const BlockIndex& index_;
    const RootCopy& rc_;
    const PhpGraphOffsets g_;  // a copy: the snapshot holding the original moves
    std::vector<GraphNode> nodes_;
    std::vector<std::pair<uint32_t, uint32_t>> edges_;
    std::vector<RootEntry> roots_;
    std::vector<std::string> labels_{""};
    std::vector<Work> queue_;
    size_t head_ = 0;
    bool garbage_phase_ = false;
    std::string pending_root_kind_;  // the kind of the roots being walked
    std::unordered_map<uint64_t, std::vector<std::string>> slot_names_, static_names_;
    mutable std::unordered_map<uint64_t, std::string> late_cache_;  // permanent strings read after the pause
    mutable uint32_t late_strings_ = 0;
    GraphCounters counters_;
};

}  // namespace pmt
