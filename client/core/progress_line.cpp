#include "core/progress_line.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace clara::cli {

std::string format_duration(double seconds) {
    if (!(seconds >= 0)) seconds = 0;
    unsigned long long s = static_cast<unsigned long long>(std::llround(seconds));
    char text[48];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%llu:%02llu", s / 60, s % 60);
    return text;
}

std::string progress_line(const char *unit, uint64_t items, uint64_t bytes, double seconds,
                          const ProgressTotal &total) {
    const double rate = seconds > 0 ? static_cast<double>(items) / seconds : 0;
    const double mb = static_cast<double>(bytes) / 1e6;
    char text[256];
    // done: the fraction finished (0..1); remaining: seconds left at the rate so far.
    double done = 0, remaining = -1;
    std::string head;
    const char *bound = "";
    switch (total.of) {
        case ProgressTotal::Of::none:
            std::snprintf(text, sizeof text, "%llu %s  %.1f MB  %.0f/s", static_cast<unsigned long long>(items), unit,
                          mb, rate);
            return text;
        case ProgressTotal::Of::items_at_most: {
            std::snprintf(text, sizeof text, "%llu of \u2264%llu %s (--top-k)  %.1f MB",
                          static_cast<unsigned long long>(items), static_cast<unsigned long long>(total.value), unit,
                          mb);
            head = text;
            done = total.value > 0 ? static_cast<double>(items) / static_cast<double>(total.value) : 1;
            if (items > 0 && seconds > 0)
                remaining = static_cast<double>(total.value - std::min<uint64_t>(items, total.value)) / rate;
            bound = "\u2264";
            break;
        }
        case ProgressTotal::Of::bytes: {
            std::snprintf(text, sizeof text, "%llu %s  %.1f of %.1f MB", static_cast<unsigned long long>(items), unit,
                          mb, static_cast<double>(total.value) / 1e6);
            head = text;
            done = total.value > 0 ? static_cast<double>(bytes) / static_cast<double>(total.value) : 1;
            if (bytes > 0 && seconds > 0)
                remaining = static_cast<double>(total.value - std::min<uint64_t>(bytes, total.value)) /
                            (static_cast<double>(bytes) / seconds);
            break;
        }
    }
    done = std::min(done, 1.0);
    // Against an upper bound the share done is at least this much, the time left at most.
    const char *at_least = total.of == ProgressTotal::Of::items_at_most ? "\u2265" : "";
    std::string line = head + "  " + at_least + std::to_string(static_cast<int>(std::floor(done * 100))) + "%";
    if (remaining >= 0) line += std::string("  ETA ") + bound + format_duration(remaining);
    std::snprintf(text, sizeof text, "  %.0f/s", rate);
    return line + text;
}

}  // namespace clara::cli
