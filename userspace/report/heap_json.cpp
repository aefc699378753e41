#include "report/heap_json.h"

#include "report/heap_summary.h"

namespace pmt {
namespace {

using nlohmann::json;

json stacks_json(FrameJsonWriter& frames, const std::vector<HeapStackBytes>& stacks) {
    json out = json::array();
    for (const auto& s : stacks)
        out.push_back({{"frames", frames.frames(s.frames)}, {"bytes", s.bytes}, {"count", s.count}});
    return out;
}

json gc_json(FrameJsonWriter& frames, const HeapTimeline& t) {
    int64_t collected = 0;
    uint64_t freed = 0;
    json runs = json::array();
    for (const auto& r : t.gc_runs) {
        collected += r.collected;
        freed += r.freed_bytes;
        runs.push_back({{"pid", r.pid},
                        {"start_s", r.start_s},
                        {"duration_s", r.duration_s},
                        {"collected", r.collected},
                        {"freed_bytes", r.freed_bytes},
                        {"heap_before_bytes", r.heap_before_bytes},
                        {"heap_after_bytes", r.heap_after_bytes},
                        {"stacks", stacks_json(frames, r.stacks)}});
    }
    return {{"runs", t.gc_runs.size()}, {"collected", collected}, {"freed_bytes", freed},
            {"runs_detail", std::move(runs)}};
}

json limit_json(FrameJsonWriter& frames, const LimitEvent& l) {
    json j = {{"limit_bytes", l.limit_bytes ? json(*l.limit_bytes) : json(nullptr)},
              {"hit", l.hit},
              {"near", l.near},
              {"margin_bytes", l.margin_bytes}};
    if (l.hit || l.near) {
        j["at_s"] = l.at_s;
        j["pid"] = l.pid;
        j["trigger"] = l.trigger;
        if (!l.message.empty()) j["message"] = l.message;
        j["used_bytes"] = l.used_bytes;
        j["real_bytes"] = l.real_bytes;
        j["stacks"] = stacks_json(frames, l.stacks);
    }
    if (l.near) {
        j["near_at_s"] = l.near_at_s;
        j["near_real_bytes"] = l.near_real_bytes;
    }
    return j;
}

json requests_json(const HeapTimeline& t) {
    json out = json::array();
    for (const auto& r : t.requests)
        out.push_back({{"pid", r.pid},
                       {"uri", r.uri},
                       {"method", r.method},
                       {"query", r.query},
                       {"start_s", r.start_s},
                       {"duration_s", r.duration_s},
                       {"peak_bytes", r.peak_bytes},
                       {"php_peak_bytes", r.php_peak_bytes},
                       {"alloc_bytes", r.alloc_bytes},
                       {"live_at_end_bytes", r.live_at_end_bytes},
                       {"real_peak_bytes", r.real_peak_bytes}});
    return out;
}

}  // namespace

void add_heap_timeline_json(const Profile& p, json& report, FrameJsonWriter& frames) {
    if (!p.heap_timeline) return;
    const HeapTimeline& t = *p.heap_timeline;
    json& heap = report["heap"];
    heap["chunks_peak"] = t.chunks_peak;
    heap["huge_peak_bytes"] = t.huge_peak_bytes;
    heap["real_peak_bytes"] = t.real_peak_bytes;
    heap["real_peak_at_s"] = t.real_peak_at_s;
    heap["used_at_real_peak_bytes"] = t.used_at_real_peak_bytes;
    // Fragmentation: the share of mapped heap memory not in use at the real peak.
    heap["fragmentation"] = heap_fragmentation(t);
    report["gc"] = gc_json(frames, t);
    if (t.limit) report["limit"] = limit_json(frames, *t.limit);
    report["requests"] = requests_json(t);

    json samples = json::array();
    for (const auto& s : t.samples)
        samples.push_back({s.t_s, s.pid, s.used_bytes, s.real_bytes, s.chunks, s.huge_bytes});
    json events = json::array();
    for (const auto& e : t.map_events)
        events.push_back({{"t_s", e.t_s},
                          {"pid", e.pid},
                          {"kind", e.huge ? "huge" : "chunk"},
                          {"op", e.mapped ? "map" : "unmap"},
                          {"addr", e.addr},
                          {"size", e.size},
                          {"frames", frames.frames(e.frames)}});
    report["heap_timeline"] = {
        {"method", t.method},
        {"request_source", t.request_source},
        {"sample_columns", {"t_s", "pid", "used_bytes", "real_bytes", "chunks", "huge_bytes"}},
        {"samples", std::move(samples)},
        {"map_events", std::move(events)},
        {"samples_dropped", t.samples_dropped},
        {"map_events_dropped", t.map_events_dropped},
        {"unknown_unmaps", t.unknown_unmaps},
        {"requests_filtered", t.requests_filtered},
        {"baseline_real_bytes", t.baseline_real_bytes},
    };
}

}  // namespace pmt
