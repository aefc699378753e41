#include "attach/memtrace_probes.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>

#include "attach/bpf_load.h"
#include "collect/zend_sizes.h"
#include "memtrace.skel.h"

namespace pmt {
namespace {

bool g_verbose_libbpf = false;

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
    if (level == LIBBPF_DEBUG && !g_verbose_libbpf) return 0;
    if (level == LIBBPF_INFO && !g_verbose_libbpf) return 0;
    std::fputs("libbpf: ", stderr);
    return std::vfprintf(stderr, format, args);
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

}  // namespace

void quiet_libbpf_logging(bool verbose) {
    g_verbose_libbpf = verbose;
    libbpf_set_print(libbpf_print);
}

void MemtraceProbes::SkelDeleter::operator()(memtrace_bpf* skel) const { memtrace_bpf__destroy(skel); }

MemtraceProbes::~MemtraceProbes() {
    process_links_.clear();  // detach before the programs go away, in parallel
    event_links_.clear();
}

// One program for every entry and one for every return (see memtrace.bpf.c).
constexpr const char* kEntry = "allocator_entry";
constexpr const char* kReturn = "allocator_return";

std::vector<AllocatorProbe> allocator_probes() {
    std::vector<AllocatorProbe> probes = {
        {"_emalloc", PMT_PROBE_EMALLOC, 0, kEntry, kReturn, true},
        {"_emalloc_large", PMT_PROBE_EMALLOC_SIZED, 0, kEntry, kReturn, true},
        {"_emalloc_huge", PMT_PROBE_EMALLOC_SIZED, 0, kEntry, kReturn, true},
        {"_zend_mm_alloc", PMT_PROBE_ZEND_MM_ALLOC, 0, kEntry, kReturn, true},
        {"_efree", PMT_PROBE_EFREE, 0, kEntry, nullptr, true},
        {"_efree_large", PMT_PROBE_EFREE_SIZED, 0, kEntry, nullptr, true},
        {"_efree_huge", PMT_PROBE_EFREE_SIZED, 0, kEntry, nullptr, true},
        {"_zend_mm_free", PMT_PROBE_ZEND_MM_FREE, 0, kEntry, nullptr, true},
        {"_erealloc", PMT_PROBE_EREALLOC, 0, kEntry, kReturn, true},
        {"_erealloc2", PMT_PROBE_EREALLOC, 0, kEntry, kReturn, true},
        {"_zend_mm_realloc", PMT_PROBE_ZEND_MM_REALLOC, 0, kEntry, kReturn, true},
        {"_zend_mm_realloc2", PMT_PROBE_ZEND_MM_REALLOC, 0, kEntry, kReturn, false},
        {"zend_memory_usage", PMT_PROBE_MEMORY_USAGE, 0, kEntry, kReturn, true},
        {"php_request_startup", PMT_PROBE_REQUEST_STARTUP, 0, kEntry, nullptr, false},
        {"php_request_shutdown", PMT_PROBE_REQUEST_SHUTDOWN, 0, kEntry, nullptr, false},
        {"zend_mm_shutdown", PMT_PROBE_MM_SHUTDOWN, 0, kEntry, nullptr, true},
    };
    for (uint32_t bin : zend::kBinSizes) {
        probes.push_back({"_emalloc_" + std::to_string(bin), PMT_PROBE_EMALLOC_FIXED, bin, kEntry, kReturn, true});
        probes.push_back({"_efree_" + std::to_string(bin), PMT_PROBE_EFREE_FIXED, bin, kEntry, nullptr, true});
    }
    return probes;
}

Result<std::unique_ptr<MemtraceProbes>> MemtraceProbes::load(const PhpBinary& php, const ProbeOptions& options) {
    if (geteuid() != 0) return Error{"tracing needs root (CAP_BPF and CAP_PERFMON): run with sudo"};
    std::unique_ptr<MemtraceProbes> probes(new MemtraceProbes());
    probes->php_ = &php;
    probes->options_ = options;
    probes->skel_.reset(memtrace_bpf__open());
    if (!probes->skel_) return Error{"cannot open the BPF object: " + errno_text(errno)};
    auto* skel = probes->skel_.get();
    uint64_t ring_bytes = uint64_t(options.ringbuf_mb) << 20;
    pmt_config cfg = php.bpf_config(options.max_frames, options.follow_forks);
    cfg.ring_wakeup_bytes = static_cast<uint32_t>(std::min<uint64_t>(ring_bytes / 4, UINT32_MAX));
    std::memcpy(const_cast<pmt_config*>(&skel->rodata->cfg), &cfg, sizeof(cfg));
    if (options.use_uprobe_multi)
        for (const auto& probe : allocator_probes())
            for (const char* name : {probe.entry, probe.exit})
                if (name)
                    if (bpf_program* prog = bpf_object__find_program_by_name(skel->obj, name))
                        bpf_program__set_expected_attach_type(prog, static_cast<bpf_attach_type>(kBpfTraceUprobeMulti));
    if (bpf_map__set_max_entries(skel->maps.events, static_cast<uint32_t>(ring_bytes)) != 0)
        return Error{"invalid ring buffer size " + std::to_string(options.ringbuf_mb) + " MiB (power of two needed)"};
    if (auto s = load_bpf_object(skel->obj, "memtrace.bpf.o", [skel] { return memtrace_bpf__load(skel); }); !s)
        return s.error();
    return probes;
}

Result<std::optional<UprobeMultiTarget>> resolve_probe_target(const PhpBinary& php, const AllocatorProbe& probe) {
    auto sym = php.elf().symbol(probe.function);
    if (!sym) {
        if (probe.required) return Error{"symbol " + probe.function + " not found in " + php.path()};
        return std::optional<UprobeMultiTarget>();
    }
    auto offset = php.elf().file_offset_of(sym->vaddr);
    if (!offset) return Error{"cannot find " + probe.function + " in the file " + php.path()};
    return std::optional(UprobeMultiTarget{*offset, PMT_COOKIE(probe.kind, probe.arg, sym->vaddr)});
}

Status MemtraceProbes::attach_uprobe(const char* program, const AllocatorProbe& probe, bool retprobe, pid_t pid,
                                     ProbeLinks& into) {
    auto target = resolve_probe_target(*php_, probe);
    if (!target) return target.error();
    if (!*target) return Status::success();
    bpf_program* prog = bpf_object__find_program_by_name(skel_->obj, program);
    if (!prog) return Error{std::string("BPF program ") + program + " missing"};
    LIBBPF_OPTS(bpf_uprobe_opts, opts);
    opts.retprobe = retprobe;
    opts.bpf_cookie = (*target)->cookie;
    bpf_link* link =
        bpf_program__attach_uprobe_opts(prog, pid, php_->path().c_str(), (*target)->file_offset, &opts);
    if (!link) return Error{"cannot attach a uprobe to " + probe.function + ": " + errno_text(errno)};
    into.perf.emplace_back(link);
    return Status::success();
}

Status MemtraceProbes::attach_multi(const std::vector<AllocatorProbe>& probes, pid_t pid, ProbeLinks& into) {
    // (program, is return probe) -> targets
    std::map<std::pair<std::string, bool>, std::vector<UprobeMultiTarget>> groups;
    for (const auto& p : probes) {
        auto target = resolve_probe_target(*php_, p);
        if (!target) return target.error();
        if (!*target) continue;
        groups[{p.entry, false}].push_back(**target);
        if (p.exit) groups[{p.exit, true}].push_back(**target);
    }
    // Return probes first: a call entered before its return probe exists would
    // leave an entry record whose return is never seen.
    for (bool retprobe : {true, false})
        for (const auto& [key, targets] : groups) {
            if (key.second != retprobe) continue;
            bpf_program* prog = bpf_object__find_program_by_name(skel_->obj, key.first.c_str());
            if (!prog) return Error{"BPF program " + key.first + " missing"};
            auto link = attach_uprobe_multi(prog, php_->path(), targets, retprobe, pid);
            if (!link) return link.error();
            into.multi.push_back(std::move(*link));
        }
    return Status::success();
}

Status MemtraceProbes::attach_process_events() {
    if (!event_links_.empty()) return Status::success();
    for (const char* prog_name : {"on_fork", "on_exit", "on_exec"}) {
        bpf_program* prog = bpf_object__find_program_by_name(skel_->obj, prog_name);
        bpf_link* link = prog ? bpf_program__attach(prog) : nullptr;
        if (!link)
            return Error{std::string("cannot attach the raw tracepoint ") + prog_name + ": " + errno_text(errno)};
        event_links_.emplace_back(link);
    }
    return Status::success();
}

Status MemtraceProbes::attach_to(pid_t pid) {
    if (process_links_.has(pid)) return Status::success();
    ProbeLinks& links = process_links_.of(pid);
    const auto probes = allocator_probes();
    Status s = Status::success();
    if (options_.use_uprobe_multi) {
        s = attach_multi(probes, pid, links);
    } else {
        for (const auto& p : probes) {
            if (p.exit && (s = attach_uprobe(p.exit, p, true, pid, links), !s)) break;
            if ((s = attach_uprobe(p.entry, p, false, pid, links), !s)) break;
        }
    }
    if (!s) process_links_.drop(pid);
    return s;
}

Status MemtraceProbes::trace_process(pid_t tgid, bool running) {
    pmt_proc_state state{};
    state.has_executed = running ? 1 : 0;
    state.baseline_pending = running ? 1 : 0;
    uint32_t key = static_cast<uint32_t>(tgid);
    if (bpf_map__update_elem(skel_->maps.traced, &key, sizeof(key), &state, sizeof(state), BPF_ANY) != 0)
        return Error{"cannot register process " + std::to_string(tgid) + ": " + errno_text(errno)};
    return Status::success();
}

void MemtraceProbes::read_counters(Counters& c) const {
    int ncpus = libbpf_num_possible_cpus();
    std::vector<uint64_t> values(ncpus > 0 ? ncpus : 1);
    auto read = [&](pmt_counter which) {
        uint32_t key = which;
        uint64_t total = 0;
        if (bpf_map__lookup_elem(skel_->maps.counters, &key, sizeof(key), values.data(),
                                 values.size() * sizeof(uint64_t), 0) == 0)
            for (uint64_t v : values) total += v;
        return total;
    };
    c.lost_events = read(PMT_CNT_LOST_RECORDS);
    c.truncated_stacks = read(PMT_CNT_TRUNCATED_STACKS);
    c.unreadable_frames = read(PMT_CNT_UNREADABLE_FRAMES);
    c.lost_function_names = read(PMT_CNT_LOST_FUNC_NAMES);
    // The collector counts children whose probes could not be attached; the BPF
    // side those it could not add to `traced`.
    c.untraced_children += read(PMT_CNT_UNTRACED_CHILDREN);
    c.unpaired_returns = read(PMT_CNT_UNPAIRED_RETURNS);
    c.bad_heap_reads = read(PMT_CNT_BAD_HEAP_READ);
}

int MemtraceProbes::ring_buffer_fd() const { return bpf_map__fd(skel_->maps.events); }

}  // namespace pmt
