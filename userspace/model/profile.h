// The result of a tracing session, independent of how it was collected.
//
// The collector produces a Profile; every output (terminal summary, JSON, folded
// stacks, flame graph, pprof, SQLite session) is rendered from one, and a stored
// session is read back into one. Keep it plain data.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/faults.h"
#include "model/heap_timeline.h"

namespace pmt {

enum class FrameKind : uint8_t {
    User,      // PHP code: a function, method, closure or {main} of a file
    Internal,  // a function implemented in C (str_repeat, array_map, ...)
    Pseudo,    // no PHP frame was running: [startup], [compile], [shutdown], ...
    Unknown,   // the names could not be read (counted in the counters)
};

const char* frame_kind_name(FrameKind kind);

// One PHP function as the user sees it. Functions with the same names, file and
// start line are the same symbol even if they came from different processes.
struct Symbol {
    FrameKind kind = FrameKind::Unknown;
    std::string function;                 // "foo", "{closure}", "{main}", "[startup]"
    std::optional<std::string> class_name;  // "App\\Cache" for methods, empty otherwise
    std::string file;                     // empty for internal functions and pseudo-frames
    uint32_t line_start = 0;

    // "Class::method" or "function"
    std::string qualified_name() const;
};

struct Frame {
    uint32_t symbol = 0;  // index into Profile::symbols
    uint32_t line = 0;    // line being executed in this frame (0: unknown / internal)
    bool operator==(const Frame&) const = default;
};

// Figures for one stack. Frees are attributed to the stack that allocated the
// block, so alloc = free + live for blocks allocated during the session.
struct StackStats {
    uint64_t alloc_count = 0;
    uint64_t alloc_bytes = 0;
    uint64_t free_count = 0;
    uint64_t free_bytes = 0;
    uint64_t live_count = 0;
    uint64_t live_bytes = 0;
    // What this stack held when the traced live heap was at its peak.
    uint64_t peak_live_count = 0;
    uint64_t peak_live_bytes = 0;
    // Page faults taken while this stack ran (record --faults), and their kernel time.
    uint64_t fault_count = 0;
    uint64_t fault_ns = 0;
};

struct Stack {
    std::vector<Frame> frames;  // root first, leaf last
    StackStats stats;
};

// Views a flame graph / folded file / pprof can show.
// Faults / FaultNs: page faults and their kernel nanoseconds (record --faults).
enum class View : uint8_t { Alloc, Live, Count, Peak, Faults, FaultNs };
inline constexpr View kAllViews[] = {View::Alloc, View::Live, View::Count, View::Peak, View::Faults, View::FaultNs};
const char* view_name(View view);
std::optional<View> parse_view(const std::string& name);
// "alloc, live, count, peak, faults, fault-ns", for help and error messages.
std::string view_names();
// The value of a stack in a view (bytes for alloc/live/peak, allocations for count).
uint64_t stack_value(const StackStats& stats, View view);
// "bytes" or "allocations"
const char* view_unit(View view);

struct Target {
    int64_t pid = 0;                // the main process (the launched one, or -p PID)
    std::vector<int64_t> pids;      // every process traced (FPM workers, forks)
    std::string binary;
    std::string php_version;
    std::string command;            // launch mode: the command line
    std::optional<int> exit_code;   // launch mode: how the command ended
};

// Everything the kernel side dropped or could not read, and what the collector
// could not match. Reported with every result (kCounterFields lists them all).
struct Counters {
    uint64_t allocs = 0;
    uint64_t frees = 0;
    uint64_t reallocs = 0;
    uint64_t lost_events = 0;        // ring buffer full
    uint64_t truncated_stacks = 0;   // deeper than --max-frames
    uint64_t unreadable_frames = 0;  // target memory could not be read mid-walk
    uint64_t lost_function_names = 0;
    uint64_t unpaired_returns = 0;
    uint64_t bad_heap_reads = 0;     // AG(mm_heap), heap figures or a page-map entry unreadable
    uint64_t untraced_children = 0;  // a child could not be traced (kernel's process table full)
    uint64_t malformed_records = 0;  // records too short for their kind (collector side)
    // The collector's bounded tables were full (CollectorOptions): records counted
    // under "[stack table full]", names under "[symbol table full]", blocks untracked.
    uint64_t stack_table_full = 0;
    uint64_t symbol_table_full = 0;
    uint64_t live_table_full = 0;
    // Event lists are bounded too (the first 20,000 checkpoints, the 1,000 requests
    // with the highest peaks, the 1,000 GC runs that freed the most: HeapTrackerOptions);
    // the rest are counted, and a checkpoint not kept still says whether it was exact.
    uint64_t checkpoints_not_kept = 0;
    uint64_t checkpoints_not_kept_inexact = 0;
    uint64_t requests_not_kept = 0;
    uint64_t gc_runs_not_kept = 0;
    uint64_t unknown_frees = 0;      // free of a block not seen allocated (and size unknown)
    uint64_t baseline_frees = 0;     // free of a block that was live before attach
    uint64_t baseline_free_bytes = 0;
    // Blocks still live when zend_mm_shutdown() emptied the heap (end of each FPM
    // request, end of the process): released wholesale, never freed one by one.
    uint64_t wiped_blocks = 0;
    uint64_t wiped_bytes = 0;
    // Blocks still live when their process exited or exec'd without emptying its
    // heap (a forked child's copy of its parent's blocks, _exit, a crash).
    uint64_t exited_blocks = 0;
    uint64_t exited_bytes = 0;
};

// Every counter with its name in reports and session files, one list for all of
// them, so that a counter cannot reach one output and be forgotten in another.
// `loss`: something was dropped or unreadable, and the figures may be incomplete.
struct CounterField {
    const char* name;
    uint64_t Counters::*field;
    bool loss;
};
inline constexpr std::array<CounterField, 25> kCounterFields = {{
    {"allocs", &Counters::allocs, false},
    {"frees", &Counters::frees, false},
    {"reallocs", &Counters::reallocs, false},
    {"lost_events", &Counters::lost_events, true},
    {"truncated_stacks", &Counters::truncated_stacks, true},
    {"unreadable_frames", &Counters::unreadable_frames, true},
    {"lost_function_names", &Counters::lost_function_names, true},
    {"unpaired_returns", &Counters::unpaired_returns, true},
    {"bad_heap_reads", &Counters::bad_heap_reads, true},
    {"untraced_children", &Counters::untraced_children, true},
    {"malformed_records", &Counters::malformed_records, true},
    {"stack_table_full", &Counters::stack_table_full, true},
    {"symbol_table_full", &Counters::symbol_table_full, true},
    {"live_table_full", &Counters::live_table_full, true},
    {"checkpoints_not_kept", &Counters::checkpoints_not_kept, false},
    {"checkpoints_not_kept_inexact", &Counters::checkpoints_not_kept_inexact, true},
    {"requests_not_kept", &Counters::requests_not_kept, false},
    {"gc_runs_not_kept", &Counters::gc_runs_not_kept, false},
    {"unknown_frees", &Counters::unknown_frees, true},
    {"baseline_frees", &Counters::baseline_frees, false},
    {"baseline_free_bytes", &Counters::baseline_free_bytes, false},
    {"wiped_blocks", &Counters::wiped_blocks, false},
    {"wiped_bytes", &Counters::wiped_bytes, false},
    {"exited_blocks", &Counters::exited_blocks, false},
    {"exited_bytes", &Counters::exited_bytes, false},
}};
static_assert(sizeof(Counters) == kCounterFields.size() * sizeof(uint64_t), "every counter is in kCounterFields");

struct HeapFigures {
    uint64_t live_bytes = 0;        // traced live bytes at the reported point
    uint64_t peak_live_bytes = 0;   // highest traced live bytes seen
    double peak_at_s = 0;           // seconds since session start
    // Attach by PID: what the heap held before the tracer attached (heap->size),
    // reported separately rather than pretending it does not exist.
    std::optional<uint64_t> baseline_bytes;
};

// memory_get_usage() was called: what PHP said and what the tracer had at that instant.
struct Checkpoint {
    double t_s = 0;
    int64_t pid = 0;
    bool real = false;                 // the call was memory_get_usage(true)
    uint64_t php_memory_usage = 0;     // heap->size
    std::optional<uint64_t> php_real_usage;  // heap->real_size
    uint64_t traced_live_bytes = 0;    // the tracer's live total (+ baseline still live)
    std::optional<uint64_t> traced_real_bytes;  // heap tracer: chunks + huge bytes mapped then
};

struct Profile {
    Target target;
    double duration_s = 0;
    std::string started_at;   // ISO 8601, UTC
    Counters counters;
    HeapFigures heap;
    std::vector<Checkpoint> checkpoints;
    std::vector<Symbol> symbols;
    std::vector<Stack> stacks;
    // Where the live figures were taken: "script_end" (request shutdown began),
    // or "session_end".
    std::string live_point = "session_end";
    // Page faults (record --faults): totals, per region, latency.
    std::optional<FaultReport> faults;
    // The Zend heap over time (chunks, huge blocks, GC, requests, memory_limit).
    std::optional<HeapTimeline> heap_timeline;
};

}  // namespace pmt
