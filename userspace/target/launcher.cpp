#include "target/launcher.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pmt {
namespace {

std::optional<std::string> find_in_path(const std::string& name) {
    auto executable = [](const std::string& p) {
        struct stat st;
        return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
    };
    if (name.find('/') != std::string::npos) return executable(name) ? std::optional(name) : std::nullopt;
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (executable(candidate)) return candidate;
    }
    return std::nullopt;
}

std::string real_path(const std::string& p) {
    char buf[PATH_MAX];
    return realpath(p.c_str(), buf) ? std::string(buf) : p;
}

}  // namespace

Result<std::string> resolve_command_binary(const std::vector<std::string>& argv) {
    if (argv.empty()) return Error{"no command given"};
    auto found = find_in_path(argv[0]);
    if (!found) return Error{"command not found: " + argv[0]};
    std::ifstream in(*found, std::ios::binary);
    std::string first_line;
    std::getline(in, first_line);
    if (first_line.rfind("#!", 0) != 0) return real_path(*found);
    std::stringstream words(first_line.substr(2));
    std::string interpreter, argument;
    words >> interpreter >> argument;
    if (interpreter.size() >= 4 && interpreter.compare(interpreter.size() - 4, 4, "/env") == 0 && !argument.empty()) {
        auto via_env = find_in_path(argument);
        if (!via_env) return Error{"interpreter not found: " + argument + " (from " + *found + ")"};
        return real_path(*via_env);
    }
    return real_path(interpreter);
}

Result<HeldChild> HeldChild::spawn(const std::vector<std::string>& argv) {
    if (argv.empty()) return Error{"no command given"};
    int go[2], err[2];
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        return Error{std::string("pipe: ") + std::strerror(errno)};
    pid_t pid = fork();
    if (pid < 0) return Error{std::string("fork: ") + std::strerror(errno)};
    if (pid == 0) {
        close(go[1]);
        close(err[0]);
        char byte;
        if (read(go[0], &byte, 1) != 1) _exit(127);  // tracer went away: never run untraced
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        int e = errno;
        (void)!write(err[1], &e, sizeof(e));
        _exit(127);
    }
    close(go[0]);
    close(err[1]);
    HeldChild child;
    child.pid_ = pid;
    child.go_fd_ = go[1];
    child.error_fd_ = err[0];
    child.command_ = argv[0];
    return child;
}

HeldChild::HeldChild(HeldChild&& o) noexcept
    : pid_(o.pid_), go_fd_(o.go_fd_), error_fd_(o.error_fd_), released_(o.released_), reaped_(o.reaped_),
      command_(std::move(o.command_)) {
    o.pid_ = -1;
    o.go_fd_ = o.error_fd_ = -1;
}

HeldChild::~HeldChild() {
    if (pid_ > 0 && !released_) kill_child();
    if (go_fd_ >= 0) close(go_fd_);
    if (error_fd_ >= 0) close(error_fd_);
}

Status HeldChild::release() {
    released_ = true;
    char go = 1;
    if (write(go_fd_, &go, 1) != 1) return Error{"cannot start " + command_ + ": child is gone"};
    close(go_fd_);
    go_fd_ = -1;
    int child_errno = 0;
    ssize_t n = read(error_fd_, &child_errno, sizeof(child_errno));  // EOF on successful exec
    close(error_fd_);
    error_fd_ = -1;
    if (n == sizeof(child_errno)) {
        wait(true);
        return Error{"cannot run " + command_ + ": " + std::strerror(child_errno)};
    }
    return Status::success();
}

std::optional<int> HeldChild::wait(bool block) {
    if (pid_ <= 0 || reaped_) return std::nullopt;
    int status = 0;
    pid_t r = waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
        reaped_ = true;
        return status;
    }
    return std::nullopt;
}

void HeldChild::kill_child() {
    if (pid_ <= 0 || reaped_) return;
    ::kill(pid_, SIGKILL);
    wait(true);
}

}  // namespace pmt
