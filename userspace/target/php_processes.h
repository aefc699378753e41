// The PHP processes of the host, as the agent and top --all find them (a scan of
// /proc): the binary each runs, what it calls itself (FPM workers: "php-fpm: pool
// NAME") and the service it belongs to.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace pmt {

struct PhpProcess {
    pid_t pid = 0;
    std::string image;    // the PHP binary or libphp*.so (as the session opens it)
    std::string service;  // FPM pool, else binary_script (service_name())
    std::string title;    // /proc/PID/cmdline, NULs as spaces (for --exclude)
};

// The service of a process from its title and image:
//   "php-fpm: pool www"             -> "www"
//   "php-fpm: master process (...)" -> "php-fpm-master"
//   "php8.2 /srv/jobs/worker.php"   -> "php8.2_worker.php" (":" is not kept)
// Only [A-Za-z0-9._-] are kept (the name goes into file names and labels).
std::string service_name(const std::string& title, const std::string& image);

// A service name as it may appear in a file name and a label.
std::string safe_name(const std::string& text);

// /proc/PID/cmdline with NULs as spaces, trailing ones dropped, printable ("" if
// gone): FPM rewrites it to say what the process is.
std::string process_title(pid_t pid);
// "php-fpm: pool www" -> "www".
std::optional<std::string> fpm_pool_of(const std::string& title);

// Scans /proc. An executable is checked once per (device, inode): a host has
// thousands of processes and few binaries.
class PhpProcessScanner {
public:
    std::vector<PhpProcess> scan();
    // The PHP image of one process, nullopt when it is not a PHP process.
    std::optional<std::string> php_image(pid_t pid);

private:
    std::map<std::pair<dev_t, ino_t>, std::optional<std::string>> exe_images_;
};

// One session traces one binary: top --all takes the binary most processes run,
// or `image`'s, and says which others it leaves out.
struct PhpProcessScan {
    std::string image;        // the PHP binary of the most processes
    std::vector<pid_t> pids;  // the processes running it
    std::vector<pid_t> other_binaries;
};
// An error when there is no PHP process (of `image`).
Result<PhpProcessScan> scan_php_processes(const std::optional<std::string>& image = std::nullopt);

}  // namespace pmt
