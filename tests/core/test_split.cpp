#include "split.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

TEST(Split, ParsesAndRefuses) {
    clara::SplitSpec s;
    EXPECT_EQ(clara::parse_split_spec("validation=0.02,test=0.01", &s), "");
    ASSERT_EQ(s.parts.size(), 2u);
    EXPECT_EQ(s.parts[1].first, "test");
    EXPECT_DOUBLE_EQ(s.parts[1].second, 0.01);
    for (const char *bad : {"", "validation", "=0.1", "Val=0.1", "train=0.1", "a=0", "a=1", "a=x", "a=0.6,b=0.5",
                            "a=0.1,a=0.1", "a=0.1,", "a=NaN"})
        EXPECT_NE(clara::parse_split_spec(bad, &s), "") << bad;
}

TEST(Split, StableAndProportional) {
    clara::SplitSpec s;
    ASSERT_EQ(clara::parse_split_spec("validation=0.1,test=0.05", &s), "");
    std::map<std::string, int> counts;
    for (int i = 0; i < 20000; i++) {
        std::string id = "doc-" + std::to_string(i);
        double p = clara::split_point(42, id);
        ASSERT_GE(p, 0.0);
        ASSERT_LT(p, 1.0);
        EXPECT_EQ(p, clara::split_point(42, id));  // the same every time
        counts[std::string(clara::assign_split(s, p))]++;
    }
    EXPECT_NEAR(counts["validation"], 2000, 200);
    EXPECT_NEAR(counts["test"], 1000, 150);
    EXPECT_NEAR(counts["train"], 17000, 300);
    // Another seed: another draw (most documents keep "train", but not the same points).
    EXPECT_NE(clara::split_point(1, "doc-1"), clara::split_point(2, "doc-1"));
}
