#include "session/session_core.h"

#include <bpf/libbpf.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "attach/link_teardown.h"
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
    detach();  // before the programs go away
}

void Session::detach() {
    if (phases_.detached_ns) return;
    links_.clear();
    phases_.detached_ns = monotonic_ns();
}

void Session::detach_after_exit() {
    if (phases_.detached_ns) return;
    // The closer holds copies of the link fds: closing ours drops a reference
    // and waits for nothing.
    phases_.detached_in_background = close_links_after_exit();
    detach();
}

Result<std::unique_ptr<Session>> Session::open(const SessionOptions& options,
                                               std::vector<std::unique_ptr<SessionModule>> modules) {
    if (options.command.empty() == !options.pid.has_value()) return Error{"give either -p PID or -- COMMAND ..."};
    std::unique_ptr<Session> s(new Session());
    s->modules_ = std::move(modules);
    if (auto st = s->open_target(options); !st) return st.error();
    if (auto st = s->load_probes(options); !st) return st.error();
    if (auto st = s->attach_target(options); !st) return st.error();
    return s;
}

// The PHP binary, and the target: held before exec, or running (with the
// workers an FPM master forked before we came; later ones arrive through the
// fork event).
Status Session::open_target(const SessionOptions& options) {
    auto image = target_image(options);
    if (!image) return image.error();
    image_ = *image;
    auto php = PhpBinary::open(image_);
    if (!php) return php.error();
    php_ = std::make_unique<PhpBinary>(std::move(*php));
    phases_.binary_ns = monotonic_ns();
    if (!options.command.empty()) {
        auto spawned = HeldChild::spawn(options.command);
        if (!spawned) return spawned.error();
        child_.emplace(std::move(*spawned));
        main_pid_ = child_->pid();
    } else {
        main_pid_ = *options.pid;
        std::vector<pid_t> roots{main_pid_};
        for (pid_t pid : options.more_pids) {
            if (auto st = same_php_image(pid); !st) return st;
            if (std::find(roots.begin(), roots.end(), pid) == roots.end()) roots.push_back(pid);
        }
        for (pid_t root : roots) {
            if (std::find(running_.begin(), running_.end(), root) == running_.end()) running_.push_back(root);
            if (options.probes.follow_forks)
                for (pid_t child : descendant_processes(root))
                    if (std::find(running_.begin(), running_.end(), child) == running_.end())
                        running_.push_back(child);
        }
    }
    return Status::success();
}

// One session traces one PHP binary (its probes are attached to that file):
// another process must run the same file.
Status Session::same_php_image(pid_t pid) const {
    auto image = php_image_of_process(pid);
    if (!image) return image.error();
    struct stat mine, theirs;
    if (stat(image_.c_str(), &mine) != 0 || stat(image->c_str(), &theirs) != 0 || mine.st_dev != theirs.st_dev ||
        mine.st_ino != theirs.st_ino)
        return Error{"process " + std::to_string(pid) + " runs another PHP binary (" + *image + ") than process " +
                     std::to_string(main_pid_) + " (" + image_ + "): one session traces one binary"};
    return Status::success();
}

// The allocation object, the Collector and every module, before the target runs
// anything we want to see.
Status Session::load_probes(const SessionOptions& options) {
    ProbeOptions probe_options = options.probes;
    probe_options.use_uprobe_multi = probe_options.use_uprobe_multi && kernel_has_uprobe_multi();
    auto allocations = MemtraceProbes::open(*php_, probe_options);
    if (!allocations) return allocations.error();
    allocations_ = std::move(*allocations);
    CollectorOptions collector_options;
    collector_options.max_stacks = options.max_stacks;
    if (options.freeze_at_script_end) collector_options.freeze_at_script_end_of = static_cast<uint32_t>(main_pid_);
    collector_options.service_of = options.service_of;
    // A CLI worker attached by PID that ends during the session: report what it
    // held when its script finished, not the empty heap after shutdown.
    collector_options.frozen_is_final = launched();
    collector_ = std::make_unique<Collector>(collector_options);
    // The verifier takes most of the start: the allocation object is verified on
    // one thread while the modules load theirs (the maps they share exist already).
    Status loaded = Status::success();
    std::thread loader([&] { loaded = allocations_->load_programs(); });
    Status started = Status::success();
    SessionContext context{*php_, *allocations_, *collector_, running_};
    for (auto& module : modules_)
        if (started = module->start(context); !started) break;
    loader.join();
    if (!loaded) return loaded;
    if (!started) return started;
    start_ns_ = phases_.loaded_ns = monotonic_ns();
    collector_->set_start_ns(start_ns_);
    uprobes_ = allocations_->uprobes();
    for (auto& module : modules_)
        for (auto& probe : module->uprobes()) uprobes_.push_back(std::move(probe));
    return Status::success();
}

