#include "decontam.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

std::vector<uint64_t> grams(const std::string &text, uint32_t n = clara::kDefaultGramWords) {
    std::vector<uint64_t> out, words;
    clara::gram_hashes(text, n, out, words);
    return out;
}

// w0 w1 ... w(n-1), each word distinct.
std::string numbered_words(int from, int n) {
    std::string out;
    for (int i = from; i < from + n; i++) out += (out.empty() ? "" : " ") + std::string("word") + std::to_string(i);
    return out;
}

clara::GramSet set_of(const std::vector<uint64_t> &g) {
    clara::GramSet s;
    for (uint64_t x : g) s.add(x);
    s.finish();
    return s;
}

TEST(DecontamGrams, OneGramPerWindow) {
    EXPECT_EQ(grams(numbered_words(0, 13)).size(), 1u);
    EXPECT_EQ(grams(numbered_words(0, 20)).size(), 8u);
    EXPECT_EQ(grams(numbered_words(0, 20), 5).size(), 16u);
    EXPECT_TRUE(grams("").empty());
    EXPECT_TRUE(grams(" ... <br/> &amp; ").empty());  // markup and punctuation are no words
}

TEST(DecontamGrams, ShortTextIsOneGramOfAllItsWords) {
    auto g = grams("What is the capital of France?");
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g, grams("what IS the capital of france"));
    EXPECT_NE(g, grams("What is the capital of Spain?"));
    EXPECT_NE(grams("a b"), grams("b a"));  // order counts
}

TEST(DecontamGrams, SameWordRulesAsDedup) {
    // Case, punctuation, white space and markup do not matter; NFC does not either.
    EXPECT_EQ(grams("The <b>Quick</b>, brown fox\n\njumps", 3), grams("the quick brown fox jumps", 3));
    EXPECT_EQ(grams("Ha\xCC\x88user am See", 3), grams("H\xC3\xA4user am see", 3));
    // Not stemmed: "houses" is another word than "house".
    EXPECT_NE(grams("the house is red", 4), grams("the houses is red", 4));
}

TEST(DecontamGrams, GramLengthIsChecked) {
    std::vector<uint64_t> out, words;
    EXPECT_THROW(clara::gram_hashes("a b", 0, out, words), std::invalid_argument);
    EXPECT_THROW(clara::gram_hashes("a b", clara::kMaxGramWords + 1, out, words), std::invalid_argument);
}

TEST(DecontamSet, EvalTextInsideADocumentIsFound) {
    const std::string eval = numbered_words(100, 30);
    clara::GramSet set = set_of(grams(eval));
    // A document quoting 13 consecutive words of the eval text.
    std::string doc = numbered_words(0, 40) + " " + numbered_words(110, 13) + " " + numbered_words(500, 40);
    auto g = grams(doc);
    EXPECT_EQ(set.overlap(g), 1u);
    // 12 of them: no gram shared.
    std::string near_miss = numbered_words(0, 40) + " " + numbered_words(110, 12) + " " + numbered_words(500, 40);
    auto h = grams(near_miss);
    EXPECT_EQ(set.overlap(h), 0u);
    // The whole eval text: all of its 18 grams, each counted once even when repeated.
    auto all = grams(eval + " " + eval);
    EXPECT_EQ(set.overlap(all), 18u);
}

TEST(DecontamSet, MembershipAndRepeats) {
    clara::GramSet s;
    for (uint64_t x : {5u, 3u, 5u, 9u, 3u}) s.add(x);
    s.finish();
    EXPECT_EQ(s.size(), 3u);
    EXPECT_TRUE(s.contains(3));
    EXPECT_TRUE(s.contains(9));
    EXPECT_FALSE(s.contains(4));
    EXPECT_FALSE(s.contains(UINT64_MAX));
    clara::GramSet empty;
    empty.finish();
    std::vector<uint64_t> g{1, 2, 3};
    EXPECT_EQ(empty.overlap(g), 0u);
}

TEST(DecontamSet, NoAccidentalMatchesAcrossManyGrams) {
    // 200,000 grams of one text against 10,000 of another: 64-bit hashes do not collide.
    clara::GramSet set = set_of(grams(numbered_words(0, 200012)));
    auto other = grams(numbered_words(300000, 10012));
    EXPECT_EQ(set.overlap(other), 0u);
}

}  // namespace

namespace {

// The rolling hash gives each window the hash of the same words hashed alone.
TEST(DecontamGrams, RollingWindowsEqualFreshOnes) {
    const std::string text = numbered_words(0, 40);
    auto all = grams(text);
    ASSERT_EQ(all.size(), 28u);
    for (int i = 0; i < 28; i++) EXPECT_EQ(all[i], grams(numbered_words(i, 13))[0]) << i;
}

}  // namespace
