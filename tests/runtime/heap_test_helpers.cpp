#include "heap_test_helpers.h"

#include "spawn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>


namespace pmt::testing {

Recorded record_php(const TempDir& dir, const std::vector<std::string>& php_args,
                    const std::vector<std::string>& extra) {
    Recorded r;
    const std::string json_path = dir.file("report.json");
    // `-o FILE` last: CLI11 (2.1, prefix command) rejects `--` right after a
    // single-value option such as `--limit-margin 3M --`.
    std::vector<std::string> argv = {phpmemtrace_binary(), "record", "-q"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"-o", json_path, "--", "php8.2", "-n"});
    argv.insert(argv.end(), php_args.begin(), php_args.end());
    r.command = run_command(argv);
    // The tracer exits as the script did (255 after a fatal error); the report is there all the same.
    if (std::filesystem::exists(json_path)) r.report = read_json(json_path);
    return r;
}

OwnedProcess OwnedProcess::spawn(const std::vector<std::string>& argv, const std::string& log_path) {
    OwnedProcess p;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    p.pid_ = spawn_process(argv, {}, &actions);
    posix_spawn_file_actions_destroy(&actions);
    return p;
}

OwnedProcess::OwnedProcess(OwnedProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }

OwnedProcess& OwnedProcess::operator=(OwnedProcess&& other) noexcept {
    if (this != &other) {
        if (pid_ > 0) stop(SIGKILL);
        pid_ = other.pid_;
        other.pid_ = -1;
    }
    return *this;
}

OwnedProcess::~OwnedProcess() {
    if (pid_ > 0) stop(SIGTERM);
}

bool OwnedProcess::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return r == 0;
}

int OwnedProcess::stop(int sig) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    int status = 0;
    // Up to 20 s for a clean exit, then SIGKILL: the test never leaves a process behind.
    for (int i = 0; i < 200; ++i) {
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return 128 + SIGKILL;
}

bool wait_for_file(const std::string& path, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    struct stat st;
    while (std::chrono::steady_clock::now() < deadline) {
        if (stat(path.c_str(), &st) == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

int free_loopback_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

namespace {
int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}
}  // namespace

bool wait_for_port(int port, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        int fd = connect_loopback(port);
        if (fd >= 0) {
            close(fd);
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::string http_get(int port, const std::string& path) {
    int fd = connect_loopback(port);
    if (fd < 0) return "";
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
        close(fd);
        return "";
    }
    std::string response;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, n);
    close(fd);
    auto body = response.find("\r\n\r\n");
    return body == std::string::npos ? "" : response.substr(body + 4);
}

}  // namespace pmt::testing
