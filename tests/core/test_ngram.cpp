// Character 4-gram extraction, the postings codec and BM25-over-grams
// scoring, the latter checked against a direct computation of the formula
// in ngram.hpp.
#include "ngram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using Strings = std::vector<std::string>;

const unsigned char *bytes(const std::string &s) { return reinterpret_cast<const unsigned char *>(s.data()); }

std::string block_of(const std::vector<clara::GramPosting> &postings) {
    clara::GramBlockWriter w;
    for (const auto &p : postings) EXPECT_TRUE(w.add(p));
    std::string out;
    w.finish(out);
    return out;
}

std::vector<clara::GramPosting> decoded(const std::string &block, bool *ok) {
    std::vector<clara::GramPosting> out;
    *ok = clara::decode_gram_block(bytes(block), block.size(), [&](uint32_t key, uint32_t tf, uint32_t bucket) {
        out.push_back(clara::GramPosting{key, tf, bucket});
    });
    return out;
}

uint32_t sum_tf(const std::vector<clara::GramCount> &grams) {
    uint32_t n = 0;
    for (const auto &g : grams) n += g.tf;
    return n;
}

}  // namespace

TEST(Grams, WordsBetweenBoundaryMarkers) {
    EXPECT_EQ(clara::GramExtractor::gram_strings("Haus"), (Strings{"<hau", "haus", "aus>"}));
    // Lower-cased, diacritics folded (ß -> ss), markup and punctuation skipped.
    EXPECT_EQ(clara::GramExtractor::gram_strings("<b>GRÖßE</b>!"), (Strings{"<gro", "gros", "ross", "osse", "sse>"}));
    EXPECT_EQ(clara::GramExtractor::gram_strings("Größe"), clara::GramExtractor::gram_strings("grosse"));
    // One character gives no gram, two characters one.
    EXPECT_EQ(clara::GramExtractor::gram_strings("a ab"), (Strings{"<ab>"}));
    // Grams never cross words.
    EXPECT_EQ(clara::GramExtractor::gram_strings("ab-cd"), (Strings{"<ab>", "<cd>"}));
    // Digits are word characters; other scripts are kept.
    EXPECT_EQ(clara::GramExtractor::gram_strings("v12"), (Strings{"<v12", "v12>"}));
    EXPECT_EQ(clara::GramExtractor::gram_strings("Дом"), (Strings{"<дом", "дом>"}));
    // German and English stop words give no grams (checked before folding).
    EXPECT_EQ(clara::GramExtractor::gram_strings("Über die Häuser of the town"),
              (Strings{"<hau", "haus", "ause", "user", "ser>", "<tow", "town", "own>"}));
}

TEST(Grams, CompoundsShareGramsWithTheirParts) {
    auto grams = [](const char *t) {
        Strings g = clara::GramExtractor::gram_strings(t);
        return std::set<std::string>(g.begin(), g.end());
    };
    std::set<std::string> whole = grams("Verwaltungsgerichtsordnung");
    std::set<std::string> part = grams("Verwaltungsgericht");
    size_t shared = 0;
    for (const auto &g : part) shared += whole.count(g);
    // Every gram of the part but its end marker is in the compound.
    EXPECT_EQ(shared, part.size() - 1);
}

TEST(Grams, DocumentCountsDistinctGramsOfTheLead) {
    clara::GramExtractor e;
    std::vector<clara::GramCount> grams;
    uint32_t length = e.document("Haus", "Haus und Hof", grams);
    // "haus" x2 (3 grams each), "hof" (2); "und" is a stop word.
    EXPECT_EQ(length, 8u);
    EXPECT_EQ(sum_tf(grams), length);
    EXPECT_EQ(grams.size(), 5u);
    const uint32_t cps[4] = {'h', 'a', 'u', 's'};
    auto it = std::find_if(grams.begin(), grams.end(),
                           [&](const clara::GramCount &g) { return g.gram == clara::gram_id(cps); });
    ASSERT_NE(it, grams.end());
    EXPECT_EQ(it->tf, 2u);
}

