#include "agent/profile_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "report/pprof_writer.h"
#include "util/output_file.h"

namespace pmt {
namespace {

constexpr const char* kSuffix = ".pb.gz";

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

constexpr size_t kStampLength = 20;  // YYYYmmddTHHMMSS.mmmZ

// A name of ours: "<service>-YYYYmmddTHHMMSS.mmmZ.pb.gz"; the service's when given.
bool is_profile_name(const std::string& name, const std::string& service) {
    if (!ends_with(name, kSuffix)) return false;
    if (!service.empty())
        return name.rfind(service + "-", 0) == 0 && name.size() == service.size() + 1 + kStampLength + 6;
    return name.size() > 1 + kStampLength + 6 && name[name.size() - 6 - 1] == 'Z' &&
           name[name.size() - 6 - kStampLength - 1] == '-';
}

struct Entry {
    std::string name;
    uint64_t bytes;
    std::string stamp;  // sorts by time across services
};

std::vector<Entry> list(const std::string& dir, const std::string& service) {
    std::vector<Entry> out;
    DIR* d = opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (!is_profile_name(name, service)) continue;
        struct stat st;
        // Never a link or anything but a file we could have written.
        if (fstatat(dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
        out.push_back({name, uint64_t(st.st_size), name.substr(name.size() - 6 - kStampLength, kStampLength)});
    }
    closedir(d);
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.stamp < b.stamp; });
    return out;
}

}  // namespace

std::string utc_stamp(int64_t unix_ms) {
    const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    char buf[32], out[40];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%S", &tm);
    std::snprintf(out, sizeof(out), "%s.%03dZ", buf, int(unix_ms % 1000));
    return out;
}

Status ProfileFiles::check() const {
    struct stat st;
    if (stat(options_.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return Error{"--out " + options_.dir + ": not a folder"};
    return check_output_path(options_.dir + "/profile" + kSuffix);
}

Result<std::string> ProfileFiles::write(const std::string& service, const Profile& profile, int64_t end_ms,
                                        const std::vector<std::string>& comments) {
    auto encoded = gzip_compress(encode_pprof(profile, comments));
    if (!encoded) return encoded.error();
    return write_encoded(service, *encoded, end_ms);
}

Result<std::string> ProfileFiles::write_encoded(const std::string& service, const std::string& pprof_gz,
                                                int64_t end_ms) {
    const std::string path = options_.dir + "/" + service + "-" + utc_stamp(end_ms) + kSuffix;
    auto s = write_output_file(path, OutputAccess::Private, [&](std::ostream& out) { out << pprof_gz; });
    if (!s) return s.error();
    rotate(service);
    return path;
}

void ProfileFiles::rotate(const std::string& service) const {
    auto mine = list(options_.dir, service);
    for (size_t i = 0; i + options_.max_files < mine.size(); ++i) unlinkat(AT_FDCWD, (options_.dir + "/" + mine[i].name).c_str(), 0);
    auto all = list(options_.dir, "");
    uint64_t total = 0;
    for (const auto& e : all) total += e.bytes;
    // Keep the newest file even past the bound: a profile larger than it is still news.
    for (size_t i = 0; total > options_.max_bytes && i + 1 < all.size(); ++i) {
        unlinkat(AT_FDCWD, (options_.dir + "/" + all[i].name).c_str(), 0);
        total -= all[i].bytes;
    }
}

}  // namespace pmt