// Registers the target (and the processes already running) and puts every
// uprobe on each of them.
Status Session::attach_target(const SessionOptions& options) {
    // Attach by PID: what each heap holds now. A first estimate only (and the
    // figure for a process that never calls the allocator during the session):
    // the BPF side replaces it with heap->size read at its first traced call.
    for (pid_t pid : running_)
        if (auto baseline = read_heap_size(pid, *php_)) collector_->set_baseline(pid, *baseline);
    if (options.trace_target)
        if (auto st = allocations_->trace_process(main_pid_, !launched()); !st) return st;
    for (pid_t pid : running_)
        if (pid != main_pid_ && process_exists(pid))
            if (auto st = allocations_->trace_process(pid, true); !st) return st;
    if (options.probes.follow_forks) follow_processes();
    Status attached = allocations_->attach_process_events();
    if (attached) attached = attach_to(main_pid_);
    if (!attached) {
        if (!launched() && !process_exists(main_pid_))
            return Error{"process " + std::to_string(main_pid_) + " exited while the probes were being attached"};
        return attached;
    }
    for (pid_t pid : running_)
        if (auto st = attach_to(pid); !st && process_exists(pid)) return st;
    ring_.reset(ring_buffer__new(allocations_->ring_buffer_fd(), on_ring_record, this, nullptr));
    if (!ring_) return Error{"cannot open the BPF ring buffer"};
    // Wait on the ring and on the target's exit together, so that the session
    // ends as soon as the target does, not at the next poll timeout.
    wait_fd_.reset(epoll_create1(EPOLL_CLOEXEC));
    target_fd_.reset(static_cast<int>(syscall(SYS_pidfd_open, main_pid_, 0)));
    if (!wait_fd_) return Error{std::string("epoll_create1: ") + std::strerror(errno)};
    for (int fd : {ring_buffer__epoll_fd(ring_.get()), target_fd_.get()}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (fd >= 0 && epoll_ctl(wait_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
            return Error{std::string("epoll_ctl: ") + std::strerror(errno)};
    }
    waiting_for_target_ = target_fd_.get() >= 0;
    phases_.attached_ns = monotonic_ns();
    return Status::success();
}

int Session::on_ring_record(void* ctx, void* data, size_t size) {
    auto* s = static_cast<Session*>(ctx);
    if (s->tap_) s->tap_(data, size);
    s->collector_->on_record(data, size);
    return 0;
}

// Every uprobe of the session on one process, and only on it, group by group.
Status Session::attach_to(pid_t pid) {
    if (links_.has(pid)) return Status::success();
    for (uint32_t group = 0; group < PMT_TRAP_GROUPS; ++group)
        if (Status s = attach_group_links(pid, group); !s) {
            links_.drop(pid);
            return s;
        }
    return Status::success();
}

Status Session::attach_group_links(pid_t pid, uint32_t group) {
    std::vector<ResolvedProbe> probes;
    for (const ResolvedProbe& p : uprobes_)
        if (trap_group_of(p) == group) probes.push_back(p);
    ProbeLinks& into = links_.of(pid, group);
    if (probes.empty()) return Status::success();
    return attach_probes(php_->path(), pid, probes, allocations_->options().use_uprobe_multi, into);
}

uint32_t Session::trap_group_of(const ResolvedProbe& probe) const {
    const uint32_t kind = PMT_COOKIE_KIND(probe.cookie);
    return kind < PMT_PROBE__MAX ? allocations_->options().trap_group[kind] : 0;
}

Status Session::attach_group(pid_t pid, uint32_t group) {
    if (!links_.has(pid) || group >= PMT_TRAP_GROUPS) return Error{"process " + std::to_string(pid) + " is not traced"};
    if (links_.has_group(pid, group)) return Status::success();
    if (links_.closing(pid, group)) return Error{"its previous links are still being closed"};
    Status s = attach_group_links(pid, group);
    if (!s) links_.retire_group(pid, group);  // what was made of it
    return s;
}

void Session::detach_group(pid_t pid, uint32_t group) { links_.retire_group(pid, group); }

// An exited process's links are inert: closed in the background, so that the
// record loop never waits for a grace period.
void Session::detach_from(pid_t pid) { links_.retire(pid); }

// A child's probes are attached when its fork record arrives (the BPF side wakes
// the reader for it), and dropped at its exit. Until then the child runs
// untraced: it is treated as attached mid-run, with what its heap holds at its
// first traced call as its baseline.
void Session::follow_processes() {
    collector_->add_extension(PMT_REC_PROC_FORK, PMT_REC_PROC_EXIT, [this](Collector& c, const RecordView& r) {
        if (r.kind() == PMT_REC_PROC_FORK) {
            const pid_t child = static_cast<pid_t>(r.proc().child_tgid);
            if (!attach_to(child) && process_exists(child)) ++c.counters().untraced_children;
        } else if (!(r.header().flags & PMT_PROC_EXEC) && static_cast<pid_t>(r.tgid()) != main_pid_) {
            // The main process's exit ends the session: its links go with the
            // rest, in parallel, at the teardown, not one by one in the background.
            detach_from(static_cast<pid_t>(r.tgid()));
        }
    });
}

Status Session::release_target() {
    phases_.released_ns = monotonic_ns();
    if (child_) return child_->release();
    return Status::success();
}

Status Session::poll(int timeout_ms) {
    // The BPF side commits without waking us (each wake-up is an IPI): the wait
    // lasts the timeout (or until it wakes us when the ring fills, or the target
    // exits), then what arrived meanwhile is consumed.
    epoll_event ev;
    const int ready = epoll_wait(wait_fd_.get(), &ev, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) return Error{std::string("epoll_wait: ") + std::strerror(errno)};
    // An ended target's pidfd stays readable: a session that runs on (top) would
    // no longer wait at all. It has said what it had to say.
    if (ready > 0 && waiting_for_target_ && ev.data.fd == target_fd_.get()) {
        epoll_ctl(wait_fd_.get(), EPOLL_CTL_DEL, target_fd_.get(), nullptr);
        waiting_for_target_ = false;
    }
    int n = ring_buffer__consume(ring_.get());
    if (n < 0 && n != -EINTR) return Error{"reading the ring buffer failed: " + std::to_string(n)};
    return Status::success();
}

// A process we did not start has ended when its pidfd is readable: it may stay a
// zombie for as long as its parent does not reap it (a parent that waits for us
// would wait forever), and kill(pid, 0) still finds a zombie.
static bool pidfd_says_exited(int pidfd) {
    pollfd p{pidfd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP));
}

bool Session::target_ended() {
    if (child_ && !wait_status_) wait_status_ = child_->wait(false);
    const bool ended = child_ ? wait_status_.has_value()
                              : (target_fd_ ? pidfd_says_exited(target_fd_.get()) : !process_exists(main_pid_));
    if (ended && !phases_.ended_ns) phases_.ended_ns = monotonic_ns();
    return ended;
}

Status Session::add_running_process(pid_t pid) {
    if (launched()) return Error{"a launched session traces its command's processes only"};
    if (links_.has(pid)) return Status::success();
    if (auto st = same_php_image(pid); !st) return st;
    if (auto baseline = read_heap_size(pid, *php_)) collector_->set_baseline(pid, *baseline);
    for (auto& module : modules_) module->add_running_process(pid);
    if (auto st = allocations_->trace_process(pid, true); !st) return st;
    return attach_to(pid);
}

Profile Session::snapshot() const {
    Profile profile = collector_->profile();
    allocations_->read_counters(profile.counters);
    profile.duration_s = double(monotonic_ns() - start_ns_) / 1e9;
    return profile;
}

Profile Session::finish() {
    while (ring_buffer__consume(ring_.get()) > 0) {
    }
    phases_.drained_ns = monotonic_ns();
    finished_ = true;
    allocations_->stop_tracing();
    Profile profile = collector_->profile();
    allocations_->read_counters(profile.counters);
    profile.duration_s = double(monotonic_ns() - start_ns_) / 1e9;
    for (auto& module : modules_) module->finish(profile);
    // The profile holds the results: the tables they came from go now, not after
    // the outputs are written (the uprobes stay until detach()).
    uprobes_.clear();
    modules_.clear();
    ring_.reset();
    collector_.reset();
    phases_.finished_ns = monotonic_ns();
    return profile;
}

}  // namespace pmt
