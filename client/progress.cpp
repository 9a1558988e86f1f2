#include "progress.hpp"

#include <cstdio>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>

namespace clara::cli {

Progress::Progress(bool quiet, const char *unit)
    : active_(!quiet && isatty(STDERR_FILENO)), unit_(unit), start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(uint64_t items, uint64_t bytes) {
    if (!active_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    double seconds = std::chrono::duration<double>(now - start_).count();
    std::string line = progress_line(unit_, items, bytes, seconds, total_);
    // A line wider than the terminal wraps, and \r would then redraw below
    // it: cut it to the width (counting UTF-8 characters, not bytes).
    winsize ws{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1) {
        size_t columns = 0, cut = 0;
        for (; cut < line.size(); cut++) {
            if ((static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) continue;
            if (++columns >= ws.ws_col) break;
        }
        line.resize(cut);
    }
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    drawn_ = true;
}

void Progress::finish() {
    if (drawn_) std::fputs("\r\033[K", stderr);
    drawn_ = false;
}

}  // namespace clara::cli
