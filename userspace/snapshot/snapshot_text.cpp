#include "snapshot/snapshot_text.h"

#include <cstdio>
#include <string>
#include <vector>

#include "snapshot/reachability.h"

namespace pmt {
namespace {

std::string row(uint64_t bytes, uint64_t blocks, const std::string& what, const std::string& where) {
    char head[64];
    std::snprintf(head, sizeof(head), "%14llu %9llu  ", static_cast<unsigned long long>(bytes),
                  static_cast<unsigned long long>(blocks));
    return head + what + (where.empty() ? "" : "  " + where) + "\n";
}

void write_holders(const Reachability& r, std::ostream& out) {
    out << "\nTop holders, by retained bytes (the value and everything only it keeps alive):\n";
    out << "retained bytes    blocks  kind  path\n";
    const auto& nodes = r.graph->nodes();
    for (size_t i = 0; i < r.holders.size() && i < kTextHolders; ++i) {
        const uint32_t v = r.holders[i];
        const GraphNode& n = nodes[v];
        std::string kind = node_kind_name(n.kind);
        if (n.kind == NodeKind::Object) kind += " " + r.graph->class_name(n.ce);
        out << row(r.retained[v].bytes, r.retained[v].nodes, kind, r.graph->path(v));
    }
    if (r.holders.empty()) out << "  (none)\n";
}

void write_garbage(const Reachability& r, std::ostream& out) {
    out << "\nCycle garbage (objects no root reaches, waiting for the collector), by class:\n";
    out << "retained bytes   objects  class\n";
    const auto classes = garbage_largest_first(r);
    for (const auto& [name, c] : classes) out << row(c.retained_bytes, c.objects, name, "");
    if (classes.empty()) out << "  (none)\n";
}

void write_unreached(const Reachability& r, std::ostream& out) {
    out << "\nAllocated but not reached from a root (engine structures, compiled code, ...), by kind:\n";
    out << "         bytes    blocks  kind\n";
    for (const auto& [kind, k] : r.unreached) out << row(k.bytes, k.blocks, kind, "");
    if (r.unreached.empty()) out << "  (none)\n";
}

}  // namespace

void write_snapshot_text(const Snapshot& s, std::ostream& out) {
    const HeapCensus& c = s.blocks->census();
    char pause[32];
    std::snprintf(pause, sizeof(pause), "%.2f", s.pause_ms);
    out << "phpmemtrace snapshot of pid " << s.pid << " (PHP " << s.php_version << "), paused " << pause << " ms\n";
    out << "heap: " << c.size << " bytes in use (memory_get_usage()), " << c.blocks_bytes() << " in "
        << c.blocks() << " blocks found" << (c.blocks_bytes() == c.size ? " (exact)" : " (NOT EXACT)") << "\n";
    if (!s.reachability) {
        out << "\nWhat holds the memory was not computed: " << s.no_reachability << "\n";
        return;
    }
    const Reachability& r = *s.reachability;
    out << "reached from a root: " << r.reached.bytes << " bytes in " << r.reached.blocks << " blocks\n";
    write_holders(r, out);
    write_garbage(r, out);
    write_unreached(r, out);
}

}  // namespace pmt