TEST(Grams, LeadStopsAfterItsCodePoints) {
    // 140 words of 5 code points ("wort ") fill the first 700; a word that
    // starts before the limit is taken whole, the next one is not.
    static_assert(clara::kLeadCodePoints == 700, "the test counts 140 words of 5");
    std::string content;
    for (int i = 0; i < 139; ++i) content += "wort ";
    content += "wortx zebra";  // "wortx" starts at 695, "zebra" at 701
    clara::GramExtractor e;
    std::vector<clara::GramCount> grams;
    e.document("", content, grams);
    auto has = [&](const char *s) {
        std::vector<uint32_t> cps(s, s + 4);
        const uint32_t id = clara::gram_id(cps.data());
        return std::any_of(grams.begin(), grams.end(), [&](const clara::GramCount &g) { return g.gram == id; });
    };
    EXPECT_TRUE(has("rtx>"));
    EXPECT_FALSE(has("zebr"));
    // The title is never cut, and does not use up the content's budget.
    std::string title(3000, 'x');
    e.document(title, content, grams);
    EXPECT_TRUE(has("rtx>"));
    EXPECT_TRUE(has("xxxx"));
    // Code points, not bytes: 700 two-byte letters still fit.
    std::string umlauts;
    for (int i = 0; i < 139; ++i) umlauts += "ääää ";
    umlauts += "wortx zebra";
    e.document("", umlauts, grams);
    EXPECT_TRUE(has("rtx>"));
    EXPECT_FALSE(has("zebr"));
}

TEST(Grams, QueryIsSortedAndCapped) {
    clara::GramExtractor e;
    std::vector<clara::GramCount> grams;
    e.query("Genehmigung Photovoltaikanlage, Genehmigung", grams);
    EXPECT_TRUE(std::is_sorted(grams.begin(), grams.end(),
                               [](const clara::GramCount &a, const clara::GramCount &b) { return a.gram < b.gram; }));
    uint32_t twice = 0;
    for (const auto &g : grams) twice += g.tf == 2;
    EXPECT_EQ(twice, 10u);  // the 10 grams of "<genehmigung>"
    // Thousands of distinct words: no more than kMaxQueryGrams grams.
    std::string huge;
    std::mt19937 rng(7);
    for (int i = 0; i < 5000; ++i) {
        for (int j = 0; j < 6; ++j) huge.push_back(static_cast<char>('a' + rng() % 26));
        huge.push_back(' ');
    }
    e.query(huge, grams);
    EXPECT_EQ(grams.size(), clara::kMaxQueryGrams);
}

TEST(Grams, GramIdIsStable) {
    // Stored postings are keyed by these ids: a change to the hash must come
    // with a new kGramRecipe and a rebuild. FNV-1a + fmix64 of "haus".
    const uint32_t cps[4] = {'h', 'a', 'u', 's'};
    uint64_t h = 0xCBF29CE484222325ull;
    for (uint32_t c : cps) h = (h ^ c) * 0x100000001B3ull;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    EXPECT_EQ(clara::gram_id(cps), static_cast<uint32_t>(h));
    const uint32_t other[4] = {'h', 'a', 'u', 't'};
    EXPECT_NE(clara::gram_id(cps), clara::gram_id(other));
}

