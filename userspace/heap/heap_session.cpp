#include "heap/heap_session.h"

#include <memory>

#include "heap/heap_probes.h"
#include "target/process.h"
#include "target/process_tree.h"

namespace pmt {
namespace {

struct HeapSessionState {
    explicit HeapSessionState(const HeapSessionOptions& o) : options(o), tracker(o.tracker) {}
    HeapSessionOptions options;
    HeapTracker tracker;
    std::unique_ptr<HeapProbes> probes;
    Collector* collector = nullptr;
};

// Attach mode: the heap of a running process already has chunks and maybe huge
// blocks; read heap->real_size, heap->size and the huge list from outside.
void read_baseline(HeapSessionState& state, const PhpBinary& php, pid_t pid) {
    const HeapLayout& layout = php.heap_layout();
    auto heap_address = php.heap_address_in_process(pid);
    if (!heap_address || !layout.heap_real_size) return;
    const uint64_t heap = *heap_address;
    uint64_t real = 0, used = 0, huge = 0;
    if (!read_process_memory(pid, heap + layout.heap_real_size, &real, sizeof(real))) return;
    read_process_memory(pid, heap + layout.heap_size, &used, sizeof(used));
    if (uint32_t list_off = state.probes->points().heap_huge_list) {
        // zend_mm_huge_list: ptr 0, size 8, next 16
        uint64_t node = 0;
        read_process_memory(pid, heap + list_off, &node, sizeof(node));
        for (int i = 0; node && i < 100000; ++i) {
            uint64_t entry[3] = {};
            if (!read_process_memory(pid, node, entry, sizeof(entry))) break;
            huge += entry[1];
            node = entry[2];
        }
    }
    state.tracker.set_baseline(static_cast<uint32_t>(pid), real, huge, used);
}

}  // namespace

SessionHooks make_heap_session_hooks(const HeapSessionOptions& options) {
    auto state = std::make_shared<HeapSessionState>(options);
    SessionHooks hooks;
    hooks.before_start = [state](MemtraceProbes& probes, Collector& collector, const PhpBinary& php) -> Status {
        HeapProbeOptions probe_options;
        probe_options.max_frames = state->options.max_frames;
        probe_options.follow_forks = state->options.follow_forks;
        probe_options.use_uprobe_multi = state->options.use_uprobe_multi;
        auto started = HeapProbes::start(php, probes, probe_options);
        if (!started) return started.error();
        state->probes = std::move(*started);
        std::string method = state->probes->points().method;
        for (const auto& m : state->probes->missing()) method += "; not probed (no such function): " + m;
        const bool has_sg = php.elf().symbol("sapi_globals").has_value();
        state->tracker.set_method(
            method, has_sg ? "SG(request_info) read at the php_request_startup/php_request_shutdown uprobes"
                           : "php_request_startup/php_request_shutdown uprobes (no sapi_globals: no URI)");
        state->collector = &collector;
        state->tracker.attach_to(collector);
        if (state->options.attach_pid) {
            read_baseline(*state, php, *state->options.attach_pid);
            if (state->options.follow_forks)
                for (pid_t child : descendant_processes(*state->options.attach_pid))
                    read_baseline(*state, php, child);
        }
        return Status::success();
    };
    hooks.attach_to = [state](pid_t pid) { return state->probes->attach_to(pid); };
    hooks.detach_from = [state](pid_t pid) { state->probes->detach_from(pid); };
    hooks.finish = [state](Profile& profile) {
        if (state->collector) state->tracker.finish(profile, *state->collector);
        state->probes.reset();  // detach now rather than at process exit
    };
    return hooks;
}

}  // namespace pmt
