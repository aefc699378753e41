#include "util/output_file.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

namespace pmt {
namespace {

std::string folder_of(const std::string& path) {
    std::string folder = std::filesystem::path(path).parent_path().string();
    return folder.empty() ? "." : folder;
}

std::string errno_text(int error) { return std::strerror(error); }

// The kernel's own interfaces: writing there changes the system, not a file.
bool is_kernel_interface(const std::string& folder) {
    static constexpr unsigned long kMagics[] = {PROC_SUPER_MAGIC,    SYSFS_MAGIC,   CGROUP_SUPER_MAGIC,
                                                CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,
                                                SECURITYFS_MAGIC,    BPF_FS_MAGIC};
    struct statfs fs {};
    if (statfs(folder.c_str(), &fs) == 0)
        for (unsigned long magic : kMagics)
            if (static_cast<unsigned long>(fs.f_type) == magic) return true;
    std::error_code ec;
    const std::string real = std::filesystem::weakly_canonical(folder, ec).string();
    for (const std::string top : {"/proc", "/sys"})
        if (real == top || real.starts_with(top + "/")) return true;
    return false;
}

// Run through sudo as root, outputs belong to the user who typed the command.
struct Owner {
    uid_t uid;
    gid_t gid;
};

std::optional<unsigned long> env_number(const char* name) {
    const char* text = getenv(name);
    if (!text || !*text) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    unsigned long value = std::strtoul(text, &end, 10);
    if (errno || *end || text[0] == '-') return std::nullopt;
    return value;
}

std::optional<Owner> sudo_invoker() {
    if (geteuid() != 0) return std::nullopt;
    auto uid = env_number("SUDO_UID");
    if (!uid) return std::nullopt;
    auto gid = env_number("SUDO_GID");
    return Owner{static_cast<uid_t>(*uid), gid ? static_cast<gid_t>(*gid) : static_cast<gid_t>(-1)};
}

mode_t final_mode(OutputAccess access) {
    if (access == OutputAccess::Private) return 0600;
    const mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

}  // namespace

// ---- checking up front --------------------------------------------------------

Status check_output_path(const std::string& path) {
    if (path.empty()) return Error{"empty output path"};
    struct stat st {};
    if (path.ends_with("/") || (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)))
        return Error{"output " + path + " is a folder, not a file name"};
    const std::string folder = folder_of(path);
    if (stat(folder.c_str(), &st) != 0)
        return Error{"cannot write " + path + ": folder " + folder + ": " + errno_text(errno)};
    if (!S_ISDIR(st.st_mode)) return Error{"cannot write " + path + ": " + folder + " is not a folder"};
    if (is_kernel_interface(folder))
        return Error{"refusing to write " + path + ": " + folder + " is a kernel interface, not a folder for files"};
    if (access(folder.c_str(), W_OK | X_OK) != 0)
        return Error{"cannot write " + path + ": folder " + folder + ": " + errno_text(errno)};
    return Status::success();
}

// ---- the temp file ------------------------------------------------------------

// A streambuf over a file descriptor that keeps the errno of a failed write.
class OutputFile::FdBuffer : public std::streambuf {
public:
    explicit FdBuffer(int fd) : fd_(fd), buffer_(1 << 16) { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
    int error() const { return error_; }
    int sync() override { return drain() ? 0 : -1; }

protected:
    int_type overflow(int_type c) override {
        if (!drain()) return traits_type::eof();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }

private:
    bool drain() {
        const char* p = pbase();
        while (!error_ && p < pptr()) {
            ssize_t n = write(fd_, p, static_cast<size_t>(pptr() - p));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) error_ = n < 0 ? errno : EIO;
            else p += n;
        }
        setp(buffer_.data(), buffer_.data() + buffer_.size());
        return !error_;
    }
    int fd_;
    std::vector<char> buffer_;
    int error_ = 0;
};

OutputFile::OutputFile(std::string path, std::string temp_path, int fd, OutputAccess access)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd), access_(access),
      buffer_(std::make_unique<FdBuffer>(fd)), stream_(std::make_unique<std::ostream>(buffer_.get())) {}

Result<std::unique_ptr<OutputFile>> OutputFile::create(const std::string& path, OutputAccess access) {
    // In the target's folder, so that rename() is atomic; mkostemp opens it
    // O_CREAT|O_EXCL (mode 0600), which never follows a link.
    std::string temp = folder_of(path) + "/." + std::filesystem::path(path).filename().string() + ".tmp-XXXXXX";
    int fd = mkostemp(temp.data(), O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return Error{"cannot write " + path + ": " + errno_text(errno)};
    return std::unique_ptr<OutputFile>(new OutputFile(path, temp, fd, access));
}

OutputFile::~OutputFile() {
    stream_.reset();
    if (fd_ >= 0) close(fd_);
    if (!committed_) unlink(temp_path_.c_str());
}

std::ostream& OutputFile::stream() { return *stream_; }

Status OutputFile::commit() {
    auto failed = [&](int error) { return Error{"cannot write " + path_ + ": " + errno_text(error)}; };
    stream_->flush();
    if (buffer_->error()) return failed(buffer_->error());
    if (!*stream_) return Error{"cannot write " + path_ + ": the format's writer failed"};
    if (fchmod(fd_, final_mode(access_)) != 0) return failed(errno);
    if (auto owner = sudo_invoker())
        if (fchown(fd_, owner->uid, owner->gid) != 0) return failed(errno);
    // Data on disk before the name points at it: a crash leaves the old file or the new one.
    if (fsync(fd_) != 0) return failed(errno);
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) return failed(errno);
    if (rename(temp_path_.c_str(), path_.c_str()) != 0) return failed(errno);
    committed_ = true;
    if (int dir = open(folder_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
        fsync(dir);  // the rename itself; a failure here loses nothing already written
        close(dir);
    }
    return Status::success();
}

Status write_output_file(const std::string& path, OutputAccess access,
                         const std::function<void(std::ostream&)>& write) {
    auto file = OutputFile::create(path, access);
    if (!file) return file.error();
    write((*file)->stream());
    return (*file)->commit();
}

}  // namespace pmt
