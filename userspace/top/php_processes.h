// The PHP processes of the host, as top --all sees them, and what a process
// calls itself (FPM workers: "php-fpm: pool NAME").
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace pmt {

// The process's command line (its title: FPM rewrites it), NULs as spaces,
// printable; "" once it is gone.
std::string process_title(pid_t pid);
// "php-fpm: pool www" -> "www".
std::optional<std::string> fpm_pool_of(const std::string& title);

// Processes whose executable's name contains "php" (this process excluded): a
// cheap first filter (a readlink each), before reading anyone's ELF.
std::vector<pid_t> php_named_processes();

struct PhpProcessScan {
    std::string image;        // the PHP binary of the most processes
    std::vector<pid_t> pids;  // the processes running it
    // PHP processes running another binary: one session traces one binary.
    std::vector<pid_t> other_binaries;
};

// Every process whose executable is a PHP binary the tracer can read (this
// process excluded). With `image`, only that binary's processes count. An error
// when there is none.
Result<PhpProcessScan> scan_php_processes(const std::optional<std::string>& image = std::nullopt);

}  // namespace pmt
