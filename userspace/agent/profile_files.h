// The agent's profile files: `<service>-<UTC time>.pb.gz` in one folder,
// written atomically without following links (util/output_file.h), and rotated:
// per service at most max_files, in the folder at most max_bytes of them
// (the oldest go first; only regular files of that name pattern are touched).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "model/profile.h"
#include "util/result.h"

namespace pmt {

struct ProfileFilesOptions {
    std::string dir;
    size_t max_files = 60;             // per service
    uint64_t max_bytes = 256ull << 20;  // every service's files together
};

class ProfileFiles {
public:
    explicit ProfileFiles(ProfileFilesOptions options) : options_(std::move(options)) {}
    // The folder exists and is writable (before anything is attached).
    Status check() const;
    // Writes the service's profile for the interval ending at `end`, then rotates.
    // `end_ms`: milliseconds since the epoch (intervals may be shorter than a second).
    // `comments` go into the pprof (the interval, the overhead estimate, drops).
    Result<std::string> write(const std::string& service, const Profile& profile, int64_t end_ms,
                              const std::vector<std::string>& comments = {});
    // The same with the profile already encoded (gzipped pprof), when it is also pushed.
    Result<std::string> write_encoded(const std::string& service, const std::string& pprof_gz, int64_t end_ms);

private:
    void rotate(const std::string& service) const;
    ProfileFilesOptions options_;
};

// "20260102T030405.678Z"
std::string utc_stamp(int64_t unix_ms);

}  // namespace pmt
