#include "target/php_processes.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "target/process.h"
#include "util/utf8_text.h"

namespace pmt {
namespace {

std::string basename_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool maps_mention_libphp(pid_t pid) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    std::string line;
    while (std::getline(maps, line))
        if (line.find("/libphp") != std::string::npos) return true;
    return false;
}

}  // namespace

std::string safe_name(const std::string& text) {
    std::string out;
    for (char c : text) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                          c == '_' || c == '-';
        out += keep ? c : '_';
    }
    if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');  // never a hidden file or ".."
    return out.substr(0, 100);
}

std::optional<std::string> fpm_pool_of(const std::string& title) {
    static const std::string prefix = "php-fpm: pool ";
    if (title.rfind(prefix, 0) != 0) return std::nullopt;
    std::string name = title.substr(prefix.size());
    if (auto space = name.find(' '); space != std::string::npos) name.resize(space);
    if (name.empty()) return std::nullopt;
    return name;
}

std::string service_name(const std::string& title, const std::string& image) {
    if (auto pool = fpm_pool_of(title)) return safe_name(*pool);
    if (title.rfind("php-fpm: master", 0) == 0) return "php-fpm-master";
    // A CLI or CGI process: the binary and the first argument that is not an option.
    std::istringstream words(title);
    std::string word, script;
    words >> word;  // argv[0]
    while (words >> word)
        if (word[0] != '-') {
            script = basename_of(word);
            break;
        }
    const std::string binary = basename_of(image);
    return safe_name(script.empty() ? binary : binary + ":" + script);
}

std::string process_title(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!raw.empty() && (raw.back() == '\0' || raw.back() == ' ')) raw.pop_back();
    std::replace(raw.begin(), raw.end(), '\0', ' ');
    return printable_text(raw);
}

std::optional<std::string> PhpProcessScanner::php_image(pid_t pid) {
    struct stat st;
    if (stat(("/proc/" + std::to_string(pid) + "/exe").c_str(), &st) != 0) return std::nullopt;
    const auto key = std::make_pair(st.st_dev, st.st_ino);
    auto known = exe_images_.find(key);
    if (known != exe_images_.end() && (known->second || !maps_mention_libphp(pid))) return known->second;
    auto image = php_image_of_process(pid);
    std::optional<std::string> found;
    if (image) found = *image;
    // An embedding server (libphp*.so) is looked up through its mappings each time.
    if (!found || found->find("/libphp") == std::string::npos) exe_images_[key] = found;
    return found;
}

std::vector<PhpProcess> PhpProcessScanner::scan() {
    std::vector<PhpProcess> out;
    DIR* dir = opendir("/proc");
    if (!dir) return out;
    const pid_t self = getpid();
    while (dirent* entry = readdir(dir)) {
        char* end = nullptr;
        const long pid = std::strtol(entry->d_name, &end, 10);
        if (*end || pid <= 0 || pid == self) continue;
        auto image = php_image(static_cast<pid_t>(pid));
        if (!image) continue;
        PhpProcess p;
        p.pid = static_cast<pid_t>(pid);
        p.image = *image;
        p.title = process_title(p.pid);
        p.service = service_name(p.title, p.image);
        out.push_back(std::move(p));
    }
    closedir(dir);
    std::sort(out.begin(), out.end(), [](const PhpProcess& a, const PhpProcess& b) { return a.pid < b.pid; });
    return out;
}

Result<PhpProcessScan> scan_php_processes(const std::optional<std::string>& image) {
    // Binaries are told apart by file, not by name: one file has several paths
    // (/proc/PID/root/..., links), and --binary may give any of them.
    using FileId = std::pair<dev_t, ino_t>;
    auto file_id = [](const std::string& path) -> std::optional<FileId> {
        struct stat st;
        if (stat(path.c_str(), &st) != 0) return std::nullopt;
        return FileId{st.st_dev, st.st_ino};
    };
    std::map<FileId, std::pair<std::string, std::vector<pid_t>>> by_binary;
    PhpProcessScanner scanner;
    for (const PhpProcess& p : scanner.scan()) {
        auto id = file_id(p.image);
        if (!id) continue;
        auto& entry = by_binary[*id];
        if (entry.first.empty()) entry.first = p.image;
        entry.second.push_back(p.pid);
    }
    const std::optional<FileId> wanted = image ? file_id(*image) : std::nullopt;
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
    if (!chosen) return Error{"no running PHP process found"};
    scan.pids = *chosen;
    return scan;
}

}  // namespace pmt
