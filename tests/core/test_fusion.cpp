// Fusion (RRF, weighted) and the graph score, on hand-computed examples.
#include "fusion.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

using clara::ScoredDoc;
using Docs = std::vector<ScoredDoc>;

constexpr uint32_t A = 1, B = 2, C = 3, D = 4, E = 5;

clara::FusionWeights weights(double k, double v, double g) {
    clara::FusionWeights w;
    w.keyword = k;
    w.vector = v;
    w.graph = g;
    return w;
}

void expect_docs(const Docs &got, const Docs &expected) {
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].doc_key, expected[i].doc_key) << "position " << i;
        EXPECT_NEAR(got[i].score, expected[i].score, 1e-12) << "position " << i;
    }
}

// keyword: A 10, B 5, C 1        vector: C 0.9, A 0.5, D 0.1 (given unsorted)
const Docs kKeyword = {{B, 5.0}, {A, 10.0}, {C, 1.0}};
const Docs kVector = {{D, 0.1}, {C, 0.9}, {A, 0.5}};

}  // namespace

TEST(Rrf, HandComputed) {
    const auto got = clara::fuse_rrf({&kKeyword, &kVector, nullptr}, weights(1, 1, 1));
    // A: 1/61 + 1/62, C: 1/63 + 1/61, B: 1/62, D: 1/63; divided by A's.
    const double a = 1.0 / 61 + 1.0 / 62;
    expect_docs(got, {{A, 1.0}, {C, (1.0 / 63 + 1.0 / 61) / a}, {B, (1.0 / 62) / a}, {D, (1.0 / 63) / a}});
}

TEST(Rrf, WeightsAndK) {
    // keyword weight 3, vector 1, k = 1: A 3/2 + 1/3, B 3/3, C 3/4 + 1/2, D 1/4.
    const auto got = clara::fuse_rrf({&kKeyword, &kVector, nullptr}, weights(3, 1, 0), 1.0);
    const double a = 1.5 + 1.0 / 3;
    expect_docs(got, {{A, 1.0}, {C, 1.25 / a}, {B, 1.0 / a}, {D, 0.25 / a}});
}

TEST(Rrf, ZeroWeightDisablesRetriever) {
    const auto got = clara::fuse_rrf({&kKeyword, &kVector, nullptr}, weights(1, 0, 1));
    // D (vector only) is gone; the rest is the keyword ranking.
    expect_docs(got, {{A, 1.0}, {B, 61.0 / 62}, {C, 61.0 / 63}});
    // Negative or NaN weights count as 0 (the SQL layer rejects them first).
    expect_docs(clara::fuse_rrf({&kKeyword, &kVector, nullptr}, weights(1, -2, 1)), got);
    expect_docs(clara::fuse_rrf({&kKeyword, &kVector, nullptr}, weights(1, NAN, 1)), got);
    EXPECT_TRUE(clara::valid_fusion_weight(0.0));
    EXPECT_TRUE(clara::valid_fusion_weight(2.5));
    EXPECT_FALSE(clara::valid_fusion_weight(-0.1));
    EXPECT_FALSE(clara::valid_fusion_weight(NAN));
    EXPECT_FALSE(clara::valid_fusion_weight(INFINITY));
    EXPECT_TRUE(clara::valid_fusion_weight(clara::kMaxFusionWeight));
    EXPECT_FALSE(clara::valid_fusion_weight(1e308));  // would overflow a weighted sum
}

TEST(Rrf, TiesByKeyAndDuplicates) {
    // Two lists ranking each other's documents in mirror order: equal sums.
    const Docs k = {{E, 2.0}, {B, 1.0}};
    const Docs v = {{B, 2.0}, {E, 1.0}, {B, 0.5}};  // B twice: its best entry counts
    const auto got = clara::fuse_rrf({&k, &v, nullptr}, weights(1, 1, 1));
    expect_docs(got, {{B, 1.0}, {E, 1.0}});
    // Equal scores within a list: ranked by key.
    const Docs tied = {{E, 1.0}, {C, 1.0}, {D, 1.0}};
    expect_docs(clara::fuse_rrf({&tied, nullptr, nullptr}, weights(1, 1, 1)),
                {{C, 1.0}, {D, 61.0 / 62}, {E, 61.0 / 63}});
}

