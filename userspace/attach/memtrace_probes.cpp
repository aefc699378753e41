#include "attach/memtrace_probes.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "attach/probe_table.h"
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

// One program for every entry and one for every return (see memtrace.bpf.c).
constexpr const char* kEntry = "allocator_entry";
constexpr const char* kReturn = "allocator_return";

}  // namespace

void quiet_libbpf_logging(bool verbose) {
    g_verbose_libbpf = verbose;
    libbpf_set_print(libbpf_print);
}

void MemtraceProbes::SkelDeleter::operator()(memtrace_bpf* skel) const { memtrace_bpf__destroy(skel); }

MemtraceProbes::~MemtraceProbes() { event_links_.clear(); }

Result<std::unique_ptr<MemtraceProbes>> MemtraceProbes::open(const PhpBinary& php, const ProbeOptions& options) {
    if (geteuid() != 0) return Error{"tracing needs root (CAP_BPF and CAP_PERFMON): run with sudo"};
    std::unique_ptr<MemtraceProbes> probes(new MemtraceProbes());
    probes->options_ = options;
    probes->php_ = &php;
    probes->skel_.reset(memtrace_bpf__open());
    if (!probes->skel_) return Error{"cannot open the BPF object: " + errno_text(errno)};
    auto* skel = probes->skel_.get();
    uint64_t ring_bytes = uint64_t(options.ringbuf_mb) << 20;
    pmt_config& cfg = probes->config_;
    cfg = php.bpf_config(options.max_frames, options.follow_forks);
    cfg.ring_wakeup_bytes = static_cast<uint32_t>(std::min<uint64_t>(ring_bytes / 4, UINT32_MAX));
    std::copy(options.trap_group.begin(), options.trap_group.end(), cfg.trap_group);
    std::memcpy(const_cast<pmt_config*>(&skel->rodata->cfg), &cfg, sizeof(cfg));
    if (options.use_uprobe_multi) set_uprobe_multi_attach_type(skel->obj, {kEntry, kReturn});
    if (ring_bytes > UINT32_MAX || (ring_bytes & (ring_bytes - 1)) ||
        bpf_map__set_max_entries(skel->maps.events, static_cast<uint32_t>(ring_bytes)) != 0)
        return Error{"invalid ring buffer size " + std::to_string(options.ringbuf_mb) + " MiB (power of two needed)"};
    // The shared maps, created here from the object's own definitions.
    for (bpf_map* map : {skel->maps.events, skel->maps.traced, skel->maps.counters, skel->maps.announced_funcs}) {
        bpf_map_type type = bpf_map__type(map);
        LIBBPF_OPTS(bpf_map_create_opts, map_opts, .map_flags = bpf_map__map_flags(map));
        if (map == skel->maps.announced_funcs && !options.evicting_function_cache) {
            type = BPF_MAP_TYPE_HASH;  // an LRU hash cannot be left unallocated
            map_opts.map_flags |= BPF_F_NO_PREALLOC;
        }
        int fd = bpf_map_create(type, bpf_map__name(map), bpf_map__key_size(map),
                                bpf_map__value_size(map), bpf_map__max_entries(map), &map_opts);
        if (fd < 0)
            return Error{std::string("cannot create the BPF map ") + bpf_map__name(map) + ": " + errno_text(errno)};
        int err = bpf_map__reuse_fd(map, fd);  // keeps its own duplicate
        close(fd);
        if (err) return Error{std::string("cannot use the BPF map ") + bpf_map__name(map) + ": " + errno_text(err)};
    }
    return probes;
}

Status MemtraceProbes::load_programs() {
    auto* skel = skel_.get();
    if (auto s = load_bpf_object(skel->obj, "memtrace.bpf.o", [skel] { return memtrace_bpf__load(skel); }); !s)
        return s;
    std::vector<std::string> missing;  // optional ones (request boundaries): their records just never come
    auto uprobes = resolve_probes(*php_, ProbeObject::Allocations, skel->progs.allocator_entry,
                                  skel->progs.allocator_return, missing,
                                  options_.slow_paths_only ? kSlowPathMode : kExactMode);
    if (!uprobes) return uprobes.error();
    uprobes_ = std::move(*uprobes);
    return Status::success();
}

Result<std::unique_ptr<MemtraceProbes>> MemtraceProbes::load(const PhpBinary& php, const ProbeOptions& options) {
    auto probes = open(php, options);
    if (!probes) return probes.error();
    if (auto s = (*probes)->load_programs(); !s) return s.error();
    return probes;
}

Status MemtraceProbes::attach_process_events() {
    if (!event_links_.empty()) return Status::success();
    for (bpf_program* prog : {skel_->progs.on_fork, skel_->progs.on_exit, skel_->progs.on_exec}) {
        bpf_link* link = bpf_program__attach(prog);
        if (!link)
            return Error{std::string("cannot attach the raw tracepoint ") + bpf_program__name(prog) + ": " +
                         errno_text(errno)};
        event_links_.emplace_back(link);
    }
    return Status::success();
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

void MemtraceProbes::stop_tracing() {
    uint32_t key = 0;
    while (bpf_map__get_next_key(skel_->maps.traced, nullptr, &key, sizeof(key)) == 0)
        if (bpf_map__delete_elem(skel_->maps.traced, &key, sizeof(key), 0) != 0) break;
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

std::vector<uint64_t> MemtraceProbes::trap_counts() const {
    int ncpus = libbpf_num_possible_cpus();
    std::vector<uint64_t> values(ncpus > 0 ? ncpus : 1), out(PMT_PROBE__MAX, 0);
    for (uint32_t kind = 0; kind < PMT_PROBE__MAX; ++kind)
        if (bpf_map__lookup_elem(skel_->maps.trap_counts, &kind, sizeof(kind), values.data(),
                                 values.size() * sizeof(uint64_t), 0) == 0)
            for (uint64_t v : values) out[kind] += v;
    return out;
}

std::optional<std::array<uint64_t, PMT_TRAP_GROUPS>> MemtraceProbes::process_traps(pid_t tgid) const {
    const uint32_t key = static_cast<uint32_t>(tgid);
    pmt_proc_state state{};
    if (bpf_map__lookup_elem(skel_->maps.traced, &key, sizeof(key), &state, sizeof(state), 0) != 0) return std::nullopt;
    std::array<uint64_t, PMT_TRAP_GROUPS> out{};
    std::copy(std::begin(state.traps), std::end(state.traps), out.begin());
    return out;
}

int MemtraceProbes::ring_buffer_fd() const { return bpf_map__fd(skel_->maps.events); }

SharedMaps MemtraceProbes::shared_maps() const {
    return SharedMaps{bpf_map__fd(skel_->maps.events), bpf_map__fd(skel_->maps.traced),
                      bpf_map__fd(skel_->maps.counters), bpf_map__fd(skel_->maps.announced_funcs)};
}

}  // namespace pmt
