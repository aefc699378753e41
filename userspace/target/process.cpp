#include "target/process.h"

#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "target/elf_file.h"

namespace pmt {
namespace {

std::string proc_path(pid_t pid, const std::string& what) { return "/proc/" + std::to_string(pid) + "/" + what; }

struct MapsLine {
    uint64_t start = 0, end = 0, offset = 0;
    std::string perms, path;
};

std::optional<MapsLine> parse_maps_line(const std::string& line) {
    MapsLine m;
    char perms[8] = {};
    unsigned long long start, end, offset;
    int path_pos = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &offset, &path_pos) < 4)
        return std::nullopt;
    m.start = start;
    m.end = end;
    m.offset = offset;
    m.perms = perms;
    if (path_pos > 0 && static_cast<size_t>(path_pos) < line.size()) m.path = line.substr(path_pos);
    return m;
}

bool is_libphp(const std::string& path) {
    auto slash = path.rfind('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    return base.rfind("libphp", 0) == 0 && base.find(".so") != std::string::npos;
}

// The binary's own path when it names the same file as /proc/PID/exe here (same
// mount namespace): probes attached by that path survive the process exiting and
// cover the processes it forks. Otherwise the /proc link (containers).
std::string stable_path_of(const std::string& proc_exe) {
    char target[PATH_MAX] = {};
    ssize_t n = readlink(proc_exe.c_str(), target, sizeof(target) - 1);
    struct stat via_proc, direct;
    if (n <= 0 || stat(proc_exe.c_str(), &via_proc) != 0 || stat(target, &direct) != 0) return proc_exe;
    if (via_proc.st_dev != direct.st_dev || via_proc.st_ino != direct.st_ino) return proc_exe;
    return target;
}

}  // namespace

bool process_exists(pid_t pid) {
    struct stat st;
    return pid > 0 && stat(proc_path(pid, "").c_str(), &st) == 0;
}

Result<std::string> php_image_of_process(pid_t pid) {
    if (!process_exists(pid)) return Error{"no process with PID " + std::to_string(pid)};
    std::string exe = proc_path(pid, "exe");
    if (access(exe.c_str(), R_OK) != 0) {
        if (errno == EACCES || errno == EPERM)
            return Error{"not enough privilege to read " + exe + " (run as root)"};
        return Error{"cannot read " + exe + ": " + std::strerror(errno)};
    }
    auto elf = ElfFile::open(exe);
    if (elf && elf->symbol("executor_globals")) return stable_path_of(exe);
    // Embedded PHP (Apache mod_php, ...): look for libphp*.so in its mappings.
    std::ifstream maps(proc_path(pid, "maps"));
    std::string line;
    while (std::getline(maps, line)) {
        auto m = parse_maps_line(line);
        if (m && is_libphp(m->path)) return proc_path(pid, "root") + m->path;
    }
    char target[4096] = {};
    ssize_t n = readlink(exe.c_str(), target, sizeof(target) - 1);
    std::string shown = n > 0 ? std::string(target, n) : exe;
    return Error{"process " + std::to_string(pid) + " (" + shown + ") is not a PHP process"};
}

std::optional<std::string> process_env(pid_t pid, const std::string& name) {
    std::ifstream in(proc_path(pid, "environ"), std::ios::binary);
    std::string entry;
    const std::string prefix = name + "=";
    while (std::getline(in, entry, '\0'))
        if (entry.rfind(prefix, 0) == 0) return entry.substr(prefix.size());
    return std::nullopt;
}

std::optional<uint64_t> load_bias_in_process(pid_t pid, const std::string& image_path) {
    struct stat image;
    if (stat(image_path.c_str(), &image) != 0) return std::nullopt;
    std::ifstream maps(proc_path(pid, "maps"));
    std::string line;
    while (std::getline(maps, line)) {
        auto m = parse_maps_line(line);
        if (!m || m->offset != 0 || m->path.empty() || m->path[0] != '/') continue;
        struct stat mapped;
        // Compare inodes, so /proc/PID/exe and the real path both match.
        if (stat((proc_path(pid, "root") + m->path).c_str(), &mapped) != 0) continue;
        if (mapped.st_ino == image.st_ino && mapped.st_dev == image.st_dev) return m->start;  // ET_DYN: first vaddr 0
    }
    return std::nullopt;
}

bool read_process_memory(pid_t pid, uint64_t address, void* out, size_t size) {
    iovec local{out, size};
    iovec remote{reinterpret_cast<void*>(address), size};
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

}  // namespace pmt
