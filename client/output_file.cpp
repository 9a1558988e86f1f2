#include "output_file.hpp"

#include "exit_code.hpp"
#include "interrupt.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace clara::cli {

namespace {

[[noreturn]] void io_failure(const std::string &what, int err) {
    throw Failure(ExitCode::io, what + ": " + std::strerror(err));
}

constexpr size_t kNameMax = 255;
constexpr size_t kCutName = 230;

}  // namespace

std::string partial_path(const std::string &path) {
    size_t slash = path.rfind('/');
    size_t start = slash == std::string::npos ? 0 : slash + 1;
    std::string_view name(path.data() + start, path.size() - start);
    if (name.size() + 8 <= kNameMax) return path + ".partial";
    uint64_t hash = 14695981039346656037ull;  // FNV-1a, 64 bit
    for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
    size_t cut = kCutName;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    char tail[32];
    std::snprintf(tail, sizeof tail, "-%016llx.partial", static_cast<unsigned long long>(hash));
    return path.substr(0, start) + std::string(name.substr(0, cut)) + tail;
}

OutputFile::OutputFile(const std::string &path) : path_(path) {
    if (path == "-") {
        fd_ = STDOUT_FILENO;
        name_ = "stdout";
        return;
    }
    name_ = path;
    struct stat st;
    const bool exists = stat(path.c_str(), &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) throw Failure(ExitCode::io, path + " is a directory");
        fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd_ < 0) io_failure("cannot open " + path, errno);
        return;
    }
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) throw Failure(ExitCode::io, "cannot create directory " + parent.string() + ": " + ec.message());
    }
    partial_ = partial_path(path);
    // O_EXCL | O_NOFOLLOW: never into another export's FILE.partial (two
    // exports to one path would interleave into one complete-looking file)
    // and never through a symlink someone planted there.
    fd_ = open(partial_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno == EEXIST)
        throw Failure(ExitCode::io, partial_ + " already exists: another export to " + path +
                                        " is running, or one was killed before it finished (then remove it)");
    if (fd_ < 0) io_failure("cannot create " + partial_, errno);
    // A FILE being replaced keeps its permissions (the rename still gives it
    // a new inode: hard links to the old one keep the old content).
    if (exists && fchmod(fd_, st.st_mode & 07777) != 0) {
        int err = errno;
        close(fd_);
        fd_ = -1;
        unlink(partial_.c_str());
        io_failure("cannot set the permissions of " + partial_, err);
    }
    renames_ = true;
    set_partial_file(partial_);
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() {
    if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
    fd_ = -1;
    if (renames_ && !committed_) {
        unlink(partial_.c_str());
        set_partial_file("");
        renames_ = false;
    }
}

void OutputFile::write(const char *data, size_t size) {
    while (size > 0) {
        // A signal interrupts a write blocked on a full pipe: with nothing
        // written yet it fails with EINTR, else it returns short. Either
        // way Ctrl-C is seen here, not after the reader drains the pipe.
        throw_if_interrupted("cancelled");
        ssize_t n = ::write(fd_, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            // SIGPIPE is ignored (interrupt.hpp): a reader that went away
            // (`| head -1`) is EPIPE, and main() exits quietly with 141.
            if (errno == EPIPE) throw Failure(ExitCode::broken_pipe, name_ + " closed by its reader");
            io_failure("cannot write to " + name_, errno);
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

void OutputFile::commit() {
    if (!renames_) {
        // stdout or a special file: nothing to rename; a pipe cannot fsync.
        if (fd_ != STDOUT_FILENO && fd_ >= 0) close(fd_);
        fd_ = -1;
        committed_ = true;
        return;
    }
    if (fsync(fd_) != 0) io_failure("cannot fsync " + partial_, errno);
    int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) io_failure("cannot close " + partial_, errno);
    throw_if_interrupted("cancelled, no file written");
    if (rename(partial_.c_str(), path_.c_str()) != 0) io_failure("cannot rename " + partial_ + " to " + path_, errno);
    committed_ = true;
    set_partial_file("");
    // The rename is durable only once the directory is synced.
    std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    int dir = open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        fsync(dir);
        close(dir);
    }
}

}  // namespace clara::cli
