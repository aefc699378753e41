// A PHP script with pipes on its stdin and stdout, for the snapshot tests: the
// script prints KEY=VALUE figures and blocks reading STDIN at a known point.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "spawn.h"

namespace pmt::testing {

// A PHP script with pipes on its stdin and stdout, killed at the end of the test
// if it is still running. The test is its parent: waitpid() sees what a shell or
// an FPM master would.
class PipedScript {
public:
    explicit PipedScript(const std::vector<std::string>& argv) {
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        pid_ = spawn_process(argv, {}, &actions);
        posix_spawn_file_actions_destroy(&actions);
        close(in[0]);
        close(out[1]);
        stdin_fd_ = in[1];
        stdout_fd_ = out[0];
    }
    ~PipedScript() {
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (stdin_fd_ >= 0) close(stdin_fd_);
        if (stdout_fd_ >= 0) close(stdout_fd_);
    }
    pid_t pid() const { return pid_; }
    bool send(const std::string& line) { return write(stdin_fd_, line.data(), line.size()) == ssize_t(line.size()); }
    // The value of the first "KEY=VALUE" line with this key ("" if the script ended first).
    std::string value(const std::string& key) {
        const std::string prefix = key + "=";
        while (true) {
            for (size_t start = 0, nl; (nl = output_.find('\n', start)) != std::string::npos; start = nl + 1)
                if (output_.compare(start, prefix.size(), prefix) == 0)
                    return output_.substr(start + prefix.size(), nl - start - prefix.size());
            pollfd pfd{stdout_fd_, POLLIN, 0};
            if (poll(&pfd, 1, 60000) <= 0) return "";
            char buf[4096];
            const ssize_t n = read(stdout_fd_, buf, sizeof(buf));
            if (n <= 0) return "";
            output_.append(buf, n);
        }
    }
    // waitpid() with WUNTRACED | WCONTINUED: a stop or a continue would show here.
    int wait_status(bool block) {
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WUNTRACED | WCONTINUED | (block ? 0 : WNOHANG));
        if (r == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) reaped_ = true;
        return r == pid_ ? status : -1;
    }

private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1, stdout_fd_ = -1;
    bool reaped_ = false;
    std::string output_;
};

}  // namespace pmt::testing
