#include "heap/heap_session.h"

#include "heap/heap_probes.h"
#include "target/process.h"

namespace pmt {
namespace {

// Attach mode: the heap of a running process already has chunks and maybe huge
// blocks; read heap->real_size, heap->size and the huge list from outside. The
// huge blocks go to the Collector too: their frees carry no size.
void read_baseline(HeapTracker& tracker, Collector& collector, const PhpBinary& php, pid_t pid) {
    const pmt_php_offsets& off = php.offsets();
    auto heap_address = php.heap_address_in_process(pid);
    if (!heap_address || !off.heap_real_size) return;
    const uint64_t heap = *heap_address;
    uint64_t real = 0, used = 0, huge = 0;
    if (!read_process_memory(pid, heap + off.heap_real_size, &real, sizeof(real))) return;
    read_process_memory(pid, heap + off.heap_size, &used, sizeof(used));
    if (off.heap_huge_list) {
        uint64_t node = 0;
        read_process_memory(pid, heap + off.heap_huge_list, &node, sizeof(node));
        for (int i = 0; node && i < 100000; ++i) {
            uint64_t ptr = 0, size = 0;  // zend_mm_huge_list {ptr, size, next}
            if (!read_process_memory(pid, node, &ptr, sizeof(ptr)) ||
                !read_process_memory(pid, node + off.huge_list_size, &size, sizeof(size)) ||
                !read_process_memory(pid, node + off.huge_list_next, &node, sizeof(node)))
                break;
            huge += size;
            if (ptr && size) collector.note_baseline_huge_block(static_cast<uint32_t>(pid), ptr, size);
        }
    }
    tracker.set_baseline(static_cast<uint32_t>(pid), real, huge, used);
}

class HeapModule : public SessionModule {
public:
    explicit HeapModule(const HeapSessionOptions& options) : tracker_(options.tracker) {}

    Status start(SessionContext& context) override {
        const PhpBinary& php = context.php;
        auto loaded = HeapProbes::load(php, context.allocations.config(), context.allocations.shared_maps(),
                                       context.allocations.options().use_uprobe_multi);
        if (!loaded) return loaded.error();
        probes_ = std::move(*loaded);
        std::string method = php.heap_probe_points().method;
        for (const auto& m : probes_->missing()) method += "; not probed (no such function): " + m;
        const bool has_sg = php.elf().symbol("sapi_globals").has_value();
        tracker_.set_method(
            method, has_sg ? "SG(request_info) read at the php_request_startup/php_request_shutdown uprobes"
                           : "php_request_startup/php_request_shutdown uprobes (no sapi_globals: no URI)");
        collector_ = &context.collector;
        tracker_.attach_to(context.collector);
        for (pid_t pid : context.running_processes) read_baseline(tracker_, context.collector, php, pid);
        php_ = &php;
        return Status::success();
    }

    void add_running_process(pid_t pid) override { read_baseline(tracker_, *collector_, *php_, pid); }

    std::vector<ResolvedProbe> uprobes() const override { return probes_->uprobes(); }

    void finish(Profile& profile) override {
        tracker_.finish(profile, *collector_);
        probes_.reset();
    }

private:
    HeapTracker tracker_;
    std::unique_ptr<HeapProbes> probes_;
    Collector* collector_ = nullptr;
    const PhpBinary* php_ = nullptr;
};

}  // namespace

std::unique_ptr<SessionModule> make_heap_module(const HeapSessionOptions& options) {
    return std::make_unique<HeapModule>(options);
}

}  // namespace pmt
