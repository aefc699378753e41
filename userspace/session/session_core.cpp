#include "session/session_core.h"

#include <bpf/libbpf.h>
#include <time.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "attach/uprobe_multi.h"
#include "target/process.h"
#include "target/process_tree.h"

namespace pmt {
namespace {

bool zend_alloc_disabled(const std::optional<std::string>& value) { return value && *value == "0"; }

// heap->size of a running process, read from outside before attaching.
std::optional<uint64_t> read_heap_size(pid_t pid, const PhpBinary& php) {
    auto heap = php.heap_address_in_process(pid);
    uint64_t size = 0;
    if (!heap || !php.offsets().heap_size ||
        !read_process_memory(pid, *heap + php.offsets().heap_size, &size, sizeof(size)))
        return std::nullopt;
    return size;
}

// The PHP image the session traces, with the refusals that need no privilege.
Result<std::string> target_image(const SessionOptions& options) {
    if (!options.command.empty()) {
        auto resolved = resolve_command_binary(options.command);
        if (!resolved) return resolved.error();
        const char* zend_alloc = getenv("USE_ZEND_ALLOC");
        if (zend_alloc_disabled(zend_alloc ? std::optional<std::string>(zend_alloc) : std::nullopt))
            return Error{"USE_ZEND_ALLOC=0 is set: PHP would use malloc instead of the Zend memory manager, "
                         "so there is nothing to trace (unset it)"};
        return *resolved;
    }
    auto found = php_image_of_process(*options.pid);
    if (!found) return found.error();
    if (zend_alloc_disabled(process_env(*options.pid, "USE_ZEND_ALLOC")))
        return Error{"process " + std::to_string(*options.pid) +
                     " runs with USE_ZEND_ALLOC=0 (malloc instead of the Zend memory manager): nothing to trace"};
    return *found;
}

}  // namespace

uint64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

Session::~Session() {
    ring_.reset();
    links_.clear();  // detach before the programs go away, in parallel
}

Result<std::unique_ptr<Session>> Session::open(const SessionOptions& options,
                                               std::vector<std::unique_ptr<SessionModule>> modules) {
    const bool launch = !options.command.empty();
    if (launch == options.pid.has_value()) return Error{"give either -p PID or -- COMMAND ..."};
    std::unique_ptr<Session> s(new Session());
    s->modules_ = std::move(modules);

    // 1. The PHP binary.
    auto image = target_image(options);
    if (!image) return image.error();
    s->image_ = *image;
    auto php = PhpBinary::open(s->image_);
    if (!php) return php.error();
    s->php_ = std::make_unique<PhpBinary>(std::move(*php));
    s->phases_.binary_ns = monotonic_ns();

    // 2. The target: held before exec, or running (with the workers an FPM
    // master forked before we came; later ones arrive through the fork event).
    CollectorOptions collector_options;
    std::vector<pid_t> running;
    if (launch) {
        auto spawned = HeldChild::spawn(options.command);
        if (!spawned) return spawned.error();
        s->child_.emplace(std::move(*spawned));
        s->main_pid_ = s->child_->pid();
    } else {
        s->main_pid_ = *options.pid;
        running.push_back(s->main_pid_);
        if (options.probes.follow_forks)
            for (pid_t child : descendant_processes(s->main_pid_)) running.push_back(child);
        // A CLI worker that ends during the session: report what it held when its
        // script finished, not the empty heap after shutdown.
        collector_options.frozen_is_final = false;
    }
    collector_options.freeze_at_script_end_of = static_cast<uint32_t>(s->main_pid_);

    // 3. Probes, loaded before the target runs anything we want to see.
    ProbeOptions probe_options = options.probes;
    probe_options.use_uprobe_multi = probe_options.use_uprobe_multi && kernel_has_uprobe_multi();
    auto allocations = MemtraceProbes::load(*s->php_, probe_options);
    if (!allocations) return allocations.error();
    s->allocations_ = std::move(*allocations);
    s->start_ns_ = s->phases_.loaded_ns = monotonic_ns();
    collector_options.start_ns = s->start_ns_;
    collector_options.max_stacks = options.max_stacks;
    s->collector_ = std::make_unique<Collector>(collector_options);
    s->uprobes_ = s->allocations_->uprobes();
    SessionContext context{*s->php_, *s->allocations_, *s->collector_, running};
    for (auto& module : s->modules_) {
        if (auto st = module->start(context); !st) return st.error();
        for (auto& probe : module->uprobes()) s->uprobes_.push_back(std::move(probe));
    }

    // 4. Attach by PID: what each heap holds now. A first estimate only (and the
    // figure for a process that never calls the allocator during the session):
    // the BPF side replaces it with heap->size read at its first traced call.
    for (pid_t pid : running)
        if (auto baseline = read_heap_size(pid, *s->php_)) s->collector_->set_baseline(pid, *baseline);
    if (options.trace_target)
        if (auto st = s->allocations_->trace_process(s->main_pid_, !launch); !st) return st.error();
    for (pid_t pid : running)
        if (pid != s->main_pid_ && process_exists(pid))
            if (auto st = s->allocations_->trace_process(pid, true); !st) return st.error();
    if (probe_options.follow_forks) s->follow_processes();
    Status attached = s->allocations_->attach_process_events();
    if (attached) attached = s->attach_to(s->main_pid_);
    if (!attached) {
        if (!launch && !process_exists(s->main_pid_))
            return Error{"process " + std::to_string(s->main_pid_) + " exited while the probes were being attached"};
        return attached.error();
    }
    for (pid_t pid : running)
        if (auto st = s->attach_to(pid); !st && process_exists(pid)) return st.error();

    s->ring_.reset(ring_buffer__new(s->allocations_->ring_buffer_fd(), on_ring_record, s.get(), nullptr));
    if (!s->ring_) return Error{"cannot open the BPF ring buffer"};
    s->phases_.attached_ns = monotonic_ns();
    return s;
}

int Session::on_ring_record(void* ctx, void* data, size_t size) {
    auto* s = static_cast<Session*>(ctx);
    if (s->tap_) s->tap_(data, size);
    s->collector_->on_record(data, size);
    return 0;
}

// Every uprobe of the session on one process, and only on it.
Status Session::attach_to(pid_t pid) {
    if (links_.has(pid)) return Status::success();
    Status s = attach_probes(php_->path(), pid, uprobes_, allocations_->options().use_uprobe_multi, links_.of(pid));
    if (!s) links_.drop(pid);
    return s;
}

void Session::detach_from(pid_t pid) { links_.drop(pid); }

// A child's probes are attached when its fork record arrives (the BPF side wakes
// the reader for it), and dropped at its exit. Until then the child runs
// untraced: it is treated as attached mid-run, with what its heap holds at its
// first traced call as its baseline.
void Session::follow_processes() {
    collector_->add_extension(PMT_REC_PROC_FORK, PMT_REC_PROC_EXIT, [this](Collector& c, const RecordView& r) {
        if (r.kind() == PMT_REC_PROC_FORK) {
            const pid_t child = static_cast<pid_t>(r.proc().child_tgid);
            if (!attach_to(child) && process_exists(child)) ++c.counters().untraced_children;
        } else if (!(r.header().flags & PMT_PROC_EXEC)) {
            detach_from(static_cast<pid_t>(r.tgid()));
        }
    });
}

Status Session::release_target() {
    if (child_) return child_->release();
    return Status::success();
}

Status Session::poll(int timeout_ms) {
    // The BPF side commits without waking us (each wake-up is an IPI): poll
    // waits out its timeout, then what arrived meanwhile is consumed.
    int n = ring_buffer__poll(ring_.get(), timeout_ms);
    if (n >= 0) n = ring_buffer__consume(ring_.get());
    if (n < 0 && n != -EINTR) return Error{"reading the ring buffer failed: " + std::to_string(n)};
    return Status::success();
}

bool Session::target_ended() {
    if (child_) {
        if (!wait_status_) wait_status_ = child_->wait(false);
        return wait_status_.has_value();
    }
    return !process_exists(main_pid_);
}

Profile Session::finish() {
    while (ring_buffer__consume(ring_.get()) > 0) {
    }
    finished_ = true;
    Profile profile = collector_->profile();
    allocations_->read_counters(profile.counters);
    profile.duration_s = double(monotonic_ns() - start_ns_) / 1e9;
    links_.clear();
    for (auto& module : modules_) module->finish(profile);
    return profile;
}

}  // namespace pmt
