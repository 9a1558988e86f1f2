// A progress line on stderr (documents, MB, docs/s), only when stderr is a
// terminal: logs and pipes get the one-line summary alone.
#pragma once

#include <chrono>
#include <cstdint>

namespace clara::cli {

class Progress {
public:
    explicit Progress(bool quiet, const char *unit = "documents");
    ~Progress() { finish(); }  // an error message must not land on the progress line
    Progress(const Progress &) = delete;
    Progress &operator=(const Progress &) = delete;
    // Redraws at most four times a second.
    void update(uint64_t items, uint64_t bytes);
    // Clears the line.
    void finish();

private:
    bool active_;
    const char *unit_;
    std::chrono::steady_clock::time_point start_, last_;
    bool drawn_ = false;
};

}  // namespace clara::cli
