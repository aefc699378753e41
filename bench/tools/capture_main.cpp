// pmt_bench_capture: a `phpmemtrace record` session that also dumps every raw
// ring buffer record and times its own start-up phases.
//
//   pmt_bench_capture [--out FILE] [--stats FILE] [--ringbuf-mb N] [--max-frames N]
//                     [--batch-ms N] [--heap] [--faults] (-p PID [-d SECONDS] | -- COMMAND [ARGS...])
//
// It runs the session core (session_core.h) as record does; a record tap writes
// every record to FILE before the Collector sees it.
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

#include "attach/probe_table.h"
#include "faults/fault_session.h"
#include "heap/heap_session.h"
#include "record_stream.h"
#include "session/session_core.h"

namespace {

struct Capture {
    std::unique_ptr<pmt::bench::RecordWriter> writer;
    std::map<uint16_t, uint64_t> by_kind;
    uint64_t records = 0;
    uint64_t bytes = 0;
    uint64_t first_alloc_ts = 0;
    uint64_t depth_sum = 0;
    uint64_t depth_max = 0;
    uint64_t stack_records = 0;

    void on_record(const void* data, size_t size) {
        if (writer) writer->write(data, size);
        if (size >= sizeof(pmt_record_header)) {
            const auto* hdr = static_cast<const pmt_record_header*>(data);
            ++by_kind[hdr->kind];
            bool allocator = hdr->kind == PMT_REC_ALLOC || hdr->kind == PMT_REC_REALLOC || hdr->kind == PMT_REC_FREE;
            if (allocator && !first_alloc_ts) first_alloc_ts = hdr->ts_ns;
            if ((hdr->kind == PMT_REC_ALLOC || hdr->kind == PMT_REC_REALLOC) && size >= PMT_ALLOC_RECORD_FIXED_SIZE) {
                uint64_t depth = static_cast<const pmt_alloc_record*>(data)->depth;
                depth_sum += depth;
                depth_max = std::max(depth_max, depth);
                ++stack_records;
            }
        }
        ++records;
        bytes += size;
    }
};

int fail(const std::string& message) {
    std::cerr << "pmt_bench_capture: " << message << "\n";
    return 125;
}

}  // namespace

int main(int argc, char** argv) {
    const uint64_t t_main = pmt::monotonic_ns();
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

    pmt::SessionOptions options;
    if (pid) options.pid = *pid;
    options.command = command;
    options.probes = probe_options;
    options.trace_target = !skip_trace;
    std::vector<std::unique_ptr<pmt::SessionModule>> modules;
    if (faults) modules.push_back(pmt::make_fault_module(pmt::FaultSessionOptions{}));
    if (heap) modules.push_back(pmt::make_heap_module(pmt::HeapSessionOptions{}));
    auto opened = pmt::Session::open(options, std::move(modules));
    if (!opened) return fail(opened.error().message);
    pmt::Session& session = **opened;

    Capture capture;
    if (!out_path.empty()) {
        capture.writer = std::make_unique<pmt::bench::RecordWriter>(out_path);
        if (!capture.writer->ok()) return fail("cannot write " + out_path);
    }
    session.set_record_tap([&capture](const void* data, size_t size) { capture.on_record(data, size); });
    if (auto s = session.release_target(); !s) return fail(s.error().message);
    const uint64_t t_released = pmt::monotonic_ns();

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(duration_s);
    while (true) {
        int timeout_ms = 100;
        if (batch_ms > 0) {
            timespec pause{batch_ms / 1000, (batch_ms % 1000) * 1000000L};
            nanosleep(&pause, nullptr);
            timeout_ms = 0;
        }
        if (auto s = session.poll(timeout_ms); !s) return fail(s.error().message);
        if (session.target_ended()) break;
        if (duration_s > 0 && std::chrono::steady_clock::now() >= deadline) break;
    }
    pmt::Profile profile = session.finish();
    const uint64_t t_end = pmt::monotonic_ns();
    capture.writer.reset();
    const pmt::SessionPhases& phases = session.phases();
    const uint64_t t_binary = phases.binary_ns, t_loaded = phases.loaded_ns, t_attached = phases.attached_ns;
    const std::optional<int> wait_status = session.wait_status();
    size_t probes = 0;
    for (const auto& row : pmt::probe_table()) probes += row.object == pmt::ProbeObject::Allocations;

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
            << ", \"unknown_frees\": " << c.unknown_frees << ", \"probes\": " << probes
            << ", \"wait_status\": " << (wait_status ? *wait_status : -1) << "}\n";
    }
    if (wait_status && !(WIFEXITED(*wait_status) && WEXITSTATUS(*wait_status) == 0))
        return fail("the command failed (wait status " + std::to_string(*wait_status) + ")");
    return 0;
}
