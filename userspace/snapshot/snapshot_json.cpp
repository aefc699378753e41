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
    return {{"schema", "phpmemtrace-snapshot/1"},
            {"target", {{"pid", s.pid}, {"php_version", s.php_version}, {"binary", s.binary}, {"threads", s.threads}}},
            {"pause_ms", s.pause_ms},
            {"analysis_ms", s.analysis_ms},
            {"heap", std::move(heap)},
            {"counters",
             {{"bad_page_entries", c.bad_page_entries},
              {"bad_free_slots", c.bad_free_slots},
              {"list_problems", std::move(problems)}}}};
}

}  // namespace pmt
