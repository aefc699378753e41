#include "snapshot/process_pause.h"

#include <dirent.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "session/session_core.h"

namespace pmt {
namespace {

std::vector<pid_t> thread_ids(pid_t pid) {
    std::vector<pid_t> tids;
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = opendir(dir.c_str());
    if (!d) return tids;
    while (dirent* e = readdir(d))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9') tids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    closedir(d);
    return tids;
}

bool seized(const std::vector<pid_t>& tids, pid_t tid) {
    for (pid_t t : tids)
        if (t == tid) return true;
    return false;
}

void short_sleep() {
    timespec ts{0, 20000};  // 20 us: a thread stops within a few microseconds unless it is in the kernel
    nanosleep(&ts, nullptr);
}

// A thread that is exiting (or a zombie) refuses PTRACE_SEIZE with EPERM, as a
// traced one does; /proc tells them apart.
bool exiting(pid_t tid) {
    std::ifstream stat("/proc/" + std::to_string(tid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const auto close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z' || line[close + 2] == 'X';
}

std::string thread_text(pid_t pid, pid_t tid) {
    return tid == pid ? "process " + std::to_string(pid)
                      : "thread " + std::to_string(tid) + " of process " + std::to_string(pid);
}

}  // namespace

ProcessPause::ProcessPause(ProcessPause&& other) noexcept
    : pid_(other.pid_), threads_(std::move(other.threads_)), resumed_(other.resumed_), exited_(other.exited_) {
    other.resumed_ = true;
    other.threads_.clear();
}

Result<ProcessPause> ProcessPause::pause(pid_t pid, uint64_t max_wait_ns) {
    ProcessPause p(pid);
    const uint64_t deadline = monotonic_ns() + max_wait_ns;
    // A thread started while the others are being seized shows up on the next
    // pass; once every thread is seized none can start another unseen.
    std::vector<pid_t> tids;
    for (bool added = true; added;) {
        added = false;
        for (pid_t tid : thread_ids(pid)) {
            if (seized(tids, tid)) continue;
            if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
                const int err = errno;
                if (err == ESRCH || (err == EPERM && exiting(tid))) {
                    if (tid == pid) return Error{"process " + std::to_string(pid) + " ended before it could be paused"};
                    continue;  // a thread that ended meanwhile
                }
                return Error{"cannot pause " + thread_text(pid, tid) + ": ptrace(PTRACE_SEIZE): " + std::strerror(err) +
                             (err == EPERM ? " (is a debugger or tracer attached to it already?)" : "")};
            }
            tids.push_back(tid);
            p.threads_.push_back(Thread{tid});
            added = true;
            if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0 && errno != ESRCH)
                return Error{"cannot pause " + thread_text(pid, tid) + ": ptrace(PTRACE_INTERRUPT): " +
                             std::strerror(errno)};
        }
    }
    if (p.threads_.empty()) return Error{"process " + std::to_string(pid) + " ended before it could be paused"};

    for (Thread& t : p.threads_) {
        while (true) {
            int status = 0;
            const pid_t r = waitpid(t.tid, &status, __WALL | WNOHANG);
            if (r == t.tid && (WIFEXITED(status) || WIFSIGNALED(status))) {
                t.gone = true;
                break;
            }
            if (r == t.tid && WIFSTOPPED(status)) {
                // An event stop (the interrupt, or a group stop already under way)
                // carries an event in the high bits; otherwise the thread stopped to
                // be handed a signal, which it gets back when let go.
                if ((status >> 16) == 0) t.pending_signal = WSTOPSIG(status);
                break;
            }
            if (r < 0 && errno != EINTR) {
                t.gone = true;
                break;
            }
            if (monotonic_ns() > deadline)
                return Error{thread_text(pid, t.tid) + " did not stop within the --max-pause time (busy in the "
                             "kernel?); it was let go, nothing was read"};
            short_sleep();
        }
    }
    if (p.threads_.front().tid == pid && p.threads_.front().gone)
        return Error{"process " + std::to_string(pid) + " exited while it was being paused"};
    return p;
}

uint64_t ProcessPause::resume() {
    if (!resumed_) {
        resumed_ = true;
        for (Thread& t : threads_) {
            if (t.gone) {
                exited_ = true;
                continue;
            }
            if (ptrace(PTRACE_DETACH, t.tid, nullptr, reinterpret_cast<void*>(static_cast<long>(t.pending_signal))) ==
                0)
                continue;
            // Not in a stop any more: killed (SIGKILL ends a ptrace stop) and now a
            // zombie. Collecting it as its tracer hands its exit to its real parent.
            int status = 0;
            if (waitpid(t.tid, &status, __WALL | WNOHANG) == t.tid && (WIFEXITED(status) || WIFSIGNALED(status)))
                exited_ = true;
            else if (kill(t.tid, 0) != 0)
                exited_ = true;
        }
    }
    return monotonic_ns();
}

}  // namespace pmt
