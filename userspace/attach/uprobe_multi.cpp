#include "attach/uprobe_multi.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pmt {
namespace {

// The BPF_LINK_CREATE part of union bpf_attr for uprobe_multi, as in the kernel's
// uapi (include/uapi/linux/bpf.h, 6.6+). Padded to the size of union bpf_attr
// of newer kernels; the kernel checks that the bytes it does not know are zero.
struct LinkCreateUprobeMultiAttr {
    uint32_t prog_fd;
    uint32_t target_fd;
    uint32_t attach_type;
    uint32_t flags;
    uint64_t path;
    uint64_t offsets;
    uint64_t ref_ctr_offsets;
    uint64_t cookies;
    uint32_t cnt;
    uint32_t multi_flags;
    uint32_t pid;
    uint32_t padding[25];
};
static_assert(offsetof(LinkCreateUprobeMultiAttr, path) == 16);
static_assert(offsetof(LinkCreateUprobeMultiAttr, cnt) == 48);
static_assert(offsetof(LinkCreateUprobeMultiAttr, pid) == 56);

constexpr uint32_t kUprobeMultiReturn = 1;  // BPF_F_UPROBE_MULTI_RETURN
constexpr int kBpfLinkCreate = 28;          // BPF_LINK_CREATE

}  // namespace

// libbpf's own probe (1.4+, not in Debian's 1.1): a two-instruction program loaded
// for multi-uprobe links, linked to "/", which is not a regular file. A kernel with
// multi-uprobe links refuses the path (EBADF); one without refuses the attach
// type (EINVAL). Cheaper than looking the enum up in the kernel's BTF: that meant
// reading and parsing 5.5 MB (7-20 ms) before every session.
bool kernel_has_uprobe_multi() {
    static const bool has = [] {
        const bpf_insn returns_zero[] = {
            {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},  // r0 = 0
            {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
        };
        LIBBPF_OPTS(bpf_prog_load_opts, load_opts,
                    .expected_attach_type = static_cast<bpf_attach_type>(kBpfTraceUprobeMulti));
        const int prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, nullptr, "GPL", returns_zero, 2, &load_opts);
        if (prog < 0) return false;
        const uint64_t offset = 0;
        LinkCreateUprobeMultiAttr attr;
        std::memset(&attr, 0, sizeof(attr));
        attr.prog_fd = static_cast<uint32_t>(prog);
        attr.attach_type = kBpfTraceUprobeMulti;
        attr.path = reinterpret_cast<uint64_t>("/");
        attr.offsets = reinterpret_cast<uint64_t>(&offset);
        attr.cnt = 1;
        const long link = syscall(__NR_bpf, kBpfLinkCreate, &attr, sizeof(attr));
        const int err = errno;
        if (link >= 0) close(static_cast<int>(link));
        close(prog);
        return link < 0 && err == EBADF;
    }();
    return has;
}

UprobeMultiLink& UprobeMultiLink::operator=(UprobeMultiLink&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) close(fd_);
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

UprobeMultiLink::~UprobeMultiLink() {
    if (fd_ >= 0) close(fd_);
}

Result<UprobeMultiLink> attach_uprobe_multi(const bpf_program* program, const std::string& binary,
                                            const std::vector<UprobeMultiTarget>& targets, bool retprobe, pid_t pid) {
    std::vector<uint64_t> offsets, cookies;
    for (const auto& t : targets) {
        offsets.push_back(t.file_offset);
        cookies.push_back(t.cookie);
    }
    LinkCreateUprobeMultiAttr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.prog_fd = static_cast<uint32_t>(bpf_program__fd(program));
    attr.attach_type = kBpfTraceUprobeMulti;
    attr.path = reinterpret_cast<uint64_t>(binary.c_str());
    attr.offsets = reinterpret_cast<uint64_t>(offsets.data());
    attr.cookies = reinterpret_cast<uint64_t>(cookies.data());
    attr.cnt = static_cast<uint32_t>(targets.size());
    attr.multi_flags = retprobe ? kUprobeMultiReturn : 0;
    attr.pid = pid > 0 ? static_cast<uint32_t>(pid) : 0;
    long fd = syscall(__NR_bpf, kBpfLinkCreate, &attr, sizeof(attr));
    if (fd < 0) return Error{std::string("uprobe_multi link: ") + std::strerror(errno)};
    return UprobeMultiLink(static_cast<int>(fd));
}

}  // namespace pmt
