// The progress line's text (client/core/progress_line): total, percentage
// and ETA when the end is known, an upper bound labelled as one.
#include "core/progress_line.hpp"

#include <gtest/gtest.h>

using clara::cli::format_duration;
using clara::cli::progress_line;
using clara::cli::ProgressTotal;

TEST(ClientProgressLine, WithoutATotalAsBefore) {
    EXPECT_EQ(progress_line("documents", 1200, 12300000, 2.0, ProgressTotal{}), "1200 documents  12.3 MB  600/s");
}

TEST(ClientProgressLine, ExportTopKIsAnUpperBoundAndSaysSo) {
    ProgressTotal top_k{ProgressTotal::Of::items_at_most, 5000};
    // 1000 of at most 5000 in 2 s: at least 20 % done, at most 8 s left.
    EXPECT_EQ(progress_line("documents", 1000, 5000000, 2.0, top_k),
              "1000 of \u22645000 documents (--top-k)  5.0 MB  \u226520%  ETA \u22640:08  500/s");
    // Before the first row: no rate, no ETA.
    EXPECT_EQ(progress_line("documents", 0, 0, 0.5, top_k),
              "0 of \u22645000 documents (--top-k)  0.0 MB  \u22650%  0/s");
}

TEST(ClientProgressLine, LoadMeasuresBytesOfTheFile) {
    ProgressTotal file{ProgressTotal::Of::bytes, 120000000};
    // 45 of 120 MB in 3 s: 37 %, 75 MB left at 15 MB/s = 5 s.
    EXPECT_EQ(progress_line("documents", 12000, 45000000, 3.0, file),
              "12000 documents  45.0 of 120.0 MB  37%  ETA 0:05  4000/s");
    // A file that grew while read never shows more than 100 % or a negative ETA.
    EXPECT_EQ(progress_line("documents", 10, 200, 1.0, ProgressTotal{ProgressTotal::Of::bytes, 100}),
              "10 documents  0.0 of 0.0 MB  100%  ETA 0:00  10/s");
}

TEST(ClientProgressLine, Durations) {
    EXPECT_EQ(format_duration(0), "0:00");
    EXPECT_EQ(format_duration(7.4), "0:07");
    EXPECT_EQ(format_duration(754), "12:34");
    EXPECT_EQ(format_duration(3723), "1:02:03");
    EXPECT_EQ(format_duration(-1), "0:00");
}
