#include "attach/uprobe_attach.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "attach/uprobe_multi.h"

namespace pmt {
namespace {

Status attach_multi(const std::string& binary, pid_t pid, const std::vector<ResolvedProbe>& probes, bool retprobe,
                    ProbeLinks& into) {
    std::map<bpf_program*, std::vector<UprobeMultiTarget>> by_program;
    for (const auto& p : probes)
        if (bpf_program* prog = retprobe ? p.ret : p.entry) by_program[prog].push_back({p.file_offset, p.cookie});
    for (const auto& [prog, targets] : by_program) {
        auto link = attach_uprobe_multi(prog, binary, targets, retprobe, pid);
        if (!link) return link.error();
        into.multi.push_back(std::move(*link));
    }
    return Status::success();
}

Status attach_single(const std::string& binary, pid_t pid, const std::vector<ResolvedProbe>& probes, bool retprobe,
                     ProbeLinks& into) {
    for (const auto& p : probes) {
        bpf_program* prog = retprobe ? p.ret : p.entry;
        if (!prog) continue;
        LIBBPF_OPTS(bpf_uprobe_opts, opts);
        opts.retprobe = retprobe;
        opts.bpf_cookie = p.cookie;
        bpf_link* link = bpf_program__attach_uprobe_opts(prog, pid, binary.c_str(), p.file_offset, &opts);
        if (!link)
            return Error{"cannot attach a uprobe to " + p.what + ": " + std::strerror(errno)};
        into.perf.emplace_back(link);
    }
    return Status::success();
}

}  // namespace

Status attach_probes(const std::string& binary, pid_t pid, const std::vector<ResolvedProbe>& probes,
                     bool use_uprobe_multi, ProbeLinks& into) {
    for (bool retprobe : {true, false}) {
        Status s = use_uprobe_multi ? attach_multi(binary, pid, probes, retprobe, into)
                                    : attach_single(binary, pid, probes, retprobe, into);
        if (!s) return s;
    }
    return Status::success();
}

}  // namespace pmt
