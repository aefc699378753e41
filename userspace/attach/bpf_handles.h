// RAII owners for libbpf objects: every link, ring buffer and skeleton is
// destroyed when its owner goes out of scope, on every path.
#pragma once

#include <bpf/libbpf.h>

#include <memory>

namespace pmt {

struct BpfLinkDeleter {
    void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};
using BpfLink = std::unique_ptr<bpf_link, BpfLinkDeleter>;

struct RingBufferDeleter {
    void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
};
using RingBuffer = std::unique_ptr<ring_buffer, RingBufferDeleter>;

// Owns a bpftool-generated skeleton: Skel is e.g. memtrace_bpf, Destroy its
// __destroy function.
template <typename Skel, void (*Destroy)(Skel*)>
struct SkeletonDeleter {
    void operator()(Skel* skel) const { Destroy(skel); }
};

}  // namespace pmt
