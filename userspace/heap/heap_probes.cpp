#include "heap/heap_probes.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "attach/probe_table.h"
#include "heap.skel.h"

namespace pmt {

void HeapProbes::SkelDeleter::operator()(heap_bpf* skel) const { heap_bpf__destroy(skel); }

HeapProbes::~HeapProbes() = default;

Result<std::unique_ptr<HeapProbes>> HeapProbes::load(const PhpBinary& php, const pmt_config& config,
                                                     const SharedMaps& shared, bool use_uprobe_multi) {
    std::unique_ptr<HeapProbes> probes(new HeapProbes());
    const ZendHeapProbePoints& points = php.heap_probe_points();
    probes->skel_.reset(heap_bpf__open());
    if (!probes->skel_) return Error{std::string("heap tracing: cannot open heap.bpf.o: ") + std::strerror(errno)};
    heap_bpf* skel = probes->skel_.get();
    std::memcpy(const_cast<pmt_config*>(&skel->rodata->cfg), &config, sizeof(config));
    auto* returns = const_cast<__u64*>(skel->rodata->huge_call_returns);
    for (size_t i = 0; i < points.huge_call_returns.size() && i < PMT_HUGE_CALL_SITES; ++i)
        returns[i] = points.huge_call_returns[i];
    if (auto s = share_maps(skel->obj, shared, "heap.bpf.o"); !s) return Error{"heap tracing: " + s.error().message};
    if (use_uprobe_multi) set_uprobe_multi_attach_type(skel->obj, {"heap_entry", "heap_return"});
    if (auto s = load_bpf_object(skel->obj, "heap.bpf.o", [skel] { return heap_bpf__load(skel); }); !s)
        return Error{"heap tracing: " + s.error().message};
    auto uprobes = resolve_probes(php, ProbeObject::Heap, skel->progs.heap_entry, skel->progs.heap_return,
                                  probes->missing_);
    if (!uprobes) return Error{"heap tracing: " + uprobes.error().message};
    probes->uprobes_ = std::move(*uprobes);
    return probes;
}

}  // namespace pmt
