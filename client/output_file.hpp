// Where an export or a generated corpus goes. A regular file is written as
// FILE.partial and only renamed to FILE after fsync, so a failed or killed
// run never leaves a complete-looking FILE. "-" is stdout; an existing
// special file (/dev/null, a FIFO) is written in place.
#pragma once

#include <cstddef>
#include <string>

namespace clara::cli {

// The name FILE is written under before its rename: FILE.partial, or, when
// that would pass the file system's 255-byte name limit, FILE's name cut to
// 230 bytes (at a UTF-8 boundary), "-", 16 hex digits of a hash of the
// whole name, ".partial" (the Python package uses the same rule, so both
// refuse to write into one another's unfinished file).
std::string partial_path(const std::string &path);

class OutputFile {
public:
    // Creates missing parent directories. Throws Failure(io).
    explicit OutputFile(const std::string &path);
    // Removes FILE.partial unless commit() succeeded.
    ~OutputFile();
    OutputFile(const OutputFile &) = delete;
    OutputFile &operator=(const OutputFile &) = delete;

    // Writes everything or throws Failure(io).
    void write(const char *data, size_t size);
    // fsync, close, rename FILE.partial -> FILE, fsync the directory.
    void commit();
    // Removes FILE.partial now (also done by the destructor).
    void discard();

    // What the summary calls it: the path, or "stdout".
    const std::string &name() const { return name_; }

private:
    std::string path_, partial_, name_;
    int fd_ = -1;
    bool renames_ = false;  // false for stdout and special files
    bool committed_ = false;
};

}  // namespace clara::cli
