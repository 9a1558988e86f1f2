// Routing training lines into split shards (client/core/line_facts).
#include "core/line_facts.hpp"

#include <gtest/gtest.h>

using namespace clara::cli;

TEST(LineFacts, SplitAndChunkFieldsFromMetadata) {
    LineFacts f;
    ASSERT_TRUE(scan_line(R"({"text": "a \"split\": \"test\" {", "metadata": {"a": {"split": "nested"}, )"
                          R"("char_end": 9, "chunk_index": 3, "split": "validation", "token_count": 512}, )"
                          R"("source": "s", "quality_score": 0.5})"
                          "\n",
                          f));
    EXPECT_EQ(f.split, "validation");
    EXPECT_EQ(f.chunk_index, 3);
    EXPECT_EQ(f.token_count, 512);
}

TEST(LineFacts, DefaultsWithoutThem) {
    LineFacts f;
    ASSERT_TRUE(scan_line(R"({"messages": [{"role": "user", "content": "x"}], "metadata": {"year": 2020}})", f));
    EXPECT_EQ(f.split, "train");
    EXPECT_FALSE(f.chunk_index);
    EXPECT_FALSE(f.token_count);
    // A user's nested "split" or a split key outside metadata does not count.
    ASSERT_TRUE(scan_line(R"({"split": "test", "metadata": {"x": [{"split": "test"}], "n": null}})", f));
    EXPECT_EQ(f.split, "train");
}

TEST(LineFacts, NotAnObject) {
    LineFacts f;
    EXPECT_FALSE(scan_line("[1, 2]", f));
    EXPECT_FALSE(scan_line(R"({"metadata": {"split": "test")", f));
    EXPECT_FALSE(scan_line(R"({"text": "unterminated)", f));
    EXPECT_EQ(f.split, "train");
}

TEST(LineFacts, DeepNestingIsSkippedWithoutRecursion) {
    std::string deep = R"({"metadata": {"x": )" + std::string(200000, '[') + std::string(200000, ']') +
                       R"(, "split": "test"}})";
    LineFacts f;
    ASSERT_TRUE(scan_line(deep, f));
    EXPECT_EQ(f.split, "test");
}