TEST(GramPostings, RoundTrip) {
    std::mt19937 rng(1);
    std::vector<clara::GramPosting> in;
    uint32_t key = 0;
    for (int i = 0; i < 5000; ++i) {
        key += 1 + rng() % (i % 7 == 0 ? 300000 : 5);
        in.push_back(
            clara::GramPosting{key, static_cast<uint32_t>(1 + rng() % 300), static_cast<uint32_t>(rng() % 1200)});
    }
    std::string block = block_of(in);
    uint32_t count = 0;
    ASSERT_TRUE(clara::gram_block_count(bytes(block), block.size(), &count));
    EXPECT_EQ(count, in.size());
    bool ok = false;
    std::vector<clara::GramPosting> out = decoded(block, &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(out.size(), in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        EXPECT_EQ(out[i].doc_key, in[i].doc_key);
        EXPECT_EQ(out[i].tf, std::min<uint32_t>(in[i].tf, clara::kMaxGramTf));
        EXPECT_EQ(out[i].length, clara::gram_length_bucket(in[i].length));
    }
    // Compact: the dense part of the keys takes 2 bytes a posting.
    EXPECT_LT(block.size(), in.size() * 3);
}

TEST(GramPostings, LengthBuckets) {
    // The nearest representative length, ties to the shorter one.
    EXPECT_EQ(clara::gram_length_bucket(1), 0u);
    EXPECT_EQ(clara::gram_length_bucket(4), 0u);
    EXPECT_EQ(clara::gram_length_bucket(10), 5u);
    EXPECT_EQ(clara::gram_length_bucket(12), 6u);  // 11 and 14: nearer 11
    EXPECT_EQ(clara::gram_length_bucket(13), 7u);  // nearer 14
    EXPECT_EQ(clara::gram_length_bucket(15), 7u);  // 14 and 16 tie: the shorter
    EXPECT_EQ(clara::gram_length_bucket(100000), 31u);
    for (uint32_t b = 0; b < clara::kGramLengthBuckets; ++b)
        EXPECT_EQ(clara::gram_length_bucket(clara::kGramLengths[b]), b);
    // Every length is within about 10 % of the one BM25 sees (12 % where
    // small lengths are rounded), up to the largest.
    for (uint32_t len = 4; len <= 879; ++len) {
        const double seen = clara::gram_stored_length(len);
        EXPECT_LE(std::abs(seen - len), 0.12 * len) << len;
    }
    EXPECT_EQ(clara::gram_stored_length(0), 0u);
}

TEST(GramPostings, KeysMustAscend) {
    clara::GramBlockWriter w;
    EXPECT_TRUE(w.add({0, 1, 4}));  // key 0 may come first
    EXPECT_TRUE(w.add({10, 1, 4}));
    EXPECT_FALSE(w.add({10, 1, 4}));
    EXPECT_FALSE(w.add({3, 1, 4}));
    EXPECT_EQ(w.count(), 2u);
    EXPECT_TRUE(w.add({4000000000u, 1, 4}));
}

TEST(GramPostings, MalformedBlocksAreRejected) {
    std::string good = block_of({{5, 1, 8}, {9, 2, 8}, {300, 3, 8}});  // 4 + 1+1 + 1+1 + 2+1 bytes
    ASSERT_EQ(good.size(), 11u);
    bool ok = false;
    decoded(good, &ok);
    ASSERT_TRUE(ok);
    std::string truncated = good.substr(0, good.size() - 1);
    decoded(truncated, &ok);
    EXPECT_FALSE(ok);
    std::string trailing = good + "x";
    decoded(trailing, &ok);
    EXPECT_FALSE(ok);
    std::string too_many = good;
    too_many[0] = 4;  // says four postings, holds three
    decoded(too_many, &ok);
    EXPECT_FALSE(ok);
    std::string zero_delta = block_of({{5, 1, 8}});
    zero_delta[0] = 2;
    zero_delta += std::string("\x00\x01", 2);  // a second posting with key delta 0
    decoded(zero_delta, &ok);
    EXPECT_FALSE(ok);
    std::string endless_varint = std::string("\x01\x00\x00\x00", 4) + std::string(8, '\xFF');
    decoded(endless_varint, &ok);
    EXPECT_FALSE(ok);
    uint32_t count;
    EXPECT_FALSE(clara::gram_block_count(bytes(good), 3, &count));
}

TEST(GramPostings, BuilderGivesOneBlockPerGramInColumnOrder) {
    clara::GramPostingsBuilder b;
    // Grams on both sides of the int32 sign boundary, over three documents.
    const uint32_t lo = 5, hi = 0x80000005u, mid = 0x7FFFFFF0u;
    b.add_document(1, 10, {{hi, 2}, {lo, 1}});
    b.add_document(2, 20, {{mid, 1}, {lo, 3}});
    b.add_document(4, 30, {{lo, 1}});
    b.add_document(3, 40, {{lo, 7}});  // a key below the last: a second block
    EXPECT_EQ(b.postings(), 6u);
    std::vector<clara::GramBlock> blocks;
    b.take_blocks(blocks);
    ASSERT_EQ(blocks.size(), 4u);
    EXPECT_EQ(blocks[0].gram, hi);  // negative as int4 first
    EXPECT_EQ(blocks[1].gram, lo);
    EXPECT_EQ(blocks[2].gram, lo);
    EXPECT_EQ(blocks[3].gram, mid);
    bool ok = false;
    std::vector<clara::GramPosting> first = decoded(blocks[1].bytes, &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(first[0].doc_key, 1u);
    EXPECT_EQ(first[2].doc_key, 4u);
    EXPECT_EQ(first[1].tf, 3u);
    EXPECT_EQ(first[1].length, clara::gram_length_bucket(20));
    std::vector<clara::GramPosting> second = decoded(blocks[2].bytes, &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].doc_key, 3u);
    EXPECT_EQ(second[0].tf, 7u);
    // Empty afterwards, and usable again.
    EXPECT_EQ(b.postings(), 0u);
    b.take_blocks(blocks);
    EXPECT_TRUE(blocks.empty());
    std::mt19937 rng(9);
    std::map<uint32_t, uint32_t> expected;
    for (uint32_t doc = 1; doc <= 2000; ++doc) {
        std::vector<clara::GramCount> grams;
        std::set<uint32_t> seen;
        for (int i = 0; i < 20; ++i) {
            uint32_t g = static_cast<uint32_t>(rng()) % 5000;
            if (seen.insert(g).second) grams.push_back({g * 2654435761u, 1});
        }
        for (const auto &g : grams) ++expected[g.gram];
        b.add_document(doc, 50, grams);
    }
    b.take_blocks(blocks);
    ASSERT_EQ(blocks.size(), expected.size());
    for (size_t i = 0; i < blocks.size(); ++i) {
        if (i > 0) {
            EXPECT_LT(static_cast<int32_t>(blocks[i - 1].gram), static_cast<int32_t>(blocks[i].gram));
        }
        uint32_t count = 0;
        ASSERT_TRUE(clara::gram_block_count(bytes(blocks[i].bytes), blocks[i].bytes.size(), &count));
        EXPECT_EQ(count, expected[blocks[i].gram]);
    }
}

namespace {

// A corpus of documents given as gram -> tf, with the scorer's inputs.
struct Corpus {
    std::vector<std::map<uint32_t, uint32_t>> docs;  // doc_key = index
    std::vector<uint32_t> lengths;
};

Corpus random_corpus(std::mt19937 &rng, size_t n, uint32_t vocabulary) {
    Corpus c;
    for (size_t d = 0; d < n; ++d) {
        std::map<uint32_t, uint32_t> grams;
        uint32_t length = static_cast<uint32_t>(1 + rng() % 800);
        for (uint32_t i = 0; i < length; ++i) ++grams[static_cast<uint32_t>(rng() % vocabulary)];
        c.docs.push_back(grams);
        c.lengths.push_back(length);
    }
    return c;
}

// Similarity by the formula in ngram.hpp, in double, from the stored values.
std::vector<double> direct_similarities(const Corpus &c, const std::map<uint32_t, uint32_t> &query) {
    const double k1 = 1.2, b = 0.75, n = static_cast<double>(c.docs.size());
    double total = 0;
    for (uint32_t len : c.lengths) total += clara::gram_stored_length(len);
    const double avg = total / n;
    double max_score = 0;
    std::vector<double> score(c.docs.size(), 0.0);
    for (const auto &[gram, qtf] : query) {
        double df = 0;
        for (const auto &d : c.docs) df += d.count(gram);
        const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
        const double wq = 1 + std::log(static_cast<double>(qtf));
        max_score += wq * idf * (k1 + 1);
        for (size_t k = 0; k < c.docs.size(); ++k) {
            auto it = c.docs[k].find(gram);
            if (it == c.docs[k].end()) continue;
            const double tf = std::min<uint32_t>(it->second, clara::kMaxGramTf);
            const double len = clara::gram_stored_length(c.lengths[k]);
            score[k] += wq * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg));
        }
    }
    for (double &s : score) s /= max_score;
    return score;
}

