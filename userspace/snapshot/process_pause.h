// Holding every thread of a process still, without its parent noticing.
//
// SIGSTOP would stop the process as a group, and its parent (an FPM master, a
// shell, a supervisor) would see it in waitpid(WUNTRACED) or get a SIGCHLD.
// PTRACE_SEIZE + PTRACE_INTERRUPT put each thread in a ptrace stop instead,
// which only the tracer sees; PTRACE_DETACH lets it run on (a blocking system
// call it was in is restarted). Nothing in the process is written.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "util/result.h"

namespace pmt {

class ProcessPause {
public:
    // Seizes and interrupts every thread of `pid` and waits until each is stopped,
    // for at most `max_wait_ns`. On failure every thread seized so far is let go.
    static Result<ProcessPause> pause(pid_t pid, uint64_t max_wait_ns);

    ProcessPause(ProcessPause&& other) noexcept;
    ProcessPause& operator=(ProcessPause&&) = delete;
    ProcessPause(const ProcessPause&) = delete;
    ~ProcessPause() { resume(); }

    // Detaches from every thread (re-delivering a signal that arrived during the
    // stop). Idempotent. Returns the monotonic time the last thread was let go.
    uint64_t resume();
    // A thread or the whole process ended while stopped (seen when resuming).
    bool target_exited() const { return exited_; }
    size_t threads() const { return threads_.size(); }

private:
    struct Thread {
        pid_t tid = 0;
        int pending_signal = 0;  // stopped at a signal's delivery: give it back
        bool gone = false;
    };
    explicit ProcessPause(pid_t pid) : pid_(pid) {}
    pid_t pid_ = 0;
    std::vector<Thread> threads_;
    bool resumed_ = false;
    bool exited_ = false;
};

}  // namespace pmt
