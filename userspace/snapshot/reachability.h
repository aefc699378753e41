// What holds the memory, from a heap copy and its roots: the graph walk
// (heap_graph.h), the dominator tree over it (dominators.h), and the figures the
// outputs report: holders by retained size, cycle garbage by class, blocks no
// root reaches by kind.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "snapshot/block_index.h"
#include "snapshot/dominators.h"
#include "snapshot/heap_graph.h"

namespace pmt {

struct GarbageClass {
    uint64_t objects = 0;
    uint64_t bytes = 0;           // the objects' own blocks
    uint64_t retained_bytes = 0;  // and what only they hold (property tables, strings, ...)
};

struct KindCount {
    uint64_t blocks = 0;
    uint64_t bytes = 0;
};

struct Reachability {
    std::unique_ptr<BlockIndex> index;
    std::unique_ptr<HeapGraph> graph;
    DominatorTree dominators;
    std::vector<Retained> retained;        // by node
    std::vector<uint32_t> holders;         // nodes of values (not engine blocks), largest retained first
    std::map<std::string, GarbageClass> cycle_garbage;  // by class name
    std::map<std::string, KindCount> unreached;         // by kind, guessed from the block's header
    KindCount reached;                     // blocks reached from a root (not garbage)
    double analysis_ms = 0;
};

// How a block no root reaches looks: "string", "array", "object", "reference"
// by its zend_refcounted header and size, else "other".
std::string guess_kind(std::span<const uint8_t> block, const PhpGraphOffsets& g);

// Reachability::cycle_garbage, the class that frees the most first (ties by name):
// the order every output lists it in.
std::vector<std::pair<std::string, GarbageClass>> garbage_largest_first(const Reachability& r);

std::unique_ptr<Reachability> analyse_reachability(const HeapCopy& copy, const HeapBlocks& blocks,
                                                   const RootCopy& roots, const PhpGraphOffsets& g);

}  // namespace pmt
