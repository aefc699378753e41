// The agent's command-line filters over the host's PHP processes.
#pragma once

#include <sys/types.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "target/php_processes.h"

namespace pmt {

struct ProcessFilter {
    std::vector<pid_t> pids;   // --pid: these (and their children); empty: all
    std::string binary;        // --binary: only this image (resolved path); empty: all
    std::vector<std::string> pools;  // --pool: only these services; empty: all
    std::optional<std::regex> exclude;  // --exclude: not when title or service matches
    bool accepts(const PhpProcess& p) const;
};

}  // namespace pmt
