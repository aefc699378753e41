#include "agent/php_processes.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "target/process.h"

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

std::string service_name(const std::string& title, const std::string& image) {
    static const std::string pool = "php-fpm: pool ";
    if (title.rfind(pool, 0) == 0) {
        std::string name = title.substr(pool.size());
        if (auto space = name.find(' '); space != std::string::npos) name.resize(space);
        return safe_name(name);
    }
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
    return raw;
}

bool ProcessFilter::accepts(const PhpProcess& p) const {
    // --pid: those processes; their children come through the fork events.
    if (!pids.empty() && std::find(pids.begin(), pids.end(), p.pid) == pids.end()) return false;
    if (!binary.empty() && p.image != binary) return false;
    if (!pools.empty() && std::find(pools.begin(), pools.end(), p.service) == pools.end()) return false;
    if (exclude && (std::regex_search(p.title, *exclude) || std::regex_search(p.service, *exclude))) return false;
    return true;
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

}  // namespace pmt
