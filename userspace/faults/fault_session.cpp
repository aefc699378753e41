#include "faults/fault_session.h"

#include <memory>
#include <vector>

#include "faults/fault_collector.h"
#include "faults/fault_tracer.h"
#include "faults/restore_functions.h"
#include "target/php_binary.h"

namespace pmt {
namespace {

class FaultModule : public SessionModule {
public:
    explicit FaultModule(const FaultSessionOptions& o) : options(o) {}

    FaultSessionOptions options;
    std::unique_ptr<FaultTracer> tracer;
    std::vector<uint64_t> restore_offsets;
    FaultCollector faults;
    Collector* collector = nullptr;

    Status start(SessionContext& context) override {
        const PhpBinary& php = context.php;
        Collector& c = context.collector;
        FaultTracerOptions o;
        o.config = context.allocations.config();
        o.max_frames = options.max_frames;
        o.vma_lookup = options.vma_lookup;
        o.shared = context.allocations.shared_maps();
        auto t = FaultTracer::start(o);
        if (!t) return t.error();
        tracer = std::move(*t);
        collector = &c;
        // A PHP with heap snapshots: measure every restore (stock PHP has none).
        std::vector<std::string> names;
        for (const auto& f : find_restore_functions(php.elf())) {
            names.push_back(f.name);
            restore_offsets.push_back(f.file_offset);
        }
        faults.set_restore_functions(std::move(names));
        route_fault_records(c, faults, [&c](uint32_t stack, uint64_t ns) { c.add_fault(stack, ns); });
        return Status::success();
    }

    std::vector<ResolvedProbe> uprobes() const override { return tracer->restore_probes(restore_offsets); }

    void finish(Profile& p) override {
        if (!tracer) return;
        faults.set_kernel_counters(tracer->counters());
        tracer.reset();  // release the object now, not when the module is destroyed
        // (Each fault's figures are on its stack already: Collector::add_fault.)
        p.faults = faults.report([this](uint64_t ts) { return collector->seconds_since_start(ts); });
    }
};

}  // namespace

void route_fault_records(Collector& collector, FaultCollector& faults,
                         std::function<void(uint32_t stack, uint64_t ns)> on_fault) {
    auto handler = [&faults, on_fault = std::move(on_fault)](Collector& c, const RecordView& record) {
        auto a = faults.on_record(record);
        if (!a || a->leaf_first.empty()) return;
        on_fault(c.intern_record_stack(a->tgid, a->leaf_first), a->ns);
    };
    faults.set_huge_block_lookup([&collector](uint32_t tgid, uint64_t addr) {
        const ProcessHeap* p = collector.find_process(tgid);
        return p && p->in_huge_block(addr);
    });
    collector.add_extension(PMT_REC_FAULT, PMT_REC_FAULT, handler);
    collector.add_extension(PMT_REC_REQUEST, PMT_REC_PROC_EXIT, handler);  // requests, forks, exits
    collector.add_extension(PMT_REC_RESTORE_BEGIN, PMT_REC_RESTORE_END, handler);
}

std::unique_ptr<SessionModule> make_fault_module(const FaultSessionOptions& options) {
    return std::make_unique<FaultModule>(options);
}

}  // namespace pmt
