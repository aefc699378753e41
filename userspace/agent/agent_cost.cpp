#include "agent/agent_cost.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "attach/probe_placement.h"
#include "attach/probe_table.h"
#include "attach/process_links.h"
#include "attach/uprobe_attach.h"
#include "target/disassembler.h"

// The calibration's private probe points, in assembly so that their first
// instruction is known: one the kernel emulates (a push of a register), one it
// single-steps (lea). Both return their argument plus one.
asm(R"(
    .text
    .globl pmt_calibration_emulated
    .type pmt_calibration_emulated, @function
pmt_calibration_emulated:
    push %rbx
    pop %rbx
    lea 1(%rdi), %eax
    ret
    .size pmt_calibration_emulated, .-pmt_calibration_emulated
    .globl pmt_calibration_stepped
    .type pmt_calibration_stepped, @function
pmt_calibration_stepped:
    lea 1(%rdi), %eax
    ret
    .size pmt_calibration_stepped, .-pmt_calibration_stepped
)");
extern "C" int pmt_calibration_emulated(int);
extern "C" int pmt_calibration_stepped(int);

namespace pmt {
namespace {

// The thread's own CPU time, which counts the trap's handling in the kernel: a
// loop preempted by the host's other work is not charged for the wait.
double now_ns() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

using CalibrationPoint = int (*)(int);

// Best of a few rounds: the host's noise only ever adds.
double loop_ns(CalibrationPoint point, int calls) {
    double best = 1e300;
    for (int round = 0; round < 3; ++round) {
        int x = 0;
        const double start = now_ns();
        for (int i = 0; i < calls; ++i) x = point(x);
        best = std::min(best, now_ns() - start);
        asm volatile("" : : "r"(x));
    }
    return best;
}

// Where a calibration function is in this process's own file.
Result<std::pair<std::string, uint64_t>> own_function_offset(CalibrationPoint point) {
    const uint64_t address = reinterpret_cast<uint64_t>(point);
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
    return Error{"calibration: cannot find this process's own code in /proc/self/maps"};
}

// Nanoseconds one hit adds to a call of `point`.
Result<double> price_of(const MemtraceProbes& allocations, CalibrationPoint point, const char* name) {
    auto where = own_function_offset(point);
    if (!where) return where.error();
    // 2,000 calls a round: 20-40 ms for a stepped point on these VMs.
    constexpr int kCalls = 2000;
    const double bare = loop_ns(point, kCalls);
    ResolvedProbe probe{name, where->second, PMT_COOKIE(PMT_PROBE__MAX - 1, 0, 0), allocations.uprobes().front().entry,
                        nullptr};
    ProbeLinks links;
    if (auto s = attach_probes(where->first, getpid(), {probe}, allocations.options().use_uprobe_multi, links); !s)
        return Error{"calibration: " + s.error().message};
    const double probed = loop_ns(point, kCalls);
    return std::max(0.0, (probed - bare) / kCalls);
}

// Whether the kernel emulates the instruction under a probe (probe_placement.h:
// direct branches; and on recent kernels a push of a register, which the
// calibration finds out, since its emulated price is measured on one). An
// instruction it may step is priced as stepped.
bool emulated_probe_instruction(const Insn& insn) {
    return kernel_emulates_branch(insn) || (insn.id == X86_INS_PUSH && insn.mems.empty());
}

}  // namespace

Result<TrapPrices> calibrate_trap_prices(const MemtraceProbes& allocations) {
    if (allocations.uprobes().empty()) return Error{"no probe program to calibrate with"};
    auto emulated = price_of(allocations, pmt_calibration_emulated, "pmt_calibration_emulated");
    if (!emulated) return emulated.error();
    auto stepped = price_of(allocations, pmt_calibration_stepped, "pmt_calibration_stepped");
    if (!stepped) return stepped.error();
    return TrapPrices{*emulated, *stepped};
}

std::vector<KindPrice> prices_by_kind(const TrapPrices& prices, const MemtraceProbes& allocations,
                                      const ElfFile& binary) {
    std::vector<KindPrice> by_kind(PMT_PROBE__MAX);
    // A kind not found below (not attached) keeps the dearer price.
    for (KindPrice& k : by_kind) k.entry_ns = prices.stepped_ns;
    const Disassembler dis;
    for (const ResolvedProbe& probe : allocations.uprobes()) {
        const uint32_t kind = PMT_COOKIE_KIND(probe.cookie);
        if (kind >= by_kind.size()) continue;
        // The cookie's address is the probe's own (probe_table.h).
        auto probed = dis.decode(binary, PMT_COOKIE_VADDR(probe.cookie));
        by_kind[kind].entry_ns = probed && emulated_probe_instruction(*probed) ? prices.emulated_ns : prices.stepped_ns;
        by_kind[kind].return_ns = probe.ret ? prices.emulated_ns : 0;
    }
    return by_kind;
}

namespace {

// Fields 14, 15 (utime, stime) and 22 (starttime) of /proc/PID/stat, in seconds;
// the CPU time from the threads' schedstat when that is finer.
struct ProcessTimes {
    double cpu = 0, started = 0;
};

// The run time of the process's live threads: the first field of each
// /proc/PID/task/TID/schedstat (nanoseconds; 0 without CONFIG_SCHED_INFO).
double scheduled_seconds(pid_t pid) {
    std::error_code ec;
    uint64_t ns = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream in(task.path() / "schedstat");
        uint64_t run_ns = 0;
        if (in >> run_ns) ns += run_ns;
    }
    return double(ns) / 1e9;
}

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
    return ProcessTimes{std::max(double(utime + stime) / tick, scheduled_seconds(pid)), double(start) / tick};
}

}  // namespace

double seconds_since_boot() {
    timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::optional<double> process_started_s(pid_t pid) {
    auto t = process_times(pid);
    if (!t) return std::nullopt;
    return t->started;
}

std::optional<double> process_cpu_seconds(pid_t pid) {
    auto t = process_times(pid);
    if (!t) return std::nullopt;
    return t->cpu;
}

CostMeter::CostMeter(std::vector<KindPrice> prices) : prices_(std::move(prices)), started_s_(seconds_since_boot()) {}

double CostMeter::mean_trap_ns() const {
    if (traps_total_) return trap_s_total_ * 1e9 / double(traps_total_);
    double dearest = 0;
    for (const KindPrice& k : prices_) dearest = std::max(dearest, k.entry_ns);
    return dearest;
}

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
    double trap_s = 0;
    for (uint32_t kind = 0; kind < counts.size(); ++kind) {
        const uint64_t delta = counts[kind] >= last_counts_[kind] ? counts[kind] - last_counts_[kind] : counts[kind];
        traps += traps_of(kind, delta);
        if (kind < prices_.size()) trap_s += double(delta) * (prices_[kind].entry_ns + prices_[kind].return_ns) / 1e9;
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
    traps_total_ += traps;
    trap_s_total_ += trap_s;
    cpu_s_total_ += cpu;
    interval_cpu_s_ = cpu;
    ratio_ = cpu > 0 ? trap_s / cpu : 0;
}

}  // namespace pmt
