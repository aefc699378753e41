#include "attach/link_teardown.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace pmt {
namespace {

// The fds whose last close unregisters uprobes: BPF links (multi-uprobe and
// perf-event links) and the perf events of perf-event uprobes.
bool is_probe_fd(int fd) {
    char path[64], target[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0) return false;
    target[n] = '\0';
    return strcmp(target, "anon_inode:bpf_link") == 0 || strcmp(target, "anon_inode:bpf-link") == 0 ||
           strcmp(target, "anon_inode:[perf_event]") == 0;
}

std::vector<int> open_fds() {
    std::vector<int> fds;
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) return fds;
    const int own = dirfd(dir);
    while (dirent* e = readdir(dir)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        const int fd = atoi(e->d_name);
        if (fd != own) fds.push_back(fd);
    }
    closedir(dir);
    return fds;
}

// Closes the probe fds in parallel: concurrent closes share grace periods.
void close_in_parallel(const std::vector<int>& fds) {
    constexpr size_t kThreads = 16;
    std::vector<std::thread> threads;
    for (size_t t = 0; t < kThreads && t < fds.size(); ++t)
        threads.emplace_back([&fds, t] {
            for (size_t i = t; i < fds.size(); i += kThreads) close(fds[i]);
        });
    for (auto& th : threads) th.join();
}

[[noreturn]] void run_closer(int parent_fd) {
    // Its own session: the terminal's Ctrl-C or hang-up is for the user's command.
    setsid();
    prctl(PR_SET_NAME, "pmt-detach", 0, 0, 0);  // what ps shows for its few milliseconds
    if (chdir("/") != 0) {
        // stays where it was: it holds no file of its own there
    }
    const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd <= 2; ++fd)
        if (null_fd >= 0) dup2(null_fd, fd);
    std::vector<int> probes;
    for (int fd : open_fds()) {
        if (fd == parent_fd || fd <= 2) continue;
        if (is_probe_fd(fd))
            probes.push_back(fd);
        else
            close(fd);  // files, pipes, programs and maps: nothing to hold
    }
    // A pidfd is readable once the process has exited, all of its threads and
    // its file closes included.
    pollfd p{parent_fd, POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    close_in_parallel(probes);
    _exit(0);
}

}  // namespace

bool close_links_after_exit() {
    const int parent_fd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
    if (parent_fd < 0) return false;
    const pid_t child = fork();
    if (child == 0) run_closer(parent_fd);
    close(parent_fd);
    return child > 0;
}

}  // namespace pmt
