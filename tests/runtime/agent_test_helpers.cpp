#include "agent_test_helpers.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <sstream>
#include <thread>

#include "../unit/pprof_raw.h"

namespace pmt::testing {

std::vector<std::string> files_with_prefix(const std::string& dir, const std::string& prefix) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            const std::string name = e->d_name;
            if (name.rfind(prefix, 0) == 0 && name.size() > 6 && name.substr(name.size() - 6) == ".pb.gz")
                out.push_back(dir + "/" + name);
        }
        closedir(d);
    }
    return out;
}

std::optional<double> scraped(int metrics_port, const std::string& name, const std::string& labels) {
    return metric(http_get(metrics_port, "/metrics"), name, labels);
}

bool eventually(double seconds, const std::function<bool()>& probe) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
        if (probe()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return probe();
}

std::optional<double> metric(const std::string& scrape, const std::string& name, const std::string& labels) {
    const std::string head = labels.empty() ? name + " " : name + "{" + labels + "} ";
    std::istringstream in(scrape);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(head, 0) == 0) return std::stod(line.substr(head.size()));
    return std::nullopt;
}

PoolTotals read_pool(const std::vector<std::string>& files, const std::string& function, std::string& log) {
    PoolTotals t;
    for (const auto& f : files) {
        CommandResult r = run_command({"go", "tool", "pprof", "-raw", f});
        EXPECT_EQ(r.exit_code, 0) << f << ": " << r.err;
        PprofRaw raw = parse_pprof_raw(r.out);
        EXPECT_TRUE(raw.ok) << f << ": " << r.out;
        if (!raw.ok) continue;
        t.sample_types = raw.sample_types;
        t.alloc_objects += raw.total_through("alloc_objects/count", " " + function + " ");
        t.alloc_space += raw.total_through("alloc_space/bytes", " " + function + " ");
        t.max_inuse_space = std::max(t.max_inuse_space, raw.total_through("inuse_space/bytes", " " + function + " "));
        t.max_inuse_objects =
            std::max(t.max_inuse_objects, raw.total_through("inuse_objects/count", " " + function + " "));
        log += f + ":\n" + r.out.substr(0, 4000) + "\n";
    }
    return t;
}

std::string url_encoded(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace pmt::testing
