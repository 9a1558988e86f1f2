// The text of clara-stream's progress line (client/progress.cpp draws it on
// a terminal). Pure C++: unit-tested without a terminal or a server.
#pragma once

#include <cstdint>
#include <string>

namespace clara::cli {

// What the run's end is measured against, when it is known.
struct ProgressTotal {
    enum class Of {
        none,           // unknown (stdin from a pipe, an export cut into chunks)
        items_at_most,  // an upper bound on the items: an export's --top-k (it may match fewer)
        bytes,          // the input's size in bytes: load from a file
    };
    Of of = Of::none;
    uint64_t value = 0;
};

// "1200 of ≤5000 documents (--top-k)  12.3 MB  ≥24%  ETA ≤0:12  3000/s" (an
// upper bound is labelled as one: percentage and ETA are bounds too),
// "12000 documents  45.2 of 120.0 MB  37%  ETA 0:05  20000/s", or without a
// total "1200 documents  12.3 MB  3000/s". No ETA before the first item.
std::string progress_line(const char *unit, uint64_t items, uint64_t bytes, double seconds, const ProgressTotal &total);

// 0:07, 12:34, 1:02:03.
std::string format_duration(double seconds);

}  // namespace clara::cli