TEST(Fusion, EmptyInputs) {
    const Docs empty;
    for (auto method : {clara::FusionMethod::kRrf, clara::FusionMethod::kWeighted}) {
        clara::FusionOptions o;
        o.method = method;
        EXPECT_TRUE(clara::fuse({nullptr, nullptr, nullptr}, o).empty());
        EXPECT_TRUE(clara::fuse({&empty, &empty, &empty}, o).empty());
        o.weights = weights(0, 0, 0);
        EXPECT_TRUE(clara::fuse({&kKeyword, &kVector, &kVector}, o).empty());
        o.weights = weights(1, 1, 1);
        EXPECT_EQ(clara::fuse({&empty, &kVector, nullptr}, o).size(), 3u);
    }
    EXPECT_TRUE(clara::normalise_scores(empty, clara::ScoreNormalisation::kMinMax).empty());
    EXPECT_TRUE(clara::graph_scores({}, {}).empty());
    EXPECT_TRUE(clara::graph_scores({{A, 1.0}}, {}).empty());
    EXPECT_TRUE(clara::graph_scores({}, {{A, B}}).empty());
}

TEST(Normalise, DivideByMaxAndMinMax) {
    const Docs in = {{A, 8.0}, {B, 2.0}, {C, -1.0}, {D, NAN}};
    expect_docs(clara::normalise_scores(in, clara::ScoreNormalisation::kDivideByMax),
                {{A, 1.0}, {B, 0.25}, {C, 0.0}, {D, 0.0}});
    // min -1 (NaN counts as 0), max 8.
    expect_docs(clara::normalise_scores(in, clara::ScoreNormalisation::kMinMax),
                {{A, 1.0}, {B, 3.0 / 9}, {C, 0.0}, {D, 1.0 / 9}});
    const Docs flat = {{A, 3.0}, {B, 3.0}};
    expect_docs(clara::normalise_scores(flat, clara::ScoreNormalisation::kMinMax), {{A, 1.0}, {B, 1.0}});
    expect_docs(clara::normalise_scores(flat, clara::ScoreNormalisation::kDivideByMax), {{A, 1.0}, {B, 1.0}});
    const Docs negative = {{A, -0.5}, {B, -0.1}};
    expect_docs(clara::normalise_scores(negative, clara::ScoreNormalisation::kDivideByMax), {{A, 0.0}, {B, 0.0}});
}

TEST(Weighted, HandComputedDivideByMax) {
    // keyword / 10: A 1, B 0.5, C 0.1; vector / 0.9: C 1, A 5/9, D 1/9.
    // weights keyword 1, vector 2: A 1 + 10/9, C 0.1 + 2, B 0.5, D 2/9.
    const auto got = clara::fuse_weighted({&kKeyword, &kVector, nullptr}, weights(1, 2, 1));
    const double a = 1.0 + 10.0 / 9;
    expect_docs(got, {{A, 1.0}, {C, 2.1 / a}, {B, 0.5 / a}, {D, (2.0 / 9) / a}});
    // Vector weight 3: C 3.1 overtakes A 1 + 15/9.
    const auto more = clara::fuse_weighted({&kKeyword, &kVector, nullptr}, weights(1, 3, 1));
    expect_docs(more, {{C, 1.0}, {A, (1.0 + 15.0 / 9) / 3.1}, {B, 0.5 / 3.1}, {D, (3.0 / 9) / 3.1}});
}

TEST(Weighted, HandComputedMinMax) {
    // keyword (s - 1) / 9: A 1, B 4/9, C 0; vector (s - 0.1) / 0.8: C 1, A 0.5, D 0.
    // Equal weights: A 1.5, C 1, B 4/9, D 0 (kept, at 0).
    const auto got = clara::fuse_weighted({&kKeyword, &kVector, nullptr}, weights(1, 1, 1),
                                          clara::ScoreNormalisation::kMinMax);
    expect_docs(got, {{A, 1.0}, {C, 1.0 / 1.5}, {B, (4.0 / 9) / 1.5}, {D, 0.0}});
}

TEST(Weighted, ZeroWeightAndSingleRetriever) {
    const Docs graph = {{E, 0.5}, {A, 0.25}};
    // Graph weight 0: E disappears; keyword alone keeps its order.
    const auto no_graph = clara::fuse_weighted({&kKeyword, nullptr, &graph}, weights(1, 1, 0));
    expect_docs(no_graph, {{A, 1.0}, {B, 0.5}, {C, 0.1}});
    // Scaling every weight changes nothing.
    expect_docs(clara::fuse_weighted({&kKeyword, &kVector, &graph}, weights(2, 2, 2)),
                clara::fuse_weighted({&kKeyword, &kVector, &graph}, weights(0.5, 0.5, 0.5)));
    // All fused scores 0: kept, at 0.
    const Docs negative = {{B, -1.0}, {A, -1.0}};
    expect_docs(clara::fuse_weighted({nullptr, &negative, nullptr}, weights(1, 1, 1)), {{A, 0.0}, {B, 0.0}});
}

