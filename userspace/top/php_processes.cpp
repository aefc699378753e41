#include "top/php_processes.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>

#include "target/process.h"
#include "util/utf8_text.h"

namespace pmt {
namespace {

std::vector<pid_t> numeric_proc_entries() {
    std::vector<pid_t> pids;
    DIR* dir = opendir("/proc");
    if (!dir) return pids;
    while (dirent* e = readdir(dir)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (end && *end == '\0' && pid > 0) pids.push_back(static_cast<pid_t>(pid));
    }
    closedir(dir);
    return pids;
}

// Cheap first filter (a readlink), before reading the ELF of a candidate.
bool executable_named_php(pid_t pid) {
    char target[4096] = {};
    const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
    ssize_t n = readlink(exe.c_str(), target, sizeof(target) - 1);
    if (n <= 0) return false;
    std::string path(target, n);
    std::string base = path.substr(path.rfind('/') + 1);
    return base.find("php") != std::string::npos;
}

using FileId = std::pair<dev_t, ino_t>;

std::optional<FileId> file_id(const std::string& path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return std::nullopt;
    return FileId{st.st_dev, st.st_ino};
}

}  // namespace

std::vector<pid_t> php_named_processes() {
    std::vector<pid_t> out;
    for (pid_t pid : numeric_proc_entries())
        if (pid != getpid() && executable_named_php(pid)) out.push_back(pid);
    return out;
}

std::string process_title(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!raw.empty() && (raw.back() == '\0' || raw.back() == ' ')) raw.pop_back();
    for (char& c : raw)
        if (c == '\0') c = ' ';
    return printable_text(raw);
}

std::optional<std::string> fpm_pool_of(const std::string& title) {
    const std::string prefix = "php-fpm: pool ";
    if (title.rfind(prefix, 0) != 0 || title.size() == prefix.size()) return std::nullopt;
    return title.substr(prefix.size());
}

Result<PhpProcessScan> scan_php_processes(const std::optional<std::string>& image) {
    const std::optional<FileId> wanted = image ? file_id(*image) : std::nullopt;
    std::map<FileId, std::pair<std::string, std::vector<pid_t>>> by_binary;
    for (pid_t pid : php_named_processes()) {
        auto found = php_image_of_process(pid);
        if (!found) continue;
        auto id = file_id(*found);
        if (!id) continue;
        auto& entry = by_binary[*id];
        if (entry.first.empty()) entry.first = *found;
        entry.second.push_back(pid);
    }
    PhpProcessScan scan;
    const std::vector<pid_t>* chosen = nullptr;
    for (auto& [id, entry] : by_binary) {
        const bool pick = wanted ? id == *wanted : (!chosen || entry.second.size() > chosen->size());
        if (pick) {
            chosen = &entry.second;
            scan.image = entry.first;
        }
    }
    for (auto& [id, entry] : by_binary)
        if (&entry.second != chosen)
            scan.other_binaries.insert(scan.other_binaries.end(), entry.second.begin(), entry.second.end());
    if (!chosen && image) return Error{"no running process of " + *image};
    if (!chosen) return Error{"no running PHP process found (looked for executables named *php* with PHP's symbols)"};
    scan.pids = *chosen;
    return scan;
}

}  // namespace pmt
