#include "snapshot/snapshot_json.h"

#include "collect/zend_sizes.h"

namespace pmt {
namespace {

using nlohmann::json;

json count_json(const BlockCount& c) { return {{"blocks", c.blocks}, {"bytes", c.bytes}}; }

json small_json(const HeapCensus& c) {
    json bins = json::array();
    for (uint32_t bin = 0; bin < c.small.size(); ++bin) {
        const BinCount& b = c.small[bin];
        if (!b.runs) continue;  // a bin with no run holds nothing
        bins.push_back({{"bin", bin},
                        {"size", zend::kBinSizes[bin]},
                        {"blocks", b.blocks},
                        {"bytes", b.bytes},
                        {"free_blocks", b.free_blocks},
                        {"runs", b.runs}});
    }
    return bins;
}

json huge_json(const Snapshot& s) {
    json list = json::array();
    for (const HeapRegion& h : s.copy->huge) list.push_back({{"address", h.address}, {"size", h.bytes.size()}});
    json out = count_json(s.blocks->census().huge);
    out["list"] = std::move(list);
    return out;
}

json holders_json(const Reachability& r) {
    json out = json::array();
    const auto& nodes = r.graph->nodes();
    for (uint32_t v : r.holders) {
        const GraphNode& n = nodes[v];
        const HeapBlock& b = r.index->block(v - 1);
        out.push_back({{"path", r.graph->path(v)},
                       {"kind", node_kind_name(n.kind)},
                       {"class", n.kind == NodeKind::Object ? json(r.graph->class_name(n.ce)) : json(nullptr)},
                       {"retained_bytes", r.retained[v].bytes},
                       {"blocks", r.retained[v].nodes},
                       {"address", b.address},
                       {"size", b.size}});
    }
    return out;
}

json garbage_json(const Reachability& r) {
    const auto classes = garbage_largest_first(r);
    json out = json::array();
    for (const auto& [name, c] : classes)
        out.push_back({{"class", name}, {"objects", c.objects}, {"bytes", c.bytes}, {"retained_bytes", c.retained_bytes}});
    return out;
}

json unreached_json(const Reachability& r) {
    json out = json::array();
    for (const auto& [kind, k] : r.unreached) out.push_back({{"kind", kind}, {"bytes", k.bytes}, {"blocks", k.blocks}});
    return out;
}

void add_reachability(const Snapshot& s, json& out) {
    if (!s.reachability) {
        out["reachability"] = {{"computed", false}, {"reason", s.no_reachability}};
        return;
    }
    const Reachability& r = *s.reachability;
    const GraphCounters& c = r.graph->counters();
    json problems = json::array();
    for (const auto& p : s.roots->problems) problems.push_back(p);
    out["holders"] = holders_json(r);
    out["cycle_garbage"] = garbage_json(r);
    out["unreached"] = unreached_json(r);
    out["reachability"] = {{"computed", true},
                           {"analysis_ms", r.analysis_ms},
                           {"roots_copy_ms", s.roots_ms},
                           {"reached_blocks", r.reached.blocks},
                           {"reached_bytes", r.reached.bytes},
                           {"roots", r.graph->roots().size() - 1},
                           {"edges", r.graph->edges().size()},
                           {"frames", c.frames},
                           {"classes", s.roots->classes.size()},
                           {"pointers_outside_heap", c.outside_heap},
                           {"bad_headers", c.bad_headers},
                           {"depth_cut", c.depth_cut},
                           {"problems", std::move(problems)}};
}

}  // namespace

json snapshot_json(const Snapshot& s) {
    const HeapCensus& c = s.blocks->census();
    json heap = {{"size", c.size},
                 {"real_size", c.real_size},
                 {"peak", c.peak},
                 {"blocks_bytes", c.blocks_bytes()},
                 {"blocks", c.blocks()},
                 // The proof: every block found, counted as the heap counts it.
                 {"exact", c.blocks_bytes() == c.size},
                 {"chunks", c.chunks},
                 {"free_pages", c.free_pages},
                 {"copied_bytes", c.mapped_bytes},
                 {"by_kind", {{"small", small_json(c)}, {"large", count_json(c.large)}, {"huge", huge_json(s)}}}};
    json problems = json::array();
    for (const auto& p : s.copy->problems) problems.push_back(p);
    json out = {{"schema", "phpmemtrace-snapshot/1"},
            {"target", {{"pid", s.pid}, {"php_version", s.php_version}, {"binary", s.binary}, {"threads", s.threads}}},
            {"pause_ms", s.pause_ms},
            {"analysis_ms", s.analysis_ms},
            {"heap", std::move(heap)},
            {"counters",
             {{"bad_page_entries", c.bad_page_entries},
              {"bad_free_slots", c.bad_free_slots},
              {"list_problems", std::move(problems)}}}};
    add_reachability(s, out);
    return out;
}

}  // namespace pmt
