// pmt_bench_capture: a `phpmemtrace record` session that also dumps every raw
// ring buffer record and times its own start-up phases.
//
//   pmt_bench_capture [--out FILE] [--stats FILE] [--ringbuf-mb N] [--max-frames N]
//                     [--batch-ms N] [--heap] [--faults] (-p PID [-d SECONDS] | -- COMMAND [ARGS...])
//
// The sequence is run_record_session()'s (binary, probes, collector, trace,
// attach, ring buffer, release), with the same library calls; only the ring
// buffer callback differs: it writes the record to FILE, then feeds the Collector.
// --batch-ms N: instead of sleeping in epoll until the kernel signals a record
// (ring_buffer__poll), drain the ring every N ms (ring_buffer__consume). The BPF
// side queues a wake-up (irq_work, an IPI) for every record committed into an
// empty ring; a consumer that sleeps leaves the ring non-empty, so there are few.
// --skip-trace: attach everything but never register the process in the `traced`
// map, so every program returns after its first map lookup (the cost of the
// programs' dispatch without their work).
// --heap, --faults: join the heap-structure and page-fault tracers as `record` does
// (their records share the ring buffer), so the dump holds every record kind; the
// fuzz_records seeds are made this way (tests/fuzz/capture_seeds.sh).
// The stats (JSON) give CLOCK_MONOTONIC timestamps of each phase and of the first
// allocator record (its bpf_ktime_get_ns(), the same clock), record counts by kind,
// stack depths, and the recorder's counters.
#include <bpf/libbpf.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attach/memtrace_probes.h"
#include "collect/collector.h"
#include "faults/fault_session.h"
#include "heap/heap_session.h"
#include "record_stream.h"
#include "target/launcher.h"
#include "target/php_binary.h"
#include "target/process.h"

namespace {

uint64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

struct Capture {
    pmt::Collector* collector = nullptr;
    std::unique_ptr<pmt::bench::RecordWriter> writer;
    std::map<uint16_t, uint64_t> by_kind;
    uint64_t records = 0;
    uint64_t bytes = 0;
    uint64_t first_alloc_ts = 0;
    uint64_t depth_sum = 0;
    uint64_t depth_max = 0;
    uint64_t stack_records = 0;
};

int on_record(void* ctx, void* data, size_t size) {
    auto* c = static_cast<Capture*>(ctx);
    if (c->writer) c->writer->write(data, size);
    if (size >= sizeof(pmt_record_header)) {
        const auto* hdr = static_cast<const pmt_record_header*>(data);
        ++c->by_kind[hdr->kind];
        bool allocator = hdr->kind == PMT_REC_ALLOC || hdr->kind == PMT_REC_REALLOC || hdr->kind == PMT_REC_FREE;
        if (allocator && !c->first_alloc_ts) c->first_alloc_ts = hdr->ts_ns;
        if ((hdr->kind == PMT_REC_ALLOC || hdr->kind == PMT_REC_REALLOC) && size >= PMT_ALLOC_RECORD_FIXED_SIZE) {
            uint64_t depth = static_cast<const pmt_alloc_record*>(data)->depth;
            c->depth_sum += depth;
            c->depth_max = std::max(c->depth_max, depth);
            ++c->stack_records;
        }
    }
    ++c->records;
    c->bytes += size;
    c->collector->on_record(data, size);
    return 0;
}

int fail(const std::string& message) {
    std::cerr << "pmt_bench_capture: " << message << "\n";
    return 125;
}

}  // namespace

