#include "snapshot/parallel_reads.h"

#include <sys/uio.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>

#include "session/session_core.h"

namespace pmt {
namespace {
// A long region is read in pieces, so the deadline is looked at every few ms.
constexpr size_t kReadPiece = 2u << 20;
}  // namespace

ReadOutcome read_region(pid_t pid, uint64_t address, std::span<uint8_t> out, uint64_t deadline_ns) {
    for (size_t done = 0; done < out.size();) {
        const size_t piece = std::min(kReadPiece, out.size() - done);
        iovec local{out.data() + done, piece};
        iovec remote{reinterpret_cast<void*>(address + done), piece};
        const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n < 0 && errno == ESRCH) return ReadOutcome::Ended;
        if (n != static_cast<ssize_t>(piece)) return ReadOutcome::Unreadable;
        done += piece;
        if (monotonic_ns() > deadline_ns) return ReadOutcome::Late;
    }
    return ReadOutcome::Copied;
}

std::optional<ReadFailure> read_all(pid_t pid, std::span<const ReadJob> jobs, uint64_t deadline_ns) {
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex failure_lock;
    std::optional<ReadFailure> failure;
    auto work = [&] {
        for (size_t i; !stop.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < jobs.size();) {
            const ReadOutcome r = read_region(pid, jobs[i].address, jobs[i].out, deadline_ns);
            if (r == ReadOutcome::Copied) continue;
            std::lock_guard<std::mutex> hold(failure_lock);
            if (!failure) failure = ReadFailure{r, i};
            stop = true;
        }
    };
    // Two threads: the machine may have no more to spare, and the target's page
    // tables are walked under one lock that more readers would share anyway.
    std::optional<std::thread> helper;
    if (jobs.size() > 1 && std::thread::hardware_concurrency() > 1) {
        try {
            helper.emplace(work);
        } catch (const std::system_error&) {
            // No thread to be had: this one reads everything.
        }
    }
    work();
    if (helper) helper->join();
    return failure;
}

}  // namespace pmt
