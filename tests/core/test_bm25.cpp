// BM25 math and the postings format, checked against direct formulas.
#include "bm25.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

std::string block_of(const std::vector<clara::Posting> &postings) {
    std::string block;
    for (const auto &p : postings) clara::append_posting(block, p);
    return block;
}

const unsigned char *bytes(const std::string &s) { return reinterpret_cast<const unsigned char *>(s.data()); }

}  // namespace

TEST(Bm25, IdfMatchesFormula) {
    EXPECT_DOUBLE_EQ(clara::bm25_idf(10, 1), std::log(1.0 + (10 - 1 + 0.5) / (1 + 0.5)));
    EXPECT_DOUBLE_EQ(clara::bm25_idf(1000, 999), std::log(1.0 + (1000 - 999 + 0.5) / (999 + 0.5)));
    // Never negative, even for a term in every document.
    EXPECT_GT(clara::bm25_idf(5, 5), 0.0);
}

TEST(Bm25, TermScoreMatchesFormula) {
    const double k1 = 1.2, b = 0.75;
    double idf = clara::bm25_idf(100, 7);
    for (double tf : {1.0, 2.0, 17.0}) {
        for (double dl : {10.0, 100.0, 1000.0}) {
            double avg = 120.0;
            double expected = idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avg));
            EXPECT_NEAR(clara::bm25_term_score(tf, dl, avg, idf), expected, 1e-12 * expected);
        }
    }
    EXPECT_EQ(clara::bm25_term_score(0, 10, 10, idf), 0.0);
    // An empty corpus has no average length: the length factor is neutral.
    EXPECT_DOUBLE_EQ(clara::bm25_term_score(1, 10, 0, 1.0), 1.0);
}

TEST(Bm25, TermFrequencySaturates) {
    double idf = 1.0;
    double s1 = clara::bm25_term_score(1, 100, 100, idf);
    double s10 = clara::bm25_term_score(10, 100, 100, idf);
    double s1000 = clara::bm25_term_score(1000, 100, 100, idf);
    EXPECT_LT(s1, s10);
    EXPECT_LT(s10, s1000);
    EXPECT_LT(s1000, idf * (1.2 + 1));  // bounded by idf * (k1 + 1)
}

TEST(Bm25, LongerDocumentsScoreLower) {
    EXPECT_GT(clara::bm25_term_score(3, 50, 100, 1.0), clara::bm25_term_score(3, 500, 100, 1.0));
}

TEST(Postings, RoundTripLittleEndian) {
    clara::Posting p{0x01020304u, 70000u, 0xFFFFFFFFu};
    std::string block = block_of({p});
    ASSERT_EQ(block.size(), clara::kPostingBytes);
    EXPECT_EQ(static_cast<unsigned char>(block[0]), 0x04);
    clara::Posting q = clara::read_posting(bytes(block));
    EXPECT_EQ(q.doc_key, p.doc_key);
    EXPECT_EQ(q.tf, p.tf);
    EXPECT_EQ(q.doc_length, p.doc_length);
}

TEST(Postings, TitleFrequencySharesTheTfWord) {
    clara::Posting p{7, 300000, 40, 3};
    std::string block = block_of({p});
    ASSERT_EQ(block.size(), clara::kPostingBytes);
    clara::Posting q = clara::read_posting(bytes(block));
    EXPECT_EQ(q.tf, 300000u);
    EXPECT_EQ(q.title_tf, 3u);
    // Both are capped, never wrapped into each other.
    q = clara::read_posting(bytes(block_of({{7, 0x7FFFFFFF, 40, 1000}})));
    EXPECT_EQ(q.tf, clara::kMaxPostingTf);
    EXPECT_EQ(q.title_tf, 255u);
}

TEST(Bm25, TitleScoreMatchesFormula) {
    const double idf = clara::bm25_idf(100, 7);
    for (double tf : {1.0, 2.0, 5.0}) EXPECT_NEAR(clara::bm25_title_score(tf, idf), idf * tf * 2.2 / (tf + 1.2), 1e-12);
    EXPECT_EQ(clara::bm25_title_score(0, idf), 0.0);
}

TEST(Scorer, TitleWeightAddsTheTitleScore) {
    // Two documents with the same tf and length; one has the term in its title.
    std::string block = block_of({{1, 2, 10, 0}, {2, 2, 10, 1}});
    const double idf = clara::bm25_idf(4, 2);
    const double body = clara::bm25_term_score(2, 10, 10, idf);
    clara::Bm25Params textbook;
    clara::Bm25Scorer plain(4, 10, textbook);
    plain.begin_term(2);
    plain.add_postings(bytes(block), 2);
    auto ranked = plain.take_ranked();
    ASSERT_EQ(ranked.size(), 2u);
    EXPECT_EQ(ranked[0].doc_key, 1u);  // a tie without the boost: smaller key first
    EXPECT_DOUBLE_EQ(ranked[0].score, ranked[1].score);
    clara::Bm25Params boosted;
    boosted.title_weight = 0.5;
    clara::Bm25Scorer scorer(4, 10, boosted);
    scorer.begin_term(2);
    scorer.add_postings(bytes(block), 2);
    ranked = scorer.take_ranked();
    ASSERT_EQ(ranked.size(), 2u);
    EXPECT_EQ(ranked[0].doc_key, 2u);
    EXPECT_DOUBLE_EQ(ranked[0].score, body + 0.5 * clara::bm25_title_score(1, idf));
    EXPECT_DOUBLE_EQ(ranked[1].score, body);
}

