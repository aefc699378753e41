#include "target/process_tree.h"

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace pmt {
namespace {

// Parent of a process from /proc/PID/stat (the field after the parenthesised name,
// which may itself contain spaces and parentheses).
pid_t parent_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) return -1;
    char state = 0;
    int ppid = -1;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return -1;
    return ppid;
}

}  // namespace

std::vector<pid_t> descendant_processes(pid_t pid) {
    std::multimap<pid_t, pid_t> children;
    if (DIR* dir = opendir("/proc")) {
        while (dirent* entry = readdir(dir)) {
            char* end = nullptr;
            long value = std::strtol(entry->d_name, &end, 10);
            if (!end || *end || value <= 0) continue;
            pid_t child = static_cast<pid_t>(value);
            pid_t parent = parent_of(child);
            if (parent > 0) children.emplace(parent, child);
        }
        closedir(dir);
    }
    std::vector<pid_t> out;
    std::vector<pid_t> queue = {pid};
    for (size_t i = 0; i < queue.size(); ++i) {
        auto [first, last] = children.equal_range(queue[i]);
        for (auto it = first; it != last; ++it) {
            out.push_back(it->second);
            queue.push_back(it->second);
        }
    }
    return out;
}

}  // namespace pmt
