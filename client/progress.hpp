// A progress line on stderr (documents, MB, docs/s; with a known total also
// percentage and ETA), only when stderr is a terminal: logs and pipes get
// the one-line summary alone. The text: core/progress_line.hpp.
#pragma once

#include "core/progress_line.hpp"

#include <chrono>
#include <cstdint>

namespace clara::cli {

class Progress {
public:
    explicit Progress(bool quiet, const char *unit = "documents");
    ~Progress() { finish(); }  // an error message must not land on the progress line
    Progress(const Progress &) = delete;
    Progress &operator=(const Progress &) = delete;
    // What the end is measured against (none until set).
    void set_total(ProgressTotal total) { total_ = total; }
    // Redraws at most four times a second.
    void update(uint64_t items, uint64_t bytes);
    // Clears the line.
    void finish();

private:
    bool active_;
    const char *unit_;
    ProgressTotal total_;
    std::chrono::steady_clock::time_point start_, last_;
    bool drawn_ = false;
};

}  // namespace clara::cli
