// Reads of a paused process's memory on two threads. process_vm_readv pins the
// target's pages one 4 KiB page at a time, and that, not the copy, is what the
// pause costs; two threads pin two pages at once (BENCHMARKS.md, section 8).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>

namespace pmt {

enum class ReadOutcome { Copied, Unreadable, Ended, Late };

struct ReadJob {
    uint64_t address = 0;  // in the target
    std::span<uint8_t> out;
};

struct ReadFailure {
    ReadOutcome outcome = ReadOutcome::Unreadable;
    size_t job = 0;
};

// One region, in pieces, looking at the deadline (monotonic ns) after each.
ReadOutcome read_region(pid_t pid, uint64_t address, std::span<uint8_t> out, uint64_t deadline_ns);

// Every job, on up to two threads; the first failure (a job that could not be
// read, the process gone, the deadline passed) stops the rest and is returned.
std::optional<ReadFailure> read_all(pid_t pid, std::span<const ReadJob> jobs, uint64_t deadline_ns);

}  // namespace pmt
