#include "agent/agent_cost.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "attach/probe_table.h"
#include "attach/process_links.h"
#include "attach/uprobe_attach.h"

// The calibration's private probe point: not inlined, not folded away.
extern "C" __attribute__((noinline, used)) int pmt_agent_calibration_point(int x) {
    asm volatile("" : "+r"(x));
    return x + 1;
}

namespace pmt {
namespace {

double now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

// Best of a few rounds: the host's noise only ever adds.
double loop_ns(int calls) {
    double best = 1e300;
    for (int round = 0; round < 5; ++round) {
        int x = 0;
        const double start = now_ns();
        for (int i = 0; i < calls; ++i) x = pmt_agent_calibration_point(x);
        best = std::min(best, now_ns() - start);
        asm volatile("" : : "r"(x));
    }
    return best;
}

// Where the calibration function is in the agent's own file.
Result<std::pair<std::string, uint64_t>> own_function_offset() {
    const uint64_t address = reinterpret_cast<uint64_t>(&pmt_agent_calibration_point);
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        std::istringstream in(line);
        std::string range, perms, offset_hex, dev, inode, path;
        in >> range >> perms >> offset_hex >> dev >> inode >> path;
        const auto dash = range.find('-');
        const uint64_t start = std::stoull(range.substr(0, dash), nullptr, 16);
        const uint64_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
        if (address >= start && address < end && !path.empty())
            return std::pair<std::string, uint64_t>(path, address - start + std::stoull(offset_hex, nullptr, 16));
    }
    return Error{"cannot find the agent's own code in /proc/self/maps"};
}

}  // namespace

Result<double> calibrate_trap_ns(const MemtraceProbes& allocations) {
    if (allocations.uprobes().empty()) return Error{"no probe program to calibrate with"};
    auto where = own_function_offset();
    if (!where) return where.error();
    constexpr int kCalls = 20000;
    const double bare = loop_ns(kCalls);
    ResolvedProbe probe{"pmt_agent_calibration_point", where->second, PMT_COOKIE(PMT_PROBE__MAX - 1, 0, 0),
                        allocations.uprobes().front().entry, nullptr};
    ProbeLinks links;
    if (auto s = attach_probes(where->first, getpid(), {probe}, allocations.options().use_uprobe_multi, links); !s)
        return Error{"calibration: " + s.error().message};
    const double probed = loop_ns(kCalls);
    return std::max(0.0, (probed - bare) / kCalls);
}

namespace {

// Fields 14, 15 (utime, stime) and 22 (starttime) of /proc/PID/stat, in seconds.
struct ProcessTimes {
    double cpu = 0, started = 0;
};

std::optional<ProcessTimes> process_times(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');  // the command may hold spaces and parentheses
    if (paren == std::string::npos || paren + 2 > stat.size()) return std::nullopt;
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    uint64_t utime = 0, stime = 0, start = 0;
    // After ")": state is field 3.
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
        if (i == 22) start = std::stoull(field);
    }
    if (!fields) return std::nullopt;
    const double tick = double(sysconf(_SC_CLK_TCK));
    return ProcessTimes{double(utime + stime) / tick, double(start) / tick};
}

double seconds_since_boot() {
    timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

}  // namespace

std::optional<double> process_cpu_seconds(pid_t pid) {
    auto t = process_times(pid);
    if (!t) return std::nullopt;
    return t->cpu;
}

CostMeter::CostMeter(double trap_ns) : trap_ns_(trap_ns), started_s_(seconds_since_boot()) {}

uint64_t traps_of(uint32_t kind, uint64_t entries) {
    for (const auto& row : probe_table())
        if (row.kind == kind) return row.has_return ? 2 * entries : entries;
    return entries;
}

std::string probe_kind_name(uint32_t kind) {
    switch (kind) {
        case PMT_PROBE_SMALL_REFILL: return "small_refill";
        case PMT_PROBE_ALLOC_LARGE: return "alloc_large";
        case PMT_PROBE_ALLOC_HUGE: return "alloc_huge";
        case PMT_PROBE_FREE_PAGES: return "free_pages";
        case PMT_PROBE_FREE_HUGE: return "free_huge";
        case PMT_PROBE_EMALLOC_SIZED: return "emalloc_large";
        case PMT_PROBE_REQUEST_STARTUP: return "request_startup";
        case PMT_PROBE_REQUEST_SHUTDOWN: return "request_shutdown";
        case PMT_PROBE_MM_SHUTDOWN: return "mm_shutdown";
    }
    return "kind_" + std::to_string(kind);
}

void CostMeter::update(const std::vector<uint64_t>& counts, const std::vector<pid_t>& traced) {
    if (last_counts_.size() < counts.size()) last_counts_.resize(counts.size(), 0);
    uint64_t traps = 0;
    for (uint32_t kind = 0; kind < counts.size(); ++kind) {
        const uint64_t delta = counts[kind] >= last_counts_[kind] ? counts[kind] - last_counts_[kind] : counts[kind];
        traps += traps_of(kind, delta);
    }
    last_counts_ = counts;
    double cpu = 0;
    std::map<pid_t, double> now;
    for (pid_t pid : traced) {
        auto times = process_times(pid);
        if (!times) continue;
        now[pid] = times->cpu;
        auto before = last_cpu_.find(pid);
        if (before != last_cpu_.end()) {
            if (times->cpu >= before->second) cpu += times->cpu - before->second;
        } else if (times->started >= started_s_) {
            cpu += times->cpu;  // born while the agent ran (a forked worker): traced all its life
        }                       // else attached mid-run: counted from now on
    }
    last_cpu_ = std::move(now);
    const double trap_s = double(traps) * trap_ns_ / 1e9;
    traps_total_ += traps;
    trap_s_total_ += trap_s;
    cpu_s_total_ += cpu;
    interval_cpu_s_ = cpu;
    ratio_ = cpu > 0 ? trap_s / cpu : 0;
}

}  // namespace pmt
