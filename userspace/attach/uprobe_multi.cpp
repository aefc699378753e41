#include "attach/uprobe_multi.h"

#include <bpf/btf.h>
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

bool kernel_has_uprobe_multi() {
    static const bool has = [] {
        btf* vmlinux = btf__load_vmlinux_btf();
        if (!vmlinux) return false;
        bool found = false;
        int id = btf__find_by_name_kind(vmlinux, "bpf_attach_type", BTF_KIND_ENUM);
        if (id > 0) {
            const btf_type* type = btf__type_by_id(vmlinux, id);
            const struct btf_enum* values = btf_enum(type);
            for (int i = 0; i < btf_vlen(type) && !found; ++i)
                found = std::strcmp(btf__name_by_offset(vmlinux, values[i].name_off), "BPF_TRACE_UPROBE_MULTI") == 0;
        }
        btf__free(vmlinux);
        return found;
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