// Scores the query with GramScorer, the corpus split into blocks of
// block_size documents per gram.
clara::GramScorer scored(const Corpus &c, const std::map<uint32_t, uint32_t> &query, size_t block_size) {
    double total = 0;
    for (uint32_t len : c.lengths) total += clara::gram_stored_length(len);
    clara::GramScorer s;
    s.reset(static_cast<double>(c.docs.size()), total / c.docs.size());
    for (const auto &[gram, qtf] : query) {
        std::vector<std::string> blocks;
        clara::GramBlockWriter w;
        double df = 0;
        for (size_t k = 0; k < c.docs.size(); ++k) {
            if (k % block_size == 0 && !w.empty()) {
                blocks.emplace_back();
                w.finish(blocks.back());
            }
            auto it = c.docs[k].find(gram);
            if (it == c.docs[k].end()) continue;
            w.add({static_cast<uint32_t>(k), it->second, c.lengths[k]});
            ++df;
        }
        if (!w.empty()) {
            blocks.emplace_back();
            w.finish(blocks.back());
        }
        s.begin_gram(df, qtf);
        for (const auto &b : blocks) EXPECT_TRUE(s.add_block(bytes(b), b.size()));
    }
    return s;
}

}  // namespace

TEST(GramScorer, MatchesTheFormula) {
    std::mt19937 rng(3);
    Corpus c = random_corpus(rng, 300, 400);
    std::map<uint32_t, uint32_t> query = {{1, 1}, {17, 2}, {399, 1}, {5000, 1} /* in no document */};
    std::vector<double> expected = direct_similarities(c, query);
    for (size_t block_size : {1, 7, 1000}) {
        clara::GramScorer s = scored(c, query, block_size);
        bool more = true;
        std::vector<clara::ScoredDoc> all = s.ranked(SIZE_MAX, 0.0, &more);
        EXPECT_FALSE(more);
        size_t matching = 0;
        for (double e : expected) matching += e > 0;
        ASSERT_EQ(all.size(), matching);
        EXPECT_EQ(s.matched(), matching);
        for (const auto &d : all) {
            EXPECT_NEAR(d.score, expected[d.doc_key], 1e-5 * expected[d.doc_key]) << d.doc_key;
            EXPECT_GT(d.score, 0.0);
            EXPECT_LT(d.score, 1.0);
        }
        EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), clara::ranks_before));
    }
}

