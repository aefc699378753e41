#include "snapshot/take_snapshot.h"

#include <unistd.h>

#include "session/session_core.h"
#include "snapshot/process_pause.h"
#include "target/php_binary.h"
#include "target/process.h"

namespace pmt {
namespace {

struct Target {
    PhpBinary binary;
    uint64_t heap_address = 0;
    uint64_t real_size = 0;  // before the pause: how much room the copy needs
};

Result<Target> check_target(pid_t pid) {
    if (geteuid() != 0)
        return Error{"snapshot needs root (it pauses the target with ptrace and reads it with process_vm_readv)"};
    auto image = php_image_of_process(pid);
    if (!image) return image.error();
    auto binary = PhpBinary::open(*image);
    if (!binary) return binary.error();
    const pmt_php_offsets& off = binary->offsets();
    if (!binary->heap_layout().heap_ptr_vaddr || !off.heap_size || !off.heap_real_size || !off.chunk_map ||
        !off.heap_huge_list || !off.heap_free_slot)
        return Error{"cannot find the Zend heap's layout in " + *image + " (its allocator code is not as expected)"};
    if (process_env(pid, "USE_ZEND_ALLOC") == std::optional<std::string>("0"))
        return Error{"process " + std::to_string(pid) + " runs with USE_ZEND_ALLOC=0 (libc malloc): it has no Zend heap"};
    auto heap = binary->heap_address_in_process(pid);
    if (!heap) return Error{"cannot read the heap pointer (AG(mm_heap)) of process " + std::to_string(pid)};
    int32_t custom = 0;
    uint64_t real_size = 0;
    if (!read_process_memory(pid, *heap + off.heap_use_custom_heap, &custom, sizeof(custom)) ||
        !read_process_memory(pid, *heap + off.heap_real_size, &real_size, sizeof(real_size)))
        return Error{"cannot read the heap of process " + std::to_string(pid)};
    if (custom != 0)
        return Error{"process " + std::to_string(pid) +
                     " uses custom heap handlers (USE_ZEND_ALLOC=0, or an extension such as php-memprof): its "
                     "blocks are not in the Zend heap"};
    return Target{std::move(*binary), *heap, real_size};
}

struct Globals {
    uint64_t eg = 0, cg = 0;
};

// executor_globals and compiler_globals in the process: the binary's data,
// outside the heap, at its link-time addresses plus the load bias.
std::optional<Globals> globals_in_process(const PhpBinary& binary, pid_t pid) {
    const pmt_config cfg = binary.bpf_config(0, false);
    auto bias = load_bias_in_process(pid, binary.path());
    if (!bias || !cfg.eg_vaddr || !cfg.cg_vaddr) return std::nullopt;
    return Globals{*bias + cfg.eg_vaddr, *bias + cfg.cg_vaddr};
}

Error late_error() {
    return Error{"gave up: the pause took longer than --max-pause; the target was resumed, nothing written"};
}

double ms_between(uint64_t from_ns, uint64_t to_ns) { return static_cast<double>(to_ns - from_ns) / 1e6; }

}  // namespace

Result<Snapshot> take_snapshot(const SnapshotOptions& options) {
    auto target = check_target(options.pid);
    if (!target) return target.error();
    const pmt_php_offsets& off = target->binary.offsets();
    // Room for growth between this read and the pause, faulted in now.
    auto arena = std::make_unique<CopyArena>(target->real_size + target->real_size / 8 + (8u << 20));

    const auto globals = globals_in_process(target->binary, options.pid);

    const uint64_t start_ns = monotonic_ns();
    const uint64_t deadline_ns = start_ns + options.max_pause_ns;
    auto pause = ProcessPause::pause(options.pid, options.max_pause_ns);
    if (!pause) return pause.error();
    auto copy = copy_heap(options.pid, target->heap_address, off, std::move(arena), deadline_ns);
    // The roots outside the heap, while the target is still paused.
    const auto graph_offsets = php_graph_offsets_for(target->binary.version());
    std::unique_ptr<RootCopy> roots;
    const uint64_t roots_start = monotonic_ns();
    if (copy && graph_offsets && globals && roots_start < deadline_ns)
        roots = std::make_unique<RootCopy>(copy_roots(options.pid, globals->eg, globals->cg, *graph_offsets, *copy));
    const uint64_t roots_end = monotonic_ns();
    const uint64_t end_ns = pause->resume();
    if (!copy) return copy.error();
    if (end_ns - start_ns > options.max_pause_ns) return late_error();

    Snapshot s;
    s.pid = options.pid;
    s.php_version = target->binary.version().text;
    s.binary = target->binary.path();
    s.threads = pause->threads();
    s.pause_ms = ms_between(start_ns, end_ns);
    s.roots_ms = ms_between(roots_start, roots_end);
    s.exited_during_pause = pause->target_exited();
    s.copy = std::make_unique<HeapCopy>(std::move(*copy));
    s.offsets = off;
    const uint64_t analysis_start = monotonic_ns();
    s.blocks = std::make_unique<HeapBlocks>(*s.copy, s.offsets);
    s.analysis_ms = ms_between(analysis_start, monotonic_ns());
    if (!graph_offsets) s.no_reachability = "not verified for PHP " + s.php_version + " (only 8.2)";
    else if (!roots) s.no_reachability = "executor_globals or compiler_globals not found in " + s.binary;
    else {
        s.graph_offsets = *graph_offsets;
        s.roots = std::move(roots);
        s.reachability = analyse_reachability(*s.copy, *s.blocks, *s.roots, s.graph_offsets);
    }
    return s;
}

}  // namespace pmt
