// The per-document term index: exact frequencies, tsvector-style positions.
#include "term_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace {

clara::LexemeList list_of(const std::vector<std::string> &words) {
    clara::LexemeList list;
    for (const auto &w : words) {
        list.lexemes.push_back({static_cast<uint32_t>(list.arena.size()), static_cast<uint32_t>(w.size())});
        list.arena += w;
    }
    return list;
}

std::string lexeme(const clara::LexemeList &l, const clara::TermEntry &t) { return l.arena.substr(t.offset, t.length); }

}  // namespace

TEST(TermIndex, DistinctSortedWithExactFrequencies) {
    auto l = list_of({"dach", "anlag", "dach", "photovolta", "anlag", "dach"});
    clara::TermIndex idx;
    clara::build_term_index(l, 0, idx);
    ASSERT_EQ(idx.terms.size(), 3u);
    EXPECT_EQ(lexeme(l, idx.terms[0]), "anlag");
    EXPECT_EQ(lexeme(l, idx.terms[1]), "dach");
    EXPECT_EQ(lexeme(l, idx.terms[2]), "photovolta");
    EXPECT_EQ(idx.terms[0].tf, 2u);
    EXPECT_EQ(idx.terms[1].tf, 3u);
    EXPECT_EQ(idx.terms[2].tf, 1u);
    EXPECT_EQ(idx.doc_length, 6u);
}

TEST(TermIndex, ByteOrderShorterPrefixFirst) {
    auto l = list_of({"ab", "a", "b", "abc", "\xc3\xa4"});
    clara::TermIndex idx;
    clara::build_term_index(l, 0, idx);
    std::vector<std::string> got;
    for (auto &t : idx.terms) got.push_back(lexeme(l, t));
    EXPECT_EQ(got, (std::vector<std::string>{"a", "ab", "abc", "b", "\xc3\xa4"}));
}

TEST(TermIndex, TitleWeightAndPositionGap) {
    // title: "dach anlag", content: "dach"
    auto l = list_of({"dach", "anlag", "dach"});
    clara::TermIndex idx;
    clara::build_term_index(l, 2, idx);
    const auto &dach = idx.terms[1];
    ASSERT_EQ(dach.npos, 2u);
    uint16_t p0 = idx.positions[dach.first_pos], p1 = idx.positions[dach.first_pos + 1];
    EXPECT_EQ(p0 & 0x3FFF, 1);
    EXPECT_EQ(p0 >> 14, clara::kWeightA);
    EXPECT_EQ(p1 & 0x3FFF, 4);  // content starts after a gap: 1, 2 | 4
    EXPECT_EQ(p1 >> 14, 0);
}

TEST(TermIndex, FrequencyIsExactBeyondTsvectorLimits) {
    std::vector<std::string> words(20000, "photovolta");
    auto l = list_of(words);
    clara::TermIndex idx;
    clara::build_term_index(l, 0, idx);
    ASSERT_EQ(idx.terms.size(), 1u);
    EXPECT_EQ(idx.terms[0].tf, 20000u);
    EXPECT_EQ(idx.terms[0].npos, clara::kMaxPositionsPerLexeme);
    // Positions ascend and stay within 1..16383.
    for (uint32_t i = 1; i < idx.terms[0].npos; ++i)
        EXPECT_LT(idx.positions[i - 1] & 0x3FFF, idx.positions[i] & 0x3FFF);
}

TEST(TermIndex, PositionsPastTheLimitCollapse) {
    std::vector<std::string> words(17000, "x");
    words.push_back("late");
    words.push_back("late");
    auto l = list_of(words);
    clara::TermIndex idx;
    clara::build_term_index(l, 0, idx);
    const auto &late = idx.terms[0];
    ASSERT_EQ(lexeme(l, late), "late");
    EXPECT_EQ(late.tf, 2u);
    EXPECT_EQ(late.npos, 1u);
    EXPECT_EQ(idx.positions[late.first_pos] & 0x3FFF, clara::kMaxPosition);
}

TEST(TermIndex, EmptyDocument) {
    clara::LexemeList l;
    clara::TermIndex idx;
    clara::build_term_index(l, 0, idx);
    EXPECT_TRUE(idx.terms.empty());
    EXPECT_EQ(idx.doc_length, 0u);
}