TEST(Fusion, DispatchAndDeterministicOrder) {
    clara::FusionOptions o;
    o.method = clara::FusionMethod::kRrf;
    expect_docs(clara::fuse({&kKeyword, &kVector, nullptr}, o),
                clara::fuse_rrf({&kKeyword, &kVector, nullptr}, o.weights, 60.0));
    o.method = clara::FusionMethod::kWeighted;
    o.normalisation = clara::ScoreNormalisation::kMinMax;
    expect_docs(clara::fuse({&kKeyword, &kVector, nullptr}, o),
                clara::fuse_weighted({&kKeyword, &kVector, nullptr}, o.weights, clara::ScoreNormalisation::kMinMax));
    // Input order does not matter.
    const Docs k2 = {{C, 1.0}, {A, 10.0}, {B, 5.0}};
    const Docs v2 = {{A, 0.5}, {D, 0.1}, {C, 0.9}};
    for (auto m : {clara::FusionMethod::kRrf, clara::FusionMethod::kWeighted}) {
        o.method = m;
        expect_docs(clara::fuse({&k2, &v2, nullptr}, o), clara::fuse({&kKeyword, &kVector, nullptr}, o));
    }
}

TEST(Graph, HandComputed) {
    // Seeds A 1.0, B 0.6. Edges: A cites C, B cites C, D cites A, A cites B,
    // C cites C (ignored), A cites C again (counts once), E cites D (no seed).
    const Docs seeds = {{A, 1.0}, {B, 0.6}};
    const std::vector<clara::Edge> edges = {{A, C}, {B, C}, {D, A}, {A, B}, {C, C}, {A, C}, {E, D}};
    const auto got = clara::graph_scores(seeds, edges);
    // C: 1 - (1 - 0.5)(1 - 0.3) = 0.65. B: cited by A, 0.5. D: cites A, 0.5.
    // A: cites B, 0.5 * 0.6 = 0.3.
    expect_docs(got, {{C, 0.65}, {B, 0.5}, {D, 0.5}, {A, 0.3}});
}

TEST(Graph, DirectionalDecaysAndClamping) {
    clara::GraphParams p;
    p.cites_decay = 0.8;     // documents a seed cites
    p.cited_by_decay = 0.2;  // documents citing a seed
    // Seed scores are clamped to 0..1; duplicates keep the best; zero seeds add nothing.
    const Docs seeds = {{A, 2.0}, {A, 0.1}, {E, 0.0}};
    const std::vector<clara::Edge> edges = {{A, B}, {C, A}, {B, A}, {E, D}};
    // B: A cites B (0.8) and B cites A (0.2) -> one pair, the larger: 0.8. C: 0.2.
    expect_docs(clara::graph_scores(seeds, edges, p), {{B, 0.8}, {C, 0.2}});
    // Many links approach 1, never beyond.
    Docs many;
    std::vector<clara::Edge> star;
    for (uint32_t s = 100; s < 140; ++s) {
        many.push_back({s, 1.0});
        star.push_back({s, A});
    }
    const auto hub = clara::graph_scores(many, star);
    ASSERT_EQ(hub.size(), 1u);
    EXPECT_EQ(hub[0].doc_key, A);
    EXPECT_NEAR(hub[0].score, 1.0 - std::pow(0.5, 40), 1e-12);
    EXPECT_LE(hub[0].score, 1.0);
}

TEST(Graph, FusesAsThirdRetriever) {
    const Docs seeds = clara::fuse_weighted({&kKeyword, &kVector, nullptr}, weights(1, 1, 0));
    const auto graph = clara::graph_scores(seeds, {{A, E}});
    ASSERT_EQ(graph.size(), 1u);
    EXPECT_EQ(graph[0].doc_key, E);
    const auto fused = clara::fuse_weighted({&kKeyword, &kVector, &graph}, weights(1, 1, 1));
    ASSERT_EQ(fused.size(), 5u);
    EXPECT_EQ(fused[0].score, 1.0);
    for (size_t i = 1; i < fused.size(); ++i) EXPECT_TRUE(clara::ranks_before(fused[i - 1], fused[i]));
}

