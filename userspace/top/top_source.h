// Where `phpmemtrace top` gets its figures. The screen only sees this interface;
// session_source.h is the one source, in slow-path (default) or exact mode.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/profile.h"
#include "util/result.h"

namespace pmt {

// One traced process now. Byte and count totals are cumulative since the start
// (or the last reset()); the view turns them into rates.
struct ProcessFigures {
    uint32_t pid = 0;
    std::string title;          // its command line (FPM: "php-fpm: pool www"), printable
    uint64_t used_bytes = 0;    // heap->size (memory_get_usage())
    uint64_t real_bytes = 0;    // chunks + huge blocks (memory_get_usage(true))
    uint64_t peak_bytes = 0;    // highest used_bytes seen since the start or reset
    uint64_t limit_bytes = 0;   // memory_limit (0: unknown, or unlimited)
    uint64_t alloc_count = 0, alloc_bytes = 0;
    uint64_t free_count = 0, free_bytes = 0;  // blocks released (freed, or wiped at request end)
    uint64_t gc_runs = 0;
    bool exited = false;
    std::optional<int> exit_code;
};

// One stack's figures now, in one process or in all of them.
struct StackFigures {
    uint32_t stack = 0;  // id for TopSource::frames()
    uint64_t live_bytes = 0, live_count = 0;
    uint64_t alloc_bytes = 0, alloc_count = 0;  // cumulative, as above
    uint64_t fault_count = 0;                   // page faults (all processes: the fault module is per stack)
};

// The requests of one URI (FPM, CLI scripts: the script's path): the highest
// heap peak one of them reached, and how many there were.
struct RequestPeak {
    std::string uri;
    uint64_t peak_bytes = 0;
    uint64_t requests = 0;
};

// What the source costs the traced processes, for the header.
struct SourceCost {
    std::string mode;         // "slow paths", "exact"
    std::string explanation;  // "every allocation traced"
    double traps_per_s = 0;   // uprobe hits per second in the traced processes
    // Estimated share of the traced processes' CPU time the traps took (0.01 =
    // 1%); none when they used no measurable CPU or the price is unknown.
    std::optional<double> overhead;
    double budget = 0.01;     // --max-overhead
    bool priced = false;      // the price per trap is known (calibrated)
    std::string cost_basis;   // what the estimate assumes ("3200 ns/trap, calibrated")
    uint64_t lost_records = 0;
};

class TopSource {
public:
    virtual ~TopSource() = default;
    // Drains what arrived (waits up to timeout_ms for it); never blocks longer.
    virtual Status poll(int timeout_ms) = 0;
    // Every process seen, exited ones included (marked).
    virtual std::vector<ProcessFigures> processes() const = 0;
    // The stacks with any figure, summed over these processes (every one when empty).
    virtual std::vector<StackFigures> stacks(const std::vector<uint32_t>& pids) const = 0;
    virtual const std::vector<Frame>& frames(uint32_t stack) const = 0;  // root first
    virtual const std::vector<Symbol>& symbols() const = 0;
    virtual bool has_faults() const = 0;
    // Request peaks by URI, over these processes (every one when empty).
    virtual std::vector<RequestPeak> request_peaks(const std::vector<uint32_t>& /*pids*/) const { return {}; }
    // Since the previous call.
    virtual SourceCost cost() = 0;
    // Cumulative totals and peaks start again from now (live figures stay).
    virtual void reset() = 0;
    // What has been seen so far, for the flame graph and session writers.
    virtual Profile snapshot() const = 0;
    // Whether a process is traced; tracing one more (top --all's new processes).
    virtual bool traces(pid_t pid) const = 0;
    virtual Status add_process(pid_t pid) = 0;
};

}  // namespace pmt
