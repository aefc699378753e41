// The retention flame graph of a snapshot (`snapshot -o x.svg`): the dominator
// tree drawn as a flame graph. A box is a value; its width is its retained size
// (what freeing it would free), its children the values it alone keeps alive, so
// a root's box is what that global, static or local costs. The bottom box is the
// whole heap: the roots, the cycle garbage, and the blocks no root reaches by
// kind, so the widths add up to memory_get_usage().
#pragma once

#include <ostream>

#include "report/flame_tree.h"
#include "snapshot/take_snapshot.h"

namespace pmt {

// Deeper than this, a value's box stands for its whole subtree (a linked list of a
// million nodes is a million levels deep in the dominator tree).
inline constexpr uint32_t kRetentionDepth = 48;

// The tree, for the SVG writer and for tests; boxes under `min_value` bytes are
// merged into one "[N smaller values]" box per parent.
FlameNode retention_tree(const Snapshot& snapshot, uint64_t min_value);

// Needs the reachability (Snapshot::reachability); writes nothing and returns
// false without it.
bool write_retention_svg(const Snapshot& snapshot, std::ostream& out);

}  // namespace pmt
