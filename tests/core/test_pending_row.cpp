// The pending list's row format (extension/core/pending_row.hpp): what a
// search and a flush read back is what the index trigger encoded.
#include "pending_row.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <string>
#include <tuple>
#include <vector>

namespace {

std::string encode(std::vector<clara::PendingTerm> terms, std::vector<clara::GramCount> grams) {
    std::string row;
    EXPECT_TRUE(clara::encode_pending(terms, grams, 42, 17, row));
    return row;
}

clara::PendingView parse(const std::string &row) {
    clara::PendingView view;
    EXPECT_TRUE(view.parse(reinterpret_cast<const unsigned char *>(row.data()), row.size()));
    return view;
}

TEST(PendingRow, RoundTripsTermsAndGramsSorted) {
    // Given unsorted: the row keeps terms bytewise and grams ascending.
    const std::string row = encode({{"zug", 3, 0}, {"amt", 1, 2}, {"bau", 300, 1000}},
                                   {{900, 2}, {5, 1}, {0xFFFFFFF0u, 12}});
    const clara::PendingView view = parse(row);
    EXPECT_EQ(view.doc_length(), 42u);
    EXPECT_EQ(view.lead_length(), 17u);
    std::vector<std::tuple<std::string, uint32_t, uint32_t>> terms;
    view.each_term([&](std::string_view t, uint32_t tf, uint32_t title) { terms.emplace_back(t, tf, title); });
    const std::vector<std::tuple<std::string, uint32_t, uint32_t>> want_terms = {
        {"amt", 1, 2}, {"bau", 300, 255}, {"zug", 3, 0}};  // title frequency capped as a posting stores it
    EXPECT_EQ(terms, want_terms);
    std::vector<std::pair<uint32_t, uint32_t>> grams;
    view.each_gram([&](uint32_t g, uint32_t tf) { grams.emplace_back(g, tf); });
    const std::vector<std::pair<uint32_t, uint32_t>> want_grams = {{5, 1}, {900, 2}, {0xFFFFFFF0u, 12}};
    EXPECT_EQ(grams, want_grams);
}

TEST(PendingRow, MatchesSortedQueries) {
    // The view reads the row's bytes: the row must outlive it.
    const std::string row = encode({{"amt", 1, 0}, {"bau", 2, 1}, {"baum", 4, 0}, {"zug", 3, 0}},
                                   {{5, 1}, {900, 2}, {1000, 3}});
    const clara::PendingView view = parse(row);
    std::vector<std::pair<size_t, uint32_t>> hits;
    view.match_terms({"ab", "bau", "baum", "x", "zug"},
                     [&](size_t q, uint32_t tf, uint32_t) { hits.emplace_back(q, tf); });
    const std::vector<std::pair<size_t, uint32_t>> want = {{1, 2}, {2, 4}, {4, 3}};
    EXPECT_EQ(hits, want);
    hits.clear();
    view.match_grams({4, 900, 1000, 2000}, [&](size_t q, uint32_t tf) { hits.emplace_back(q, tf); });
    const std::vector<std::pair<size_t, uint32_t>> want_grams = {{1, 2}, {2, 3}};
    EXPECT_EQ(hits, want_grams);
}

TEST(PendingRow, RejectsDamagedRows) {
    const std::string row = encode({{"amt", 1, 0}, {"bau", 2, 1}}, {{5, 1}});
    clara::PendingView view;
    for (size_t len = 0; len < row.size(); ++len)
        EXPECT_FALSE(view.parse(reinterpret_cast<const unsigned char *>(row.data()), len)) << "cut at " << len;
    std::string longer = row + "x";
    EXPECT_FALSE(view.parse(reinterpret_cast<const unsigned char *>(longer.data()), longer.size()));
    std::string bad_magic = row;
    bad_magic[0] ^= 1;
    EXPECT_FALSE(view.parse(reinterpret_cast<const unsigned char *>(bad_magic.data()), bad_magic.size()));
    std::string many_grams = row;
    many_grams[16] = '\x7f';  // ngrams far beyond the row
    EXPECT_FALSE(view.parse(reinterpret_cast<const unsigned char *>(many_grams.data()), many_grams.size()));
}

// Terms over several groups of the directory: a search finds exactly the
// query terms a full merge finds, in groups' first, last and middle places;
// with short terms, and with terms that share more than the directory's
// 8-byte prefixes (then the group's first term is compared).
TEST(PendingRow, MatchesAcrossTermGroups) {
    for (const std::string stem : {"t", "verwaltungsrecht"}) {
        std::vector<clara::PendingTerm> terms;
        std::vector<std::string> names;
        for (int i = 0; i < 100; ++i) names.push_back(stem + std::to_string(1000 + 2 * i));  // 1000 .. 1198, even
        for (size_t i = 0; i < names.size(); ++i) terms.push_back({names[i], static_cast<uint32_t>(i + 1), 0});
        const std::string row = encode(terms, {});
        clara::PendingView view;
        ASSERT_TRUE(view.open(reinterpret_cast<const unsigned char *>(row.data()), row.size()));
        // Every stored term, every gap between them, and past both ends.
        std::vector<std::string> all;
        for (int i = 998; i <= 1200; ++i) all.push_back(stem + std::to_string(i));
        all.push_back("a");
        all.push_back("z");
        all.push_back(stem);
        std::sort(all.begin(), all.end());
        const std::vector<std::string_view> query(all.begin(), all.end());
        std::vector<std::pair<size_t, uint32_t>> hits;
        EXPECT_TRUE(view.match_terms(query, [&](size_t q, uint32_t tf, uint32_t) { hits.emplace_back(q, tf); }));
        ASSERT_EQ(hits.size(), names.size()) << stem;
        for (size_t i = 0; i < hits.size(); ++i) {
            EXPECT_EQ(query[hits[i].first], names[i]);
            EXPECT_EQ(hits[i].second, i + 1);
        }
        // One term at a time, from each group.
        for (size_t i = 0; i < names.size(); i += 7) {
            hits.clear();
            EXPECT_TRUE(
                view.match_terms({names[i]}, [&](size_t q, uint32_t tf, uint32_t) { hits.emplace_back(q, tf); }));
            EXPECT_EQ(hits, (std::vector<std::pair<size_t, uint32_t>>{{0, static_cast<uint32_t>(i + 1)}})) << names[i];
        }
    }
}

// A search opens a row without reading every term: a cut or padded row
// still fails to open; a damaged entry fails where a search reads it and
// always when the row is parsed (a flush).
TEST(PendingRow, SearchFindsDamageWhereItReads) {
    std::vector<clara::PendingTerm> terms;
    std::vector<std::string> names;
    for (int i = 0; i < 40; ++i) names.push_back("w" + std::to_string(100 + i));
    for (const std::string &n : names) terms.push_back({n, 1, 0});
    const std::string row = encode(terms, {{7, 1}});
    clara::PendingView view;
    for (size_t len = 0; len < row.size(); ++len)
        EXPECT_FALSE(view.open(reinterpret_cast<const unsigned char *>(row.data()), len)) << "cut at " << len;
    const std::string longer = row + "x";
    EXPECT_FALSE(view.open(reinterpret_cast<const unsigned char *>(longer.data()), longer.size()));
    // The length of term 20 (second group) made huge: entries start after
    // the header, one gram, three groups and the entries' size.
    std::string damaged = row;
    size_t at = clara::kPendingHeader + 5 + 3 * 12 + 4;
    for (int i = 0; i < 20; ++i) at += 7 + names[i].size();
    damaged[at + 1] = '\x7f';
    const auto *bytes = reinterpret_cast<const unsigned char *>(damaged.data());
    EXPECT_FALSE(view.parse(bytes, damaged.size()));
    ASSERT_TRUE(view.open(bytes, damaged.size()));
    auto ignore = [](size_t, uint32_t, uint32_t) {};
    EXPECT_TRUE(view.match_terms({"w101"}, ignore));  // first group: intact
    EXPECT_FALSE(view.match_terms({"w121"}, ignore));
    // A group offset out of order fails to open.
    std::string groups = row;
    groups[clara::kPendingHeader + 5 + 12 + 8] = '\x01';
    EXPECT_FALSE(view.open(reinterpret_cast<const unsigned char *>(groups.data()), groups.size()));
    // A group's prefix that is not its first term's: parse finds it.
    std::string prefix = row;
    prefix[clara::kPendingHeader + 5 + 12 + 1] ^= 1;
    EXPECT_FALSE(view.parse(reinterpret_cast<const unsigned char *>(prefix.data()), prefix.size()));
}

TEST(PendingRow, RefusesTermsLongerThanTheLengthField) {
    const std::string huge(clara::kMaxPendingTerm + 1, 'a');
    std::vector<clara::PendingTerm> terms = {{huge, 1, 0}};
    std::vector<clara::GramCount> grams;
    std::string row;
    EXPECT_FALSE(clara::encode_pending(terms, grams, 1, 0, row));
}

}  // namespace