int main(int argc, char** argv) {
    const uint64_t t_main = monotonic_ns();
    std::string out_path, stats_path;
    pmt::ProbeOptions probe_options;
    std::optional<pid_t> pid;
    double duration_s = 0;
    int batch_ms = 0;
    bool skip_trace = false;
    bool heap = false, faults = false;
    std::vector<std::string> command;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (arg == "--out") out_path = next();
        else if (arg == "--stats") stats_path = next();
        else if (arg == "--ringbuf-mb") probe_options.ringbuf_mb = std::stoul(next());
        else if (arg == "--max-frames") probe_options.max_frames = std::stoul(next());
        else if (arg == "-p") pid = std::stoi(next());
        else if (arg == "-d") duration_s = std::stod(next());
        else if (arg == "--batch-ms") batch_ms = std::stoi(next());
        else if (arg == "--skip-trace") skip_trace = true;
        else if (arg == "--heap") heap = true;
        else if (arg == "--faults") faults = true;
        else if (arg == "--") {
            command.assign(argv + i + 1, argv + argc);
            break;
        } else {
            return fail("unknown argument " + arg);
        }
    }
    if (pid.has_value() == !command.empty()) return fail("give either -p PID or -- COMMAND ...");
    pmt::quiet_libbpf_logging(false);

    // 1. The binary (ELF symbols, offsets, heap layout from disassembly).
    std::string image;
    if (pid) {
        auto found = pmt::php_image_of_process(*pid);
        if (!found) return fail(found.error().message);
        image = *found;
    } else {
        auto resolved = pmt::resolve_command_binary(command);
        if (!resolved) return fail(resolved.error().message);
        image = *resolved;
    }
    auto php = pmt::PhpBinary::open(image);
    if (!php) return fail(php.error().message);
    const uint64_t t_binary = monotonic_ns();

    std::optional<pmt::HeldChild> child;
    pid_t main_pid;
    pmt::CollectorOptions collector_options;
    if (pid) {
        main_pid = *pid;
    } else {
        auto spawned = pmt::HeldChild::spawn(command);
        if (!spawned) return fail(spawned.error().message);
        child.emplace(std::move(*spawned));
        main_pid = child->pid();
        collector_options.freeze_at_script_end_of = static_cast<uint32_t>(main_pid);
    }
    // 2. Load (verifier), register the process, attach every uprobe.
    auto probes = pmt::MemtraceProbes::load(*php, probe_options);
    if (!probes) return fail(probes.error().message);
    const uint64_t t_loaded = monotonic_ns();
    collector_options.start_ns = t_loaded;
    pmt::Collector collector(collector_options);
    std::vector<pmt::SessionHooks> hooks;
    if (faults) hooks.push_back(pmt::fault_session_hooks(pmt::FaultSessionOptions{}));
    if (heap) {
        pmt::HeapSessionOptions heap_options;
        heap_options.attach_pid = pid;
        hooks.push_back(pmt::make_heap_session_hooks(heap_options));
    }
    for (const auto& hook : hooks)
        if (auto s = hook.before_start(**probes, collector, *php); !s) return fail(s.error().message);
    if (!skip_trace)
        if (auto s = (*probes)->trace_process(main_pid); !s) return fail(s.error().message);
    if (auto s = (*probes)->attach_process_events(); !s) return fail(s.error().message);
    if (auto s = (*probes)->attach_to(main_pid); !s) return fail(s.error().message);
    const uint64_t t_attached = monotonic_ns();

    Capture capture;
    capture.collector = &collector;
    if (!out_path.empty()) {
        capture.writer = std::make_unique<pmt::bench::RecordWriter>(out_path);
        if (!capture.writer->ok()) return fail("cannot write " + out_path);
    }
    pmt::RingBuffer ring(ring_buffer__new((*probes)->ring_buffer_fd(), on_record, &capture, nullptr));
    if (!ring) return fail("cannot open the BPF ring buffer");
    if (child)
        if (auto s = child->release(); !s) return fail(s.error().message);
    const uint64_t t_released = monotonic_ns();

    std::optional<int> wait_status;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(duration_s);
    while (true) {
        int n;
        if (batch_ms > 0) {
            timespec pause{batch_ms / 1000, (batch_ms % 1000) * 1000000L};
            nanosleep(&pause, nullptr);
            n = ring_buffer__consume(ring.get());
        } else {
            n = ring_buffer__poll(ring.get(), 100);
        }
        if (n < 0 && n != -EINTR) return fail("ring buffer poll failed: " + std::to_string(n));
        if (child) {
            wait_status = child->wait(false);
            if (wait_status) break;
        } else if (!pmt::process_exists(main_pid)) {
            break;
        }
        if (duration_s > 0 && std::chrono::steady_clock::now() >= deadline) break;
    }
    while (ring_buffer__consume(ring.get()) > 0) {
    }
    const uint64_t t_end = monotonic_ns();
    pmt::Profile profile = collector.profile();
    (*probes)->read_counters(profile.counters);
    for (const auto& hook : hooks) hook.finish(profile);
    capture.writer.reset();

    if (!stats_path.empty()) {
        std::ofstream out(stats_path);
        const auto& c = profile.counters;
        out << "{\"t_main_ns\": " << t_main << ", \"t_binary_ns\": " << t_binary << ", \"t_loaded_ns\": " << t_loaded
            << ", \"t_attached_ns\": " << t_attached << ", \"t_released_ns\": " << t_released
            << ", \"t_first_alloc_ns\": " << capture.first_alloc_ts << ", \"t_end_ns\": " << t_end
            << ", \"records\": " << capture.records << ", \"bytes\": " << capture.bytes << ", \"by_kind\": {";
        bool first = true;
        for (const auto& [kind, n] : capture.by_kind) {
            out << (first ? "" : ", ") << "\"" << kind << "\": " << n;
            first = false;
        }
        out << "}, \"stack_records\": " << capture.stack_records << ", \"depth_sum\": " << capture.depth_sum
            << ", \"depth_max\": " << capture.depth_max << ", \"stacks\": " << profile.stacks.size()
            << ", \"symbols\": " << profile.symbols.size() << ", \"allocs\": " << c.allocs
            << ", \"frees\": " << c.frees << ", \"reallocs\": " << c.reallocs
            << ", \"lost_events\": " << c.lost_events << ", \"lost_function_names\": " << c.lost_function_names
            << ", \"unknown_frees\": " << c.unknown_frees << ", \"probes\": " << pmt::allocator_probes().size()
            << ", \"wait_status\": " << (wait_status ? *wait_status : -1) << "}\n";
    }
    if (wait_status && !(WIFEXITED(*wait_status) && WEXITSTATUS(*wait_status) == 0))
        return fail("the command failed (wait status " + std::to_string(*wait_status) + ")");
    return 0;
}
