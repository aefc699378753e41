#include "session/record_session.h"

#include <bpf/libbpf.h>
#include <sys/wait.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "target/launcher.h"
#include "target/php_binary.h"
#include "target/process.h"
#include "target/process_tree.h"
#include "util/output_file.h"
#include "util/utf8_text.h"

namespace pmt {
namespace {

std::atomic<bool> g_stop{false};

uint64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

std::string utc_now_iso8601() {
    std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return buf;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

int handle_record(void* ctx, void* data, size_t size) {
    static_cast<Collector*>(ctx)->on_record(data, size);
    return 0;
}

// Every tracer's uprobes on one process, and only on it.
Status attach_to_process(MemtraceProbes& probes, const std::vector<SessionHooks>& hooks, pid_t pid) {
    if (auto s = probes.attach_to(pid); !s) return s;
    for (const auto& hook : hooks)
        if (hook.attach_to)
            if (auto s = hook.attach_to(pid); !s) return s;
    return Status::success();
}

void detach_from_process(MemtraceProbes& probes, const std::vector<SessionHooks>& hooks, pid_t pid) {
    probes.detach_from(pid);
    for (const auto& hook : hooks)
        if (hook.detach_from) hook.detach_from(pid);
}

// Follows the traced processes: a child's probes are attached when its fork
// record arrives (the BPF side wakes the reader for it), and dropped at its
// exit. Until then the child runs untraced: it is treated as attached mid-run,
// with what its heap holds at its first traced call as its baseline.
void follow_processes(Collector& collector, MemtraceProbes& probes, const std::vector<SessionHooks>& hooks) {
    collector.add_extension(PMT_REC_PROC_FORK, PMT_REC_PROC_EXIT,
                            [&probes, &hooks](Collector& c, const pmt_record_header& hdr, const void* data, size_t size) {
                                pmt_proc_record r;
                                if (size < sizeof(r)) return;
                                std::memcpy(&r, data, sizeof(r));
                                if (hdr.kind == PMT_REC_PROC_FORK) {
                                    const pid_t child = static_cast<pid_t>(r.child_tgid);
                                    if (!attach_to_process(probes, hooks, child) && process_exists(child))
                                        ++c.counters().untraced_children;
                                } else if (!(hdr.flags & PMT_PROC_EXEC)) {
                                    detach_from_process(probes, hooks, static_cast<pid_t>(hdr.tgid));
                                }
                            });
}

bool zend_alloc_disabled(const std::optional<std::string>& value) { return value && *value == "0"; }

// heap->size of a running process, read from outside before attaching.
std::optional<uint64_t> read_heap_size(pid_t pid, const PhpBinary& php) {
    auto heap = php.heap_address_in_process(pid);
    uint64_t size = 0;
    if (!heap || !php.heap_layout().heap_size ||
        !read_process_memory(pid, *heap + php.heap_layout().heap_size, &size, sizeof(size)))
        return std::nullopt;
    return size;
}

}  // namespace

void request_session_stop() { g_stop = true; }

Result<Profile> run_record_session(const RecordOptions& options, const std::vector<SessionHooks>& hooks) {
    g_stop = false;
    const bool launch = !options.command.empty();
    if (launch == options.pid.has_value()) return Error{"give either -p PID or -- COMMAND ..."};

    // 1. The PHP binary, and refusals that need no privilege.
    std::string image;
    if (launch) {
        auto resolved = resolve_command_binary(options.command);
        if (!resolved) return resolved.error();
        image = *resolved;
        if (zend_alloc_disabled(getenv("USE_ZEND_ALLOC") ? std::optional<std::string>(getenv("USE_ZEND_ALLOC"))
                                                          : std::nullopt))
            return Error{"USE_ZEND_ALLOC=0 is set: PHP would use malloc instead of the Zend memory manager, "
                         "so there is nothing to trace (unset it)"};
    } else {
        auto found = php_image_of_process(*options.pid);
        if (!found) return found.error();
        image = *found;
        if (zend_alloc_disabled(process_env(*options.pid, "USE_ZEND_ALLOC")))
            return Error{"process " + std::to_string(*options.pid) +
                         " runs with USE_ZEND_ALLOC=0 (malloc instead of the Zend memory manager): nothing to trace"};
    }
    auto php = PhpBinary::open(image);
    if (!php) return php.error();

    // 2. Probes, loaded before the target runs anything we want to see.
    ProbeOptions probe_options = options.probes;
    std::optional<HeldChild> child;
    pid_t main_pid;
    CollectorOptions collector_options;
    std::vector<pid_t> existing_children;
    if (launch) {
        auto spawned = HeldChild::spawn(options.command);
        if (!spawned) return spawned.error();
        child.emplace(std::move(*spawned));
        main_pid = child->pid();
        collector_options.freeze_at_script_end_of = static_cast<uint32_t>(main_pid);
    } else {
        main_pid = *options.pid;
        // A CLI worker that ends during the session: report what it held when its
        // script finished, not the empty heap after shutdown.
        collector_options.freeze_at_script_end_of = static_cast<uint32_t>(main_pid);
        collector_options.frozen_is_final = false;
        // FPM: workers the master forked before we attached are traced too (later
        // ones through the fork tracepoint).
        if (probe_options.follow_forks) existing_children = descendant_processes(main_pid);
    }
    probe_options.use_uprobe_multi = probe_options.use_uprobe_multi && kernel_has_uprobe_multi();
    auto probes = MemtraceProbes::load(*php, probe_options);
    if (!probes) return probes.error();
    collector_options.start_ns = monotonic_ns();
    collector_options.max_stacks = options.max_stacks;
    Collector collector(collector_options);
    for (const auto& hook : hooks)
        if (hook.before_start)
            if (auto s = hook.before_start(**probes, collector, *php); !s) return s.error();
    // Attach by PID: what the heap holds now. A first estimate only (and the figure
    // for a process that never calls the allocator during the session): the BPF
    // side replaces it with heap->size read at the process's first traced call.
    if (!launch) {
        if (auto baseline = read_heap_size(main_pid, *php)) collector.set_baseline(main_pid, *baseline);
        for (pid_t child : existing_children)
            if (auto baseline = read_heap_size(child, *php)) collector.set_baseline(child, *baseline);
    }
    if (auto s = (*probes)->trace_process(main_pid, !launch); !s) return s.error();
    for (pid_t child : existing_children)
        if (process_exists(child))
            if (auto s = (*probes)->trace_process(child, true); !s) return s.error();
    if (probe_options.follow_forks) follow_processes(collector, **probes, hooks);
    Status attached = (*probes)->attach_process_events();
    if (attached) attached = attach_to_process(**probes, hooks, main_pid);
    if (!attached) {
        if (!launch && !process_exists(main_pid))
            return Error{"process " + std::to_string(main_pid) + " exited while the probes were being attached"};
        return attached.error();
    }
    for (pid_t child : existing_children)
        if (auto s = attach_to_process(**probes, hooks, child); !s && process_exists(child)) return s.error();

    RingBuffer ring(ring_buffer__new((*probes)->ring_buffer_fd(), handle_record, &collector, nullptr));
    if (!ring) return Error{"cannot open the BPF ring buffer"};
    const std::string started_at = utc_now_iso8601();
    if (child)
        if (auto s = child->release(); !s) return s.error();
    if (!options.ready_file.empty()) {
        if (auto s = write_output_file(options.ready_file, OutputAccess::Shared,
                                       [](std::ostream& out) { out << "ready\n"; });
            !s)
            return Error{"--ready-file: " + s.error().message};
    }

    // 3. Stream until the target is gone, time is up, or Ctrl-C.
    std::optional<int> wait_status;
    const auto deadline = options.duration_s ? std::optional(std::chrono::steady_clock::now() +
                                                             std::chrono::duration<double>(*options.duration_s))
                                             : std::nullopt;
    while (!g_stop) {
        // The BPF side commits without waking us (each wake-up is an IPI): poll
        // waits out its timeout, then what arrived meanwhile is consumed.
        int n = ring_buffer__poll(ring.get(), 100);
        if (n >= 0) n = ring_buffer__consume(ring.get());
        if (n < 0 && n != -EINTR) return Error{"reading the ring buffer failed: " + std::to_string(n)};
        if (child) {
            wait_status = child->wait(false);
            if (wait_status) break;
        } else if (!process_exists(main_pid)) {
            break;
        }
        if (deadline && std::chrono::steady_clock::now() >= *deadline) break;
    }
    while (ring_buffer__consume(ring.get()) > 0) {
    }

    // 4. The result.
    Profile profile = collector.profile();
    (*probes)->read_counters(profile.counters);
    profile.started_at = started_at;
    profile.duration_s = double(monotonic_ns() - collector_options.start_ns) / 1e9;
    profile.target.pid = main_pid;
    profile.target.binary = printable_text(php->path());
    profile.target.php_version = php->version().text;
    if (launch) {
        profile.target.binary = printable_text(image);
        profile.target.command = printable_text(join(options.command));
        // Ended by --duration or a signal, the command runs on untraced (a
        // terminal's Ctrl-C reaches it too) and has no exit code to report.
        if (wait_status && WIFEXITED(*wait_status)) profile.target.exit_code = WEXITSTATUS(*wait_status);
        if (wait_status && WIFSIGNALED(*wait_status)) profile.target.exit_code = 128 + WTERMSIG(*wait_status);
    }
    if (profile.target.pids.empty()) profile.target.pids.push_back(main_pid);
    for (const auto& hook : hooks)
        if (hook.finish) hook.finish(profile);
    return profile;
}

}  // namespace pmt
