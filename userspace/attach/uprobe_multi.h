// Multi-uprobe links (kernel 6.6+, BPF_TRACE_UPROBE_MULTI) created with the raw
// bpf() syscall, since Debian's libbpf 1.1 predates them.
//
// Why: one perf-event uprobe per function costs a synchronize_srcu() when it is
// detached; with ~120 probes that is ~20 s at the end of every session on these
// VMs. A multi link attaches all functions of one program in one call and
// detaches them with one grace period.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

struct bpf_program;

namespace pmt {

// The attach type value (enum bpf_attach_type) for programs loaded for multi links.
inline constexpr int kBpfTraceUprobeMulti = 48;

// Does the running kernel know multi-uprobe links? Asked of the kernel (a probe
// link it must refuse for the right reason), never guessed from the version number.
bool kernel_has_uprobe_multi();

// Owns a link fd; closing it detaches every probe of the link.
class UprobeMultiLink {
public:
    UprobeMultiLink() = default;
    explicit UprobeMultiLink(int fd) : fd_(fd) {}
    UprobeMultiLink(UprobeMultiLink&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    UprobeMultiLink& operator=(UprobeMultiLink&& o) noexcept;
    UprobeMultiLink(const UprobeMultiLink&) = delete;
    UprobeMultiLink& operator=(const UprobeMultiLink&) = delete;
    ~UprobeMultiLink();

private:
    int fd_ = -1;
};

struct UprobeMultiTarget {
    uint64_t file_offset;
    uint64_t cookie;
};

// Attaches `program` (loaded with expected attach type kBpfTraceUprobeMulti) to
// every target in `binary`; pid -1 means every process.
Result<UprobeMultiLink> attach_uprobe_multi(const bpf_program* program, const std::string& binary,
                                            const std::vector<UprobeMultiTarget>& targets, bool retprobe, pid_t pid);

}  // namespace pmt
