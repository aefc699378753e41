// Faults per snapshot restore and per request.
//
// A restore window opens when the outermost call of a snapshot-restore function
// enters (PMT_REC_RESTORE_BEGIN) and its "after" part runs from its return to the
// process's next restore or exit: with a MAP_PRIVATE restore the cost is paid there,
// one copy-on-write fault per page written; with copy-back it is paid during the call.
// A request window runs from php_request_startup() to php_request_shutdown().
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "model/faults.h"
#include "phpmemtrace.h"

namespace pmt {

class FaultWindows {
public:
    // Names of the attached restore functions, by attach cookie.
    void set_function_names(std::vector<std::string> names) { names_ = std::move(names); }
    void on_restore_begin(const pmt_restore_record& r);
    void on_restore_end(const pmt_restore_record& r);
    void on_request_begin(uint32_t tgid, uint64_t ts_ns);
    void on_request_end(uint32_t tgid);
    void on_fault(uint32_t tgid, uint64_t addr, uint64_t ns, FaultKind kind);
    // A forked child carries on its parent's request (pcntl_fork(), FPM workers do
    // not fork mid-request): its faults go to a request entry of its own.
    void on_fork(uint32_t parent, uint32_t child, uint64_t ts_ns);
    void on_exit(uint32_t tgid);

    // Adds the windows to `report`; to_seconds turns record timestamps into
    // seconds since the session start; cow_mean_ns gives the break-even.
    void fill(FaultReport& report, const std::function<double(uint64_t)>& to_seconds, double cow_mean_ns) const;

private:
    struct Window {
        size_t index;
        std::unordered_set<uint64_t> pages;
    };
    struct Process {
        uint32_t depth = 0;           // nested restore calls
        std::optional<Window> during; // the restore call
        uint64_t begin_ts = 0;
        std::optional<Window> after;  // since the last restore returned
        std::optional<Window> request;
    };

    std::vector<std::string> names_;
    std::vector<RestoreFaults> restores_;
    std::vector<uint64_t> restore_ts_;
    std::vector<RequestFaults> requests_;
    std::vector<uint64_t> request_ts_;
    std::unordered_map<uint32_t, Process> procs_;
};

}  // namespace pmt
