#include "attach/kernel_features.h"

#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstdio>

#include "attach/uprobe_multi.h"

namespace pmt {
namespace {

int file_exists(const char* path) { return access(path, F_OK) == 0 ? 1 : 0; }

// libbpf's probes return 1 (yes), 0 (no) or a negative errno (could not tell).
int tri_state(int probe_result) { return probe_result < 0 ? -1 : (probe_result > 0 ? 1 : 0); }

// Helpers are probed in the program type the uprobes use (kprobe): a helper can
// exist in the kernel yet not be allowed there.
int kprobe_helper(bpf_func_id helper) {
    return tri_state(libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, helper, nullptr));
}

std::vector<KernelFeature> probe_all() {
    return {
        // CO-RE relocations and bpf_get_current_task_btf() need the kernel's own BTF.
        {"BTF (/sys/kernel/btf/vmlinux)", "5.5", true, false, file_exists("/sys/kernel/btf/vmlinux")},
        // Uprobes are created through the perf 'uprobe' PMU, with no tracefs.
        {"uprobe perf events", "4.17", true, false, file_exists("/sys/bus/event_source/devices/uprobe/type")},
        {"raw tracepoints", "4.17", true, false,
         tri_state(libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, nullptr))},
        {"BPF ring buffer", "5.8", true, false, tri_state(libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr))},
        // One program serves ~60 allocator functions; the cookie says which.
        {"bpf_get_attach_cookie", "5.15", true, false, kprobe_helper(BPF_FUNC_get_attach_cookie)},
        // The PHP stack walk: 128-512 frames do not fit an unrolled loop.
        {"bpf_loop", "5.17", true, false, kprobe_helper(BPF_FUNC_loop)},
        // Page faults (--faults) classify the faulting address by its VMA.
        {"bpf_find_vma", "5.17", true, true, kprobe_helper(BPF_FUNC_find_vma)},
        {"perf_event programs", "4.9", true, true,
         tri_state(libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_PERF_EVENT, nullptr))},
        // Optional: without it each function gets its own perf-event uprobe.
        {"multi-uprobe links", "6.6", false, false, kernel_has_uprobe_multi() ? 1 : 0},
    };
}

}  // namespace

const std::vector<KernelFeature>& kernel_features() {
    static const std::vector<KernelFeature> features = probe_all();
    return features;
}

Status check_kernel_features(bool with_faults) {
    // Unprivileged, the kernel refuses every probe program, which libbpf reports
    // as "not supported": say nothing here, the loader says root is needed.
    if (geteuid() != 0) return Status::success();
    std::string missing;
    for (const auto& f : kernel_features())
        if (f.required && f.present == 0 && (with_faults || !f.faults_only))
            missing += (missing.empty() ? "" : ", ") + f.name + " (Linux " + f.since + ")";
    if (missing.empty()) return Status::success();
    char release[256] = "?";
    if (FILE* f = fopen("/proc/sys/kernel/osrelease", "r")) {
        if (fgets(release, sizeof(release), f))
            for (char* p = release; *p; ++p)
                if (*p == '\n') *p = 0;
        fclose(f);
    }
    return Error{std::string("this kernel (") + release + ") lacks " + missing +
                 ", which phpmemtrace needs; see README.md, section Kernels"};
}

std::string kernel_features_summary() {
    std::string out = "kernel features:";
    for (const auto& f : kernel_features())
        out += " " + f.name + "=" + (f.present == 1 ? "yes" : f.present == 0 ? "no" : "unknown") + ";";
    out.pop_back();
    return out;
}

}  // namespace pmt
