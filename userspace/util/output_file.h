// The one way phpmemtrace writes a file. The tracer runs as root, often in
// folders other users can write to, so an output must never follow a link
// planted at its name, a reader must never see half a file, and a failed write
// (a full disk) must leave the previous file as it was:
//   1. a new temp file in the target's folder (O_CREAT|O_EXCL|O_NOFOLLOW, 0600),
//   2. filled, given its final mode and, under sudo, to the invoking user,
//   3. fsync'd, then rename()d over the target (which replaces a link itself,
//      never what it points to). The target path is never opened.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "util/result.h"

namespace pmt {

enum class OutputAccess {
    Private,  // 0600: carries request URIs, query strings or the command line
    Shared,   // 0666 less the umask
};

// Checks up front, before anything is attached or launched, that `path` can
// become an output: its folder exists and is writable, it is not a folder, and
// it is not in /proc or /sys. The error is one line that says why.
Status check_output_path(const std::string& path);

// A temp file beside `path`, renamed over it by commit(); removed if never committed.
class OutputFile {
public:
    static Result<std::unique_ptr<OutputFile>> create(const std::string& path, OutputAccess access);
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    // Buffered writes to the temp file; a failed write sets failbit.
    std::ostream& stream();
    // For writers that open the file by name (SQLite). O_NOFOLLOW when opened.
    const std::string& temp_path() const { return temp_path_; }
    // Flushes, sets mode and owner, fsyncs and renames; "cannot write PATH: <errno text>".
    Status commit();

private:
    OutputFile(std::string path, std::string temp_path, int fd, OutputAccess access);
    class FdBuffer;
    std::string path_;
    std::string temp_path_;
    int fd_ = -1;
    OutputAccess access_;
    std::unique_ptr<FdBuffer> buffer_;
    std::unique_ptr<std::ostream> stream_;
    bool committed_ = false;
};

// create(), write into stream(), commit(): the whole life of a text or binary output.
Status write_output_file(const std::string& path, OutputAccess access,
                         const std::function<void(std::ostream&)>& write);

}  // namespace pmt
