#include "report/json_report.h"

#include "faults/fault_json.h"
#include "report/frame_json.h"
#include "report/heap_json.h"

namespace pmt {
namespace {

using nlohmann::json;

json counters_json(const Counters& c) {
    json j = json::object();
    for (const auto& counter : kCounterFields) j[counter.name] = c.*counter.field;
    return j;
}

}  // namespace

nlohmann::json profile_to_json(const Profile& p) {
    json j;
    j["schema"] = kJsonSchema;
    j["target"] = {
        {"pid", p.target.pid},
        {"pids", p.target.pids},
        {"binary", p.target.binary},
        {"php_version", p.target.php_version},
    };
    if (!p.target.command.empty()) j["target"]["command"] = p.target.command;
    if (p.target.exit_code) j["target"]["exit_code"] = *p.target.exit_code;
    j["started_at"] = p.started_at;
    j["duration_s"] = p.duration_s;
    j["counters"] = counters_json(p.counters);
    j["heap"] = {
        {"live_bytes", p.heap.live_bytes},
        {"peak_live_bytes", p.heap.peak_live_bytes},
        {"peak_at_s", p.heap.peak_at_s},
        {"live_point", p.live_point},
    };
    if (p.heap.baseline_bytes) j["heap"]["baseline_bytes"] = *p.heap.baseline_bytes;
    json checkpoints = json::array();
    for (const auto& c : p.checkpoints) {
        json cj = {{"t_s", c.t_s},
                   {"pid", c.pid},
                   {"real", c.real},
                   {"php_memory_usage", c.php_memory_usage},
                   {"traced_live_bytes", c.traced_live_bytes}};
        if (c.php_real_usage) cj["php_real_usage"] = *c.php_real_usage;
        if (c.traced_real_bytes) cj["traced_real_bytes"] = *c.traced_real_bytes;
        checkpoints.push_back(std::move(cj));
    }
    j["checkpoints"] = std::move(checkpoints);
    FrameJsonWriter frames(p);
    json stacks = json::array();
    for (const auto& s : p.stacks) {
        stacks.push_back({{"frames", frames.frames(s.frames)},
                          {"alloc_count", s.stats.alloc_count},
                          {"alloc_bytes", s.stats.alloc_bytes},
                          {"free_count", s.stats.free_count},
                          {"free_bytes", s.stats.free_bytes},
                          {"live_count", s.stats.live_count},
                          {"live_bytes", s.stats.live_bytes},
                          {"peak_live_count", s.stats.peak_live_count},
                          {"peak_live_bytes", s.stats.peak_live_bytes}});
        if (p.faults) {
            stacks.back()["fault_count"] = s.stats.fault_count;
            stacks.back()["fault_ns"] = s.stats.fault_ns;
        }
    }
    j["stacks"] = std::move(stacks);
    add_heap_timeline_json(p, j, frames);
    if (p.faults) j["faults"] = faults_to_json(*p.faults);
    // Not a collector counter: frames this report could not name (frame_json.h).
    j["counters"]["bad_symbol_frames"] = frames.bad_symbol_frames();
    return j;
}

void write_json_report(const Profile& profile, std::ostream& out) { // Names are valid UTF-8 from the collector on (util/utf8_text.h); `replace` keeps
    // a stray invalid byte from aborting the program after the trace.
    out << profile_to_json(profile).dump(1, ' ', false, json::error_handler_t::replace) << '\n'; }

}  // namespace pmt