TEST(Scorer, SumsTermsAndRanks) {
    // Corpus of 4 documents, average length 10.
    clara::Bm25Scorer scorer(4, 10);
    scorer.begin_term(2);
    std::string a = block_of({{1, 2, 10}, {2, 1, 20}});
    scorer.add_postings(bytes(a), 2);
    scorer.begin_term(1);
    std::string b = block_of({{3, 1, 5}});
    scorer.add_postings(bytes(b), 1);
    auto ranked = scorer.take_ranked();
    ASSERT_EQ(ranked.size(), 3u);

    double idf_a = clara::bm25_idf(4, 2), idf_b = clara::bm25_idf(4, 1);
    std::vector<std::pair<uint32_t, double>> expected = {
        {1, clara::bm25_term_score(2, 10, 10, idf_a)},
        {2, clara::bm25_term_score(1, 20, 10, idf_a)},
        {3, clara::bm25_term_score(1, 5, 10, idf_b)},
    };
    std::sort(expected.begin(), expected.end(),
              [](auto &x, auto &y) { return x.second != y.second ? x.second > y.second : x.first < y.first; });
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(ranked[i].doc_key, expected[i].first);
        EXPECT_DOUBLE_EQ(ranked[i].score, expected[i].second);
    }
    EXPECT_EQ(scorer.candidate_count(), 0u);
}

TEST(Scorer, TiesOrderByKey) {
    clara::Bm25Scorer scorer(10, 10);
    scorer.begin_term(3);
    std::string a = block_of({{9, 1, 10}, {4, 1, 10}, {7, 1, 10}});
    scorer.add_postings(bytes(a), 3);
    auto ranked = scorer.take_ranked();
    ASSERT_EQ(ranked.size(), 3u);
    EXPECT_EQ(ranked[0].doc_key, 4u);
    EXPECT_EQ(ranked[1].doc_key, 7u);
    EXPECT_EQ(ranked[2].doc_key, 9u);
    EXPECT_EQ(ranked[0].score, ranked[2].score);
}

TEST(Scorer, ResetStartsAfresh) {
    clara::Bm25Scorer scorer;
    scorer.reset(2, 5);
    scorer.begin_term(1);
    std::string a = block_of({{1, 1, 5}});
    scorer.add_postings(bytes(a), 1);
    scorer.reset(2, 5);
    EXPECT_TRUE(scorer.take_ranked().empty());
}

TEST(Scorer, RankPrefixOrdersWhatIsRead) {
    std::vector<clara::ScoredDoc> all;
    uint32_t x = 1;
    for (uint32_t k = 0; k < 5000; ++k) {
        x = x * 1103515245u + 12345u;
        all.push_back(clara::ScoredDoc{k, double((x >> 16) % 300)});  // many ties
    }
    std::vector<clara::ScoredDoc> sorted = all;
    std::sort(sorted.begin(), sorted.end(), clara::ranks_before);
    std::vector<clara::ScoredDoc> v = all;
    size_t ordered = 0;
    for (size_t n : {10, 30, 200, 1000, 100000}) {  // grow as select_results does
        clara::rank_prefix(v, ordered, n);
        ordered = std::min(v.size(), ordered + n);
        for (size_t i = 0; i < ordered; ++i) ASSERT_EQ(v[i].doc_key, sorted[i].doc_key) << i;
    }
    EXPECT_EQ(ordered, v.size());
    clara::rank_prefix(v, v.size(), 10);  // nothing left: no-op
    // take_candidates hands over every match once, in any order.
    clara::Bm25Scorer scorer(10, 10);
    scorer.begin_term(3);
    std::string a = block_of({{9, 1, 10}, {4, 2, 10}, {7, 1, 10}});
    scorer.add_postings(bytes(a), 3);
    scorer.begin_term(2);
    std::string b = block_of({{4, 1, 10}, {5, 1, 10}});
    scorer.add_postings(bytes(b), 2);
    auto c = scorer.take_candidates();
    std::sort(c.begin(), c.end(), [](auto &p, auto &q) { return p.doc_key < q.doc_key; });
    ASSERT_EQ(c.size(), 4u);
    EXPECT_EQ(c[0].doc_key, 4u);
    EXPECT_EQ(c[3].doc_key, 9u);
    EXPECT_EQ(scorer.candidate_count(), 0u);
}
