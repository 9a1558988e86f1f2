// The per-document term index: exact frequencies, tsvector-style positions.
#include "term_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

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

namespace {

// The index as build_term_index defined it before it grouped by hash: every
// occurrence sorted by (lexeme, index), then each run of equal lexemes.
struct ReferenceTerm {
    std::string lexeme;
    uint32_t offset, tf;
    std::vector<uint16_t> positions;
};

std::vector<ReferenceTerm> reference_index(const clara::LexemeList &l, size_t title_end) {
    std::vector<uint32_t> order(l.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        int c = l[a].compare(l[b]);
        return c != 0 ? c < 0 : a < b;
    });
    std::vector<ReferenceTerm> out;
    for (uint32_t index : order) {
        if (out.empty() || out.back().lexeme != l[index])
            out.push_back({std::string(l[index]), l.lexemes[index].offset, 0, {}});
        ReferenceTerm &t = out.back();
        ++t.tf;
        bool title = index < title_end;
        uint32_t pos = std::min<uint32_t>(title ? index + 1 : index + 2, clara::kMaxPosition);
        uint16_t encoded = static_cast<uint16_t>((title ? clara::kWeightA : 0) << 14 | pos);
        if (!t.positions.empty() && (t.positions.back() & 0x3FFF) == pos) {
            if ((encoded >> 14) > (t.positions.back() >> 14)) t.positions.back() = encoded;
            continue;
        }
        if (t.positions.size() < clara::kMaxPositionsPerLexeme) t.positions.push_back(encoded);
    }
    return out;
}

}  // namespace

// Documents of random words from a small vocabulary (so lexemes repeat, share
// prefixes and hash into the same slots), built one after another with one
// reused TermIndex, as a load does: the same terms, offsets, frequencies and
// positions as sorting every occurrence.
TEST(TermIndex, SameAsSortingEveryOccurrence) {
    std::vector<std::string> vocabulary = {"", "a", "ab", "abc", "b", "ba", "\xc3\xa4", "z", "zz", "dach", "dachs"};
    for (int i = 0; i < 300; ++i) vocabulary.push_back("w" + std::to_string(i * 7919 % 1000));
    uint32_t state = 12345;
    auto next = [&] { return state = state * 1103515245u + 12345u; };
    clara::TermIndex idx;
    for (int doc = 0; doc < 200; ++doc) {
        const size_t n = doc == 0 ? 0 : next() % (doc < 190 ? 600 : 20000);
        const size_t distinct = 1 + next() % vocabulary.size();
        std::vector<std::string> words;
        for (size_t i = 0; i < n; ++i) words.push_back(vocabulary[(next() >> 8) % distinct]);
        auto l = list_of(words);
        const size_t title_end = n == 0 ? 0 : next() % (n + 1) % 40;
        clara::build_term_index(l, title_end, idx);
        std::vector<ReferenceTerm> want = reference_index(l, title_end);
        ASSERT_EQ(idx.terms.size(), want.size()) << "document " << doc;
        EXPECT_EQ(idx.doc_length, n);
        for (size_t t = 0; t < want.size(); ++t) {
            const clara::TermEntry &e = idx.terms[t];
            ASSERT_EQ(lexeme(l, e), want[t].lexeme) << "document " << doc << " term " << t;
            EXPECT_EQ(e.offset, want[t].offset);
            EXPECT_EQ(e.tf, want[t].tf);
            std::vector<uint16_t> got(idx.positions.begin() + e.first_pos,
                                      idx.positions.begin() + e.first_pos + e.npos);
            ASSERT_EQ(got, want[t].positions) << "document " << doc << " term " << want[t].lexeme;
        }
    }
}
