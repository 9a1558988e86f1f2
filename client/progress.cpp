#include "progress.hpp"

#include <cstdio>
#include <unistd.h>

namespace clara::cli {

Progress::Progress(bool quiet, const char *unit)
    : active_(!quiet && isatty(STDERR_FILENO)), unit_(unit), start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::update(uint64_t items, uint64_t bytes) {
    if (!active_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    double seconds = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r\033[K%llu %s  %.1f MB  %.0f/s", static_cast<unsigned long long>(items), unit_,
                 static_cast<double>(bytes) / 1e6, static_cast<double>(items) / seconds);
    drawn_ = true;
}

void Progress::finish() {
    if (drawn_) std::fputs("\r\033[K", stderr);
    drawn_ = false;
}

}  // namespace clara::cli
