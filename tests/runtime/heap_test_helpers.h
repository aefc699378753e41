// Shared by the heap runtime tests (test_heap_*.cpp): recording a PHP command
// with extra PHP options, processes owned by the test (killed and reaped even when
// an assertion fails), and a tiny HTTP client for the loopback FPM test.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime_helpers.h"

namespace pmt::testing {

struct Recorded {
    CommandResult command;  // phpmemtrace's exit code and output (the script's stdout too)
    nlohmann::json report;  // empty when phpmemtrace failed
};

// phpmemtrace record -q -o DIR/report.json <extra> -- php8.2 -n <php_args...>
Recorded record_php(const TempDir& dir, const std::vector<std::string>& php_args,
                    const std::vector<std::string>& extra = {});

// A child process the test started; SIGTERM (then SIGKILL) and waitpid on destruction.
class OwnedProcess {
public:
    static OwnedProcess spawn(const std::vector<std::string>& argv, const std::string& log_path);
    OwnedProcess() = default;
    OwnedProcess(OwnedProcess&& other) noexcept;
    OwnedProcess& operator=(OwnedProcess&& other) noexcept;
    ~OwnedProcess();
    pid_t pid() const { return pid_; }
    // Sends `sig` and waits for the exit; returns the exit code (128+signal if killed).
    int stop(int sig);
    bool running();

private:
    pid_t pid_ = -1;
};

// Waits (polling, up to `seconds`) for a file to exist; false on timeout.
bool wait_for_file(const std::string& path, double seconds);
// A TCP port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();
// Waits until 127.0.0.1:port accepts connections.
bool wait_for_port(int port, double seconds);
// GET http://127.0.0.1:port<path>; returns the body ("" on failure).
std::string http_get(int port, const std::string& path);

}  // namespace pmt::testing
