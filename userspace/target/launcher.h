// Launch mode: start a command held before exec, so the probes are in place
// before it runs a single PHP instruction, then let it go.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace pmt {

// The executable a command will run: argv[0] found in PATH, and for a script with
// a "#!" line (e.g. `#!/usr/bin/env php`) its interpreter.
Result<std::string> resolve_command_binary(const std::vector<std::string>& argv);

class HeldChild {
public:
    // Forks; the child waits until release() and then execs argv.
    static Result<HeldChild> spawn(const std::vector<std::string>& argv);
    HeldChild(HeldChild&&) noexcept;
    HeldChild& operator=(HeldChild&&) = delete;
    HeldChild(const HeldChild&) = delete;
    ~HeldChild();  // a child never released is killed and reaped

    pid_t pid() const { return pid_; }
    // Lets the child exec; fails if exec failed (the child reports errno).
    Status release();
    // Waits for the child; returns its wait status, or nullopt if still running
    // (when !block).
    std::optional<int> wait(bool block);
    // Kills the child (used when the tracer cannot start).
    void kill_child();

private:
    HeldChild() = default;
    pid_t pid_ = -1;
    int go_fd_ = -1;     // parent writes one byte: go
    int error_fd_ = -1;  // child writes errno if exec fails; closed on exec
    bool released_ = false;
    bool reaped_ = false;
    std::string command_;
};

}  // namespace pmt