// Ranked lists (what the extension's retrievers hand over) take a fast path
// without the per-list sorts; shuffled copies of the same lists take the
// general one. Both must give the same bits, duplicates and ties included.
TEST(Fusion, FastPathMatchesGeneralPath) {
    uint64_t state = 12345;
    auto next = [&state]() {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<uint32_t>(state >> 33);
    };
    for (int round = 0; round < 20; ++round) {
        std::vector<ScoredDoc> lists[3];
        for (auto &l : lists) {
            size_t n = next() % 400;
            for (size_t i = 0; i < n; ++i)
                l.push_back(ScoredDoc{next() % 500, static_cast<double>(next() % 50) / 7.0});  // ties, duplicates
            std::sort(l.begin(), l.end(), clara::ranks_before);
        }
        std::vector<ScoredDoc> shuffled[3];
        for (int r = 0; r < 3; ++r) {
            shuffled[r] = lists[r];
            std::reverse(shuffled[r].begin(), shuffled[r].end());
        }
        clara::FusionLists ranked{&lists[0], &lists[1], &lists[2]};
        clara::FusionLists general{&shuffled[0], &shuffled[1], &shuffled[2]};
        clara::FusionWeights w{1.0, 0.7, round % 2 ? 0.0 : 0.1};
        auto same = [](const std::vector<ScoredDoc> &a, const std::vector<ScoredDoc> &b) {
            if (a.size() != b.size()) return false;
            for (size_t i = 0; i < a.size(); ++i)
                if (a[i].doc_key != b[i].doc_key || a[i].score != b[i].score) return false;
            return true;
        };
        EXPECT_TRUE(same(clara::fuse_rrf(ranked, w), clara::fuse_rrf(general, w))) << round;
        EXPECT_TRUE(same(clara::fuse_weighted(ranked, w), clara::fuse_weighted(general, w))) << round;
        EXPECT_TRUE(same(clara::fuse_weighted(ranked, w, clara::ScoreNormalisation::kMinMax),
                         clara::fuse_weighted(general, w, clara::ScoreNormalisation::kMinMax)))
            << round;
    }
}

// The retrievers hand over lists with each key once, the keyword list in no
// order at all: weighted fusion gives the same bits as from ranked lists, and
// with `ordered` only a prefix comes out ranked.
TEST(Fusion, UnorderedUniqueListsAndOrderedPrefix) {
    uint64_t state = 777;
    auto next = [&state]() {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<uint32_t>(state >> 33);
    };
    for (int round = 0; round < 20; ++round) {
        std::vector<ScoredDoc> ranked[3], shuffled[3];
        for (int r = 0; r < 3; ++r) {
            std::vector<uint32_t> keys(3000);
            for (uint32_t i = 0; i < keys.size(); ++i) keys[i] = i;
            for (size_t i = keys.size() - 1; i > 0; --i) std::swap(keys[i], keys[next() % (i + 1)]);
            const size_t n = 200 + next() % 1500;
            for (size_t i = 0; i < n; ++i) ranked[r].push_back(ScoredDoc{keys[i], double(next() % 60) / 7.0});
            shuffled[r] = ranked[r];  // unique keys, random order
            std::sort(ranked[r].begin(), ranked[r].end(), clara::ranks_before);
        }
        const clara::FusionWeights w{1.0, 1.5, round % 2 ? 0.0 : 0.3};
        const auto full = clara::fuse_weighted({&ranked[0], &ranked[1], &ranked[2]}, w);
        const auto from_shuffled = clara::fuse_weighted({&shuffled[0], &shuffled[1], &shuffled[2]}, w);
        ASSERT_EQ(full.size(), from_shuffled.size());
        for (size_t i = 0; i < full.size(); ++i) {
            EXPECT_EQ(full[i].doc_key, from_shuffled[i].doc_key);
            EXPECT_EQ(full[i].score, from_shuffled[i].score);
        }
        const size_t prefix = 1 + next() % 100;
        auto part = clara::fuse_weighted({&shuffled[0], &shuffled[1], &shuffled[2]}, w,
                                         clara::ScoreNormalisation::kDivideByMax, prefix);
        ASSERT_EQ(part.size(), full.size());
        for (size_t i = 0; i < prefix; ++i) EXPECT_EQ(part[i].doc_key, full[i].doc_key) << i;
        std::sort(part.begin(), part.end(), clara::ranks_before);  // the rest: the same entries
        for (size_t i = 0; i < full.size(); ++i) EXPECT_EQ(part[i].doc_key, full[i].doc_key);
    }
    // RRF needs ranks: an unordered list is ranked first (the general path).
    std::vector<ScoredDoc> a = {{3, 1.0}, {1, 5.0}, {2, 3.0}};
    std::vector<ScoredDoc> b = {{1, 5.0}, {2, 3.0}, {3, 1.0}};
    const auto ra = clara::fuse_rrf({&a, nullptr, nullptr}, clara::FusionWeights{1, 1, 1});
    const auto rb = clara::fuse_rrf({&b, nullptr, nullptr}, clara::FusionWeights{1, 1, 1});
    ASSERT_EQ(ra.size(), 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(ra[i].doc_key, rb[i].doc_key);
    EXPECT_EQ(ra[0].doc_key, 1u);
}
