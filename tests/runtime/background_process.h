// A process started by a test and stopped (killed and reaped) when the test ends,
// whatever happens in between.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace pmt::testing {

class BackgroundProcess {
public:
    explicit BackgroundProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
    ~BackgroundProcess();
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    pid_t pid() const { return pid_; }
    // Reads stdout until a line starting with `prefix` (returned) or the timeout ("").
    std::string wait_for_line(const std::string& prefix, int timeout_ms);
    // Waits for the process to exit by itself; returns its exit code (-1 on timeout).
    int wait_exit(int timeout_ms);
    const std::string& output() const { return output_; }

private:
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    bool reaped_ = false;
    std::string output_;
    size_t consumed_ = 0;
};

}  // namespace pmt::testing
