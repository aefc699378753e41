// The agent's view of the host: every PHP process (scan of /proc), the binary it
// runs and the service it belongs to, and the command line's filters.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

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

// /proc/PID/cmdline with NULs as spaces, trailing ones dropped ("" if gone).
std::string process_title(pid_t pid);

struct ProcessFilter {
    std::vector<pid_t> pids;   // --pid: these (and their children); empty: all
    std::string binary;        // --binary: only this image (resolved path); empty: all
    std::vector<std::string> pools;  // --pool: only these services; empty: all
    std::optional<std::regex> exclude;  // --exclude: not when title or service matches
    bool accepts(const PhpProcess& p) const;
};

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

}  // namespace pmt