TEST(GramScorer, DepthThresholdAndTies) {
    // Four documents with the same single gram and length tie; one has it twice.
    Corpus c;
    for (int i = 0; i < 4; ++i) {
        c.docs.push_back({{7, 1}, {100u + i, 3}});
        c.lengths.push_back(4);
    }
    c.docs[2][7] = 2;
    c.docs.push_back({{8, 1}});  // shares nothing with the query
    c.lengths.push_back(4);
    clara::GramScorer s = scored(c, {{7, 1}}, 100);
    bool more = false;
    std::vector<clara::ScoredDoc> top = s.ranked(2, 0.0, &more);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_TRUE(more);
    EXPECT_EQ(top[0].doc_key, 2u);
    EXPECT_EQ(top[1].doc_key, 0u);  // ties: smaller key first
    std::vector<clara::ScoredDoc> all = s.ranked(10, 0.0, &more);
    EXPECT_FALSE(more);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[2].doc_key, 1u);
    EXPECT_EQ(all[3].doc_key, 3u);
    // A threshold between the two score levels keeps only the best.
    std::vector<clara::ScoredDoc> strong = s.ranked(10, (all[0].score + all[1].score) / 2, &more);
    ASSERT_EQ(strong.size(), 1u);
    EXPECT_EQ(strong[0].doc_key, 2u);
    // reset() forgets the previous query.
    s.reset(5, 4);
    EXPECT_EQ(s.matched(), 0u);
    EXPECT_TRUE(s.ranked(10, 0.0, &more).empty());
}

TEST(GramScorer, MalformedBlockIsReported) {
    clara::GramScorer s;
    s.reset(10, 100);
    s.begin_gram(1, 1);
    std::string bad = block_of({{5, 1, 8}});
    bad.pop_back();
    EXPECT_FALSE(s.add_block(bytes(bad), bad.size()));
}
