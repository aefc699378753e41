#include "heap/heap_probes.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "heap.skel.h"
#include "memtrace.skel.h"
#include "attach/bpf_load.h"
#include "attach/uprobe_multi.h"

namespace pmt {
namespace {

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

// sapi_globals_struct starts with `void *server_context`, then sapi_request_info:
// request_method, query_string, cookie_data, content_length, path_translated,
// request_uri. Unchanged from PHP 7.4 to 8.5 (checked with offsetof against the
// php8.2-dev headers: 8, 16, 40, 48).
constexpr uint32_t kSgRequestMethod = 8;
constexpr uint32_t kSgQueryString = 16;
constexpr uint32_t kSgPathTranslated = 40;
constexpr uint32_t kSgRequestUri = 48;
constexpr uint32_t kZendStringVal = 24;

}  // namespace

void HeapProbes::SkelDeleter::operator()(heap_bpf* skel) const { heap_bpf__destroy(skel); }

HeapProbes::~HeapProbes() {
    process_links_.clear();  // detach before the programs go away
}

Result<std::unique_ptr<HeapProbes>> HeapProbes::start(const PhpBinary& php, MemtraceProbes& shared,
                                                      const HeapProbeOptions& options) {
    std::unique_ptr<HeapProbes> probes(new HeapProbes());
    probes->php_ = &php;
    probes->points_ = discover_zend_heap_probe_points(php.elf());
    const ZendHeapProbePoints& points = probes->points_;
    probes->skel_.reset(heap_bpf__open());
    if (!probes->skel_) return Error{"heap tracing: cannot open heap.bpf.o: " + errno_text(errno)};
    heap_bpf* skel = probes->skel_.get();

    const pmt_config cfg = php.bpf_config(options.max_frames, options.follow_forks);
    std::memcpy(const_cast<pmt_config*>(&skel->rodata->cfg), &cfg, sizeof(cfg));
    pmt_heap_config heap_cfg{};
    heap_cfg.heap_peak = points.heap_peak;
    heap_cfg.heap_limit = points.heap_limit;
    if (auto sg = php.elf().symbol("sapi_globals")) {
        heap_cfg.sg_vaddr = sg->vaddr;
        heap_cfg.sg_request_method = kSgRequestMethod;
        heap_cfg.sg_query_string = kSgQueryString;
        heap_cfg.sg_path_translated = kSgPathTranslated;
        heap_cfg.sg_request_uri = kSgRequestUri;
    }
    heap_cfg.zstr_val = kZendStringVal;
    heap_cfg.max_frames = options.max_frames;
    std::memcpy(const_cast<pmt_heap_config*>(&skel->rodata->heap_cfg), &heap_cfg, sizeof(heap_cfg));
    auto* returns = const_cast<__u64*>(skel->rodata->huge_call_returns);
    for (size_t i = 0; i < points.huge_call_returns.size() && i < PMT_HUGE_CALL_SITES; ++i) returns[i] = points.huge_call_returns[i];

    memtrace_bpf* mt = shared.skeleton();
    for (auto [mine, theirs, name] : {std::tuple{skel->maps.events, mt->maps.events, "events"},
                                      std::tuple{skel->maps.traced, mt->maps.traced, "traced"},
                                      std::tuple{skel->maps.counters, mt->maps.counters, "counters"},
                                      std::tuple{skel->maps.announced_funcs, mt->maps.announced_funcs,
                                                 "announced_funcs"}})
        if (int err = bpf_map__reuse_fd(mine, bpf_map__fd(theirs)); err)
            return Error{std::string("heap tracing: cannot share map ") + name + ": " + errno_text(err)};
    const bool use_multi = options.use_uprobe_multi && kernel_has_uprobe_multi();
    if (use_multi)
        for (bpf_program* prog : {skel->progs.heap_entry, skel->progs.heap_return})
            bpf_program__set_expected_attach_type(prog, static_cast<bpf_attach_type>(kBpfTraceUprobeMulti));
    if (auto s = load_bpf_object(skel->obj, "heap.bpf.o", [skel] { return heap_bpf__load(skel); }); !s)
        return Error{"heap tracing: " + s.error().message};

    auto symbol = [&](const char* name) -> uint64_t {
        auto sym = php.elf().symbol(name);
        return sym ? sym->vaddr : 0;
    };
    const std::vector<Probe> wanted = {
        {points.chunk_alloc, "zend_mm_chunk_alloc_int", PMT_HEAP_PROBE_CHUNK_ALLOC, true},
        {points.chunk_free, "zend_mm_chunk_free", PMT_HEAP_PROBE_CHUNK_FREE, false},
        {symbol("zend_gc_collect_cycles"), "zend_gc_collect_cycles", PMT_HEAP_PROBE_GC, true},
        {symbol("zend_error_zstr_at"), "zend_error_zstr_at", PMT_HEAP_PROBE_ERROR, false},
        {symbol("php_request_startup"), "php_request_startup", PMT_PROBE_REQUEST_STARTUP, false},
        {symbol("php_request_shutdown"), "php_request_shutdown", PMT_PROBE_REQUEST_SHUTDOWN, true},
    };
    for (const auto& p : wanted) {
        if (p.vaddr)
            probes->present_.push_back(p);
        else
            probes->missing_.push_back(p.what);
    }
    probes->use_multi_ = use_multi;
    return probes;
}

Status HeapProbes::attach_to(pid_t pid) {
    if (process_links_.has(pid)) return Status::success();
    Status s = attach_all(pid, process_links_.of(pid));
    if (!s) process_links_.drop(pid);
    return s;
}

// Return probes first: an entry must never be recorded without its return probe.
Status HeapProbes::attach_all(pid_t pid, ProbeLinks& into) {
    std::vector<UprobeMultiTarget> entries, returns;
    for (const auto& p : present_) {
        auto offset = php_->elf().file_offset_of(p.vaddr);
        if (!offset) return Error{"heap tracing: cannot find " + p.what + " in the file " + php_->path()};
        const uint64_t cookie = PMT_COOKIE(p.kind, 0, p.vaddr);
        entries.push_back({*offset, cookie});
        if (p.has_return) returns.push_back({*offset, cookie});
    }
    if (use_multi_) {
        for (auto [prog, targets, retprobe] : {std::tuple{skel_->progs.heap_return, &returns, true},
                                               std::tuple{skel_->progs.heap_entry, &entries, false}}) {
            if (targets->empty()) continue;
            auto link = attach_uprobe_multi(prog, php_->path(), *targets, retprobe, pid);
            if (!link) return Error{"heap tracing: " + link.error().message};
            into.multi.push_back(std::move(*link));
        }
        return Status::success();
    }
    for (auto [prog, targets, retprobe] : {std::tuple{skel_->progs.heap_return, &returns, true},
                                           std::tuple{skel_->progs.heap_entry, &entries, false}})
        for (const auto& t : *targets) {
            LIBBPF_OPTS(bpf_uprobe_opts, opts);
            opts.retprobe = retprobe;
            opts.bpf_cookie = t.cookie;
            bpf_link* link = bpf_program__attach_uprobe_opts(prog, pid, php_->path().c_str(), t.file_offset, &opts);
            if (!link) return Error{"heap tracing: cannot attach a uprobe: " + errno_text(errno)};
            into.perf.emplace_back(link);
        }
    return Status::success();
}

}  // namespace pmt
