#include "attach/bpf_load.h"

#include <bpf/libbpf.h>

#include <cstring>
#include <mutex>
#include <regex>
#include <sstream>

#include "attach/uprobe_multi.h"

namespace pmt {
namespace {

std::vector<VerifierStats>* g_stats_sink = nullptr;
std::mutex g_stats_mutex;  // objects are loaded from several threads at once

constexpr uint32_t kLogLevelStats = 4;       // BPF_LOG_STATS: summary lines only
constexpr size_t kStatsLogBytes = 64 * 1024;  // the summary is a few hundred bytes

}  // namespace

void collect_verifier_stats(std::vector<VerifierStats>* sink) { g_stats_sink = sink; }

VerifierStats parse_verifier_stats(const std::string& log) {
    VerifierStats s;
    std::smatch m;
    static const std::regex depth_line(R"(stack depth ([0-9+]+))");
    if (std::regex_search(log, m, depth_line)) {
        std::stringstream in(m[1].str());
        std::string part;
        while (std::getline(in, part, '+'))
            if (!part.empty()) s.stack_depths.push_back(static_cast<uint32_t>(std::stoul(part)));
    }
    static const std::regex insns_line(R"(processed ([0-9]+) insns)");
    if (std::regex_search(log, m, insns_line)) s.processed_insns = std::stoull(m[1].str());
    static const std::regex time_line(R"(verification time ([0-9]+) usec)");
    if (std::regex_search(log, m, time_line)) s.verification_us = std::stoull(m[1].str());
    return s;
}

Status load_bpf_object(bpf_object* object, const std::string& what, const std::function<int()>& load) {
    std::vector<std::pair<bpf_program*, std::vector<char>>> logs;
    if (g_stats_sink) {
        bpf_program* prog = nullptr;
        bpf_object__for_each_program(prog, object) {
            if (!bpf_program__autoload(prog)) continue;
            logs.emplace_back(prog, std::vector<char>(kStatsLogBytes, '\0'));
            bpf_program__set_log_level(prog, kLogLevelStats);
            bpf_program__set_log_buf(prog, logs.back().second.data(), logs.back().second.size());
        }
    }
    // On failure libbpf prints the verifier's log itself (a warning, always shown).
    if (int err = load(); err != 0)
        return Error{"the kernel refused " + what + ": " + std::strerror(err < 0 ? -err : err) +
                     (err == -EPERM ? " (need root / CAP_BPF)" : "")};
    std::lock_guard<std::mutex> lock(g_stats_mutex);
    for (auto& [prog, buffer] : logs) {
        VerifierStats s = parse_verifier_stats(std::string(buffer.data(), strnlen(buffer.data(), buffer.size())));
        s.object = what;
        s.program = bpf_program__name(prog);
        g_stats_sink->push_back(std::move(s));
    }
    return Status::success();
}

}  // namespace pmt

namespace pmt {

Status share_maps(bpf_object* object, const SharedMaps& maps, const std::string& what) {
    for (auto [name, fd] : {std::pair{"events", maps.events}, std::pair{"traced", maps.traced},
                            std::pair{"counters", maps.counters}, std::pair{"announced_funcs", maps.announced_funcs}}) {
        if (fd < 0) continue;
        bpf_map* map = bpf_object__find_map_by_name(object, name);
        if (!map) return Error{what + " has no map " + name};
        if (int err = bpf_map__reuse_fd(map, fd); err)
            return Error{what + ": cannot share map " + name + ": " + std::strerror(err < 0 ? -err : err)};
    }
    return Status::success();
}

void set_uprobe_multi_attach_type(bpf_object* object, const std::vector<std::string>& programs) {
    for (const auto& name : programs)
        if (bpf_program* prog = bpf_object__find_program_by_name(object, name.c_str()))
            bpf_program__set_expected_attach_type(prog, static_cast<bpf_attach_type>(kBpfTraceUprobeMulti));
}

}  // namespace pmt
