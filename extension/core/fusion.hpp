// Fusion of keyword / vector / graph result lists, and the graph score.
// Pure C++17: no PostgreSQL headers. Design notes: docs/hybrid.md.
//
// Every list is a std::vector<ScoredDoc> (bm25.hpp) in any order; it is
// ranked here by ranks_before (score descending, doc_key ascending). A key
// listed twice in one list counts once, with its best entry. Output lists
// are ranked the same way, with the best document at relevance 1.0.
//
// Weights: a retriever whose weight is 0 (or whose list pointer is null)
// takes no part at all: documents only it found do not appear. Weights must
// be finite, >= 0 and at most kMaxFusionWeight (valid_fusion_weight); the SQL layer rejects others
// with a clear error, and these functions treat them as 0. Non-finite scores
// in a list count as 0 (weighted fusion) or rank last (RRF).
#pragma once

#include "bm25.hpp"  // ScoredDoc, ranks_before

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace clara {

enum class SearchType : size_t { kKeyword = 0, kVector = 1, kGraph = 2 };
constexpr size_t kSearchTypeCount = 3;

struct FusionWeights {
    double keyword = 1.0;
    double vector = 1.0;
    double graph = 1.0;
    double of(SearchType t) const {
        return t == SearchType::kKeyword ? keyword : t == SearchType::kVector ? vector : graph;
    }
    double &of(SearchType t) { return t == SearchType::kKeyword ? keyword : t == SearchType::kVector ? vector : graph; }
};

// Only the ratios between weights matter; the cap keeps every weighted sum
// far from overflow (three lists, scores normalised to 0..1).
constexpr double kMaxFusionWeight = 1e6;
bool valid_fusion_weight(double w);  // finite, 0 <= w <= kMaxFusionWeight

// One list per search type, indexed by SearchType; nullptr = not searched.
using FusionLists = std::array<const std::vector<ScoredDoc> *, kSearchTypeCount>;

// Reciprocal rank fusion: fused(d) = sum over retrievers r with d in list r
// of weight_r / (k + rank_r(d)), rank 1-based. Then divided by the largest
// fused value, so the best document has 1.0. The first `ordered` entries
// come out ranked (ranks_before), the rest after them unordered.
std::vector<ScoredDoc> fuse_rrf(const FusionLists &lists, const FusionWeights &weights, double k = 60.0,
                                size_t ordered = SIZE_MAX);

// How weighted fusion maps each list's scores to 0..1 before weighting.
enum class ScoreNormalisation {
    // s / max(s) over the list, negative scores clamped to 0 (a list whose
    // scores are all <= 0 gives 0 everywhere). The default: keeps the ratios
    // BM25 and cosine produce, and a document's value does not depend on how
    // deep the candidate list goes.
    kDivideByMax,
    // (s - min) / (max - min); all equal -> 1. The weakest candidate gets 0,
    // the same as "not found", however good it is.
    kMinMax,
};

// Scores of one list mapped to 0..1, same order as given (no dedup).
std::vector<ScoredDoc> normalise_scores(const std::vector<ScoredDoc> &list, ScoreNormalisation how);

// Weighted fusion: fused(d) = sum_r weight_r * norm_r(d) (0 where d is not
// in list r), then divided by the largest fused value (best = 1.0; if every
// fused value is 0, all stay 0). Documents of an enabled list are kept even
// at 0. Lists may come in any order when each key is in them once. The
// first `ordered` entries come out ranked, the rest after them unordered.
std::vector<ScoredDoc> fuse_weighted(const FusionLists &lists, const FusionWeights &weights,
                                     ScoreNormalisation how = ScoreNormalisation::kDivideByMax,
                                     size_t ordered = SIZE_MAX);

enum class FusionMethod { kRrf, kWeighted };

// The extension's default method is whichever measures best on the
// evaluation set (docs/hybrid.md); the struct default is only a default.
struct FusionOptions {
    FusionMethod method = FusionMethod::kWeighted;
    FusionWeights weights;
    double rrf_k = 60.0;
    ScoreNormalisation normalisation = ScoreNormalisation::kDivideByMax;
    // How many of the fused entries come out in ranking order (rank_prefix);
    // the rest follow unordered. SIZE_MAX: all of them.
    size_t ordered = SIZE_MAX;
};

std::vector<ScoredDoc> fuse(const FusionLists &lists, const FusionOptions &options);

// Buffers fusion reuses between calls: a ranking that searches the graph
// fuses twice, and at 1M documents each call would otherwise take ~25 MB of
// fresh memory (first-touch page faults are most of a fusion's cost then).
// Between calls every element of sum and seen is 0.
struct FusionScratch {
    std::vector<double> sum;
    std::vector<uint8_t> seen;
    std::vector<uint32_t> keys;
};

// The same into out (its capacity reused), with scratch's buffers.
void fuse(const FusionLists &lists, const FusionOptions &options, FusionScratch &scratch, std::vector<ScoredDoc> &out);
void fuse_rrf_into(const FusionLists &lists, const FusionWeights &weights, double k, size_t ordered,
                   FusionScratch &scratch, std::vector<ScoredDoc> &out);
void fuse_weighted_into(const FusionLists &lists, const FusionWeights &weights, ScoreNormalisation how, size_t ordered,
                        FusionScratch &scratch, std::vector<ScoredDoc> &out);

// ---------------------------------------------------------------------------
// Graph score. An edge (src, dst) means "src cites dst" (doc keys).
struct Edge {
    uint32_t src;
    uint32_t dst;
};

struct GraphParams {
    double cites_decay = 0.5;     // seed cites the document
    double cited_by_decay = 0.5;  // the document cites the seed
};

// Seeds: the strong hits (e.g. fused keyword + vector relevance), scores in
// 0..1 (clamped). Every document adjacent to a seed, in either direction,
// gets from each adjacent seed s the evidence c = decay * score(s) (decay of
// the edge's direction; several edges between the same pair count once, the
// larger c), and the evidence from different seeds combines as a noisy-or:
//     graph(d) = 1 - prod_s (1 - c_s)
// One link gives decay * score; more links from strong seeds approach 1,
// never beyond; order-independent. A seed gets a graph score only through
// edges to other seeds; self-edges are ignored. Edges not touching a seed are
// ignored, so edges may be passed unfiltered. Ranked; scores are not
// re-normalised (the best may be < 1).
std::vector<ScoredDoc> graph_scores(const std::vector<ScoredDoc> &seeds, const std::vector<Edge> &edges,
                                    const GraphParams &params = GraphParams{});

}  // namespace clara
