#include "faults/fault_tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <tuple>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "attach/bpf_load.h"
#include "faults.skel.h"

namespace pmt {

namespace {

std::string errno_text(int err) {
    return std::strerror(err < 0 ? -err : err);
}

int open_sw_event(uint64_t config, int cpu) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = config;
    attr.sample_period = 1;  // every fault runs the program
    // Kernel-mode faults on user memory (copy_to_user) count too: no exclude_kernel.
    return static_cast<int>(syscall(SYS_perf_event_open, &attr, -1 /* every process */, cpu,
                                    -1, PERF_FLAG_FD_CLOEXEC));
}

}  // namespace

std::vector<int> parse_cpu_list(const std::string& text) {
    std::vector<int> cpus;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ',')) {
        if (part.empty() || part == "\n") continue;
        int first = 0, last = 0;
        if (std::sscanf(part.c_str(), "%d-%d", &first, &last) == 2) {
            for (int c = first; c <= last; ++c) cpus.push_back(c);
        } else if (std::sscanf(part.c_str(), "%d", &first) == 1) {
            cpus.push_back(first);
        }
    }
    return cpus;
}

std::vector<int> online_cpus() {
    std::ifstream f("/sys/devices/system/cpu/online");
    std::string text;
    std::getline(f, text);
    return parse_cpu_list(text);
}

Result<std::unique_ptr<FaultTracer>> FaultTracer::start(const FaultTracerOptions& options) {
    std::unique_ptr<FaultTracer> t(new FaultTracer);
    t->skel_.reset(faults_bpf__open());
    if (!t->skel_) return Error{"page-fault tracing: cannot open faults.bpf.o: " + errno_text(errno)};
    faults_bpf* skel = t->skel_.get();

    pmt_config cfg = options.config;
    cfg.max_frames = std::min<uint32_t>(options.max_frames, PMT_MAX_FRAMES);
    if (options.config.max_frames) cfg.max_frames = std::min(cfg.max_frames, options.config.max_frames);
    std::memcpy(const_cast<pmt_config*>(&skel->rodata->cfg), &cfg, sizeof(cfg));
    skel->rodata->lookup_vma = options.vma_lookup ? 1 : 0;
    if (auto s = share_maps(skel->obj, options.shared, "faults.bpf.o"); !s)
        return Error{"page-fault tracing: " + s.error().message};
    if (options.shared.events < 0) bpf_map__set_max_entries(skel->maps.events, options.own_ringbuf_bytes);
    if (auto s = load_bpf_object(skel->obj, "faults.bpf.o",
                                 [skel] { return faults_bpf__load(skel); });
        !s)
        return Error{"page-fault tracing: " + s.error().message};
    if (Status s = t->attach(options); !s) return s.error();
    return t;
}

Status FaultTracer::attach(const FaultTracerOptions&) {
    auto& progs = skel_->progs;
    for (auto [prog, what] : {std::pair{progs.on_fault_user, "page_fault_user"},
                              std::pair{progs.on_fault_kernel, "page_fault_kernel"}}) {
        bpf_link* link = bpf_program__attach(prog);
        if (!link)
            return Error{std::string("page-fault tracing: cannot attach the raw tracepoint ") + what + ": " +
                         errno_text(errno)};
        links_.emplace_back(link);
    }
    const std::vector<int> cpus = online_cpus();
    if (cpus.empty()) return Error{"page-fault tracing: cannot read /sys/devices/system/cpu/online"};
    for (int cpu : cpus) {
        for (auto [config, prog, what] :
             {std::tuple{uint64_t{PERF_COUNT_SW_PAGE_FAULTS_MIN}, progs.on_fault_end_minor, "page-faults-min"},
              std::tuple{uint64_t{PERF_COUNT_SW_PAGE_FAULTS_MAJ}, progs.on_fault_end_major, "page-faults-maj"}}) {
            int fd = open_sw_event(config, cpu);
            if (fd < 0)
                return Error{std::string("page-fault tracing: cannot open software perf event ") + what +
                             " on CPU " + std::to_string(cpu) + ": " + errno_text(errno)};
            bpf_link* link = bpf_program__attach_perf_event(prog, fd);
            if (!link) {
                int err = errno;
                close(fd);  // not owned by a link yet
                return Error{std::string("page-fault tracing: cannot attach BPF to perf event ") + what +
                             " on CPU " + std::to_string(cpu) + ": " + errno_text(err)};
            }
            links_.emplace_back(link);  // the link closes the perf event's fd
            ++perf_links_;
        }
    }
    return Status::success();
}

std::vector<ResolvedProbe> FaultTracer::restore_probes(const std::vector<uint64_t>& file_offsets) const {
    std::vector<ResolvedProbe> out;
    for (size_t i = 0; i < file_offsets.size(); ++i)
        out.push_back({"the snapshot-restore function at offset " + std::to_string(file_offsets[i]), file_offsets[i],
                       PMT_COOKIE(PMT_PROBE_RESTORE, i, 0), skel_->progs.restore_entry, skel_->progs.restore_return});
    return out;
}

Status FaultTracer::attach_restore_functions(const std::string& binary, const std::vector<uint64_t>& file_offsets,
                                             pid_t pid) {
    return attach_probes(binary, pid, restore_probes(file_offsets), false, restore_links_);
}

void FaultTracer::SkelDeleter::operator()(faults_bpf* skel) const { faults_bpf__destroy(skel); }

FaultTracer::~FaultTracer() {
    restore_links_ = {};
    links_.clear();
}

int FaultTracer::traced_fd() const { return bpf_map__fd(skel_->maps.traced); }
int FaultTracer::events_fd() const { return bpf_map__fd(skel_->maps.events); }

FaultCounters FaultTracer::counters() const {
    const int ncpus = libbpf_num_possible_cpus();
    std::vector<uint64_t> values(ncpus > 0 ? ncpus : 1);
    uint64_t sums[PMT_FCNT__MAX] = {};
    const int fd = bpf_map__fd(skel_->maps.fault_counters);
    for (uint32_t key = 0; key < PMT_FCNT__MAX; ++key) {
        if (bpf_map_lookup_elem(fd, &key, values.data())) continue;
        for (uint64_t v : values) sums[key] += v;
    }
    FaultCounters c;
    c.starts = sums[PMT_FCNT_STARTS];
    c.ends = sums[PMT_FCNT_ENDS];
    c.unmatched_ends = sums[PMT_FCNT_UNMATCHED_END];
    c.addr_mismatches = sums[PMT_FCNT_ADDR_MISMATCH];
    c.no_vma = sums[PMT_FCNT_NO_VMA];
    c.no_bias = sums[PMT_FCNT_NO_BIAS];
    // A program the kernel did not run because another BPF program was running on
    // that CPU: a fault it did not time (or a start it did not see).
    for (bpf_program* prog : {skel_->progs.on_fault_user, skel_->progs.on_fault_kernel,
                              skel_->progs.on_fault_end_minor, skel_->progs.on_fault_end_major}) {
        bpf_prog_info info{};
        uint32_t len = sizeof(info);
        if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) c.program_misses += info.recursion_misses;
    }
    return c;
}

}  // namespace pmt
