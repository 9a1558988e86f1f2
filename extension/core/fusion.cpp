// Result fusion and graph scores. See fusion.hpp.
#include "fusion.hpp"

#include <algorithm>
#include <cmath>

namespace clara {
namespace {

inline double usable_weight(double w) { return valid_fusion_weight(w) ? w : 0.0; }

// One score of a list mapped to 0..1, given the list's lowest and highest.
inline double normalised(double s, double lo, double hi, ScoreNormalisation how) {
    if (how == ScoreNormalisation::kMinMax) return hi > lo ? (s - lo) / (hi - lo) : 1.0;
    return hi > 0.0 ? std::max(s, 0.0) / hi : 0.0;
}

// A list ranked by ranks_before, one entry per key (its best), non-finite
// scores replaced by -infinity (they rank last).
std::vector<ScoredDoc> ranked_unique(const std::vector<ScoredDoc> &list) {
    std::vector<ScoredDoc> r(list);
    for (ScoredDoc &d : r)
        if (!std::isfinite(d.score)) d.score = -HUGE_VAL;
    std::sort(r.begin(), r.end(), [](const ScoredDoc &a, const ScoredDoc &b) {
        if (a.doc_key != b.doc_key) return a.doc_key < b.doc_key;
        return a.score > b.score;
    });
    r.erase(
        std::unique(r.begin(), r.end(), [](const ScoredDoc &a, const ScoredDoc &b) { return a.doc_key == b.doc_key; }),
        r.end());
    std::sort(r.begin(), r.end(), ranks_before);
    return r;
}

struct Contribution {
    uint32_t doc_key;
    uint32_t source;  // retriever index: sums are taken in this order
    double value;
};

// Sums contributions per document (in retriever order), divides by the
// largest sum, ranks.
std::vector<ScoredDoc> combine(std::vector<Contribution> &parts) {
    std::sort(parts.begin(), parts.end(), [](const Contribution &a, const Contribution &b) {
        if (a.doc_key != b.doc_key) return a.doc_key < b.doc_key;
        return a.source < b.source;
    });
    std::vector<ScoredDoc> out;
    for (size_t i = 0; i < parts.size();) {
        double sum = 0.0;
        const uint32_t key = parts[i].doc_key;
        for (; i < parts.size() && parts[i].doc_key == key; ++i) sum += parts[i].value;
        out.push_back(ScoredDoc{key, sum});
    }
    double best = 0.0;
    for (const ScoredDoc &d : out) best = std::max(best, d.score);
    if (best > 0.0)
        for (ScoredDoc &d : out) d.score = d.score / best;
    std::sort(out.begin(), out.end(), ranks_before);
    return out;
}

// The fast path of both fusions, when every enabled list has finite scores
// and is already ranked (ranks_before), or, for weighted fusion, holds each
// key once in any order (as the extension's retrievers give them), and the
// keys are small enough for arrays indexed by key: no sort but the final
// one, of the first `ordered` entries. It gives the same bits as the general
// path: each key's first (best) entry per list counts, values are summed per
// document in retriever order starting from 0.0, then divided by the
// largest sum. False (out untouched) when it does not apply.
bool fuse_dense(const FusionLists &lists, const FusionWeights &weights, bool rrf, double k, ScoreNormalisation how,
                size_t ordered, FusionScratch &scratch, std::vector<ScoredDoc> &out) {
    size_t total = 0;
    uint32_t max_key = 0;
    bool sorted[kSearchTypeCount] = {};
    for (size_t r = 0; r < kSearchTypeCount; ++r) {
        if (lists[r] == nullptr || usable_weight(weights.of(SearchType(r))) == 0.0) continue;
        const std::vector<ScoredDoc> &l = *lists[r];
        // RRF needs the ranks, so the order.
        sorted[r] = std::is_sorted(l.begin(), l.end(), ranks_before);
        if (rrf && !sorted[r]) return false;
        for (const ScoredDoc &d : l) {
            if (!std::isfinite(d.score)) return false;
            max_key = std::max(max_key, d.doc_key);
        }
        total += l.size();
    }
    if (total == 0) {
        out.clear();
        return true;
    }
    if (max_key > 4 * total + (1u << 20)) return false;
    // All zero between calls: only the entries of the keys used are reset.
    std::vector<double> &sum = scratch.sum;
    std::vector<uint8_t> &seen = scratch.seen;  // bit r: counted in list r; bit 7: listed in keys
    std::vector<uint32_t> &keys = scratch.keys;
    if (sum.size() <= max_key) {
        sum.resize(size_t(max_key) + 1, 0.0);
        seen.resize(size_t(max_key) + 1, 0);
    }
    keys.clear();
    for (size_t r = 0; r < kSearchTypeCount; ++r) {
        const double w = usable_weight(weights.of(SearchType(r)));
        if (lists[r] == nullptr || w == 0.0) continue;
        const std::vector<ScoredDoc> &l = *lists[r];
        const uint8_t bit = uint8_t(1u << r);
        // The range of the list's counted (first) entries, for normalising.
        double lo = HUGE_VAL, hi = -HUGE_VAL;
        for (const ScoredDoc &d : l) {
            if (seen[d.doc_key] & bit) {
                if (!sorted[r]) {  // which entry is the best would need a sort
                    for (const ScoredDoc &e : l) seen[e.doc_key] = 0;
                    for (const uint32_t key : keys) {
                        sum[key] = 0.0;
                        seen[key] = 0;
                    }
                    return false;
                }
                continue;
            }
            seen[d.doc_key] |= bit;
            lo = std::min(lo, d.score);
            hi = std::max(hi, d.score);
        }
        for (const ScoredDoc &d : l) seen[d.doc_key] &= uint8_t(~bit);
        size_t rank = 0;
        for (const ScoredDoc &d : l) {
            uint8_t &m = seen[d.doc_key];
            if (m & bit) continue;
            m |= bit;
            if (!(m & 0x80)) {
                m |= 0x80;
                keys.push_back(d.doc_key);
            }
            ++rank;
            sum[d.doc_key] += rrf ? w / (k + double(rank)) : w * normalised(d.score, lo, hi, how);
        }
    }
    out.clear();
    out.reserve(keys.size());
    double best = 0.0;
    for (uint32_t key : keys) {
        out.push_back(ScoredDoc{key, sum[key]});
        best = std::max(best, sum[key]);
        sum[key] = 0.0;
        seen[key] = 0;
    }
    if (best > 0.0)
        for (ScoredDoc &d : out) d.score = d.score / best;
    rank_prefix(out, 0, ordered);
    return true;
}

}  // namespace

bool valid_fusion_weight(double w) { return std::isfinite(w) && w >= 0.0 && w <= kMaxFusionWeight; }

std::vector<ScoredDoc> fuse_rrf(const FusionLists &lists, const FusionWeights &weights, double k, size_t ordered) {
    FusionScratch scratch;
    std::vector<ScoredDoc> out;
    fuse_rrf_into(lists, weights, k, ordered, scratch, out);
    return out;
}

void fuse_rrf_into(const FusionLists &lists, const FusionWeights &weights, double k, size_t ordered,
                   FusionScratch &scratch, std::vector<ScoredDoc> &out) {
    if (!(k >= 0.0) || !std::isfinite(k)) k = 60.0;
    if (fuse_dense(lists, weights, true, k, ScoreNormalisation::kDivideByMax, ordered, scratch, out)) return;
    std::vector<Contribution> parts;
    for (size_t r = 0; r < kSearchTypeCount; ++r) {
        const double w = usable_weight(weights.of(SearchType(r)));
        if (lists[r] == nullptr || w == 0.0) continue;
        const std::vector<ScoredDoc> ranked = ranked_unique(*lists[r]);
        for (size_t i = 0; i < ranked.size(); ++i)
            parts.push_back(Contribution{ranked[i].doc_key, uint32_t(r), w / (k + double(i + 1))});
    }
    out = combine(parts);
}

std::vector<ScoredDoc> normalise_scores(const std::vector<ScoredDoc> &list, ScoreNormalisation how) {
    std::vector<ScoredDoc> out(list);
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (ScoredDoc &d : out) {
        if (!std::isfinite(d.score)) d.score = 0.0;
        lo = std::min(lo, d.score);
        hi = std::max(hi, d.score);
    }
    for (ScoredDoc &d : out) d.score = normalised(d.score, lo, hi, how);
    return out;
}

std::vector<ScoredDoc> fuse_weighted(const FusionLists &lists, const FusionWeights &weights, ScoreNormalisation how,
                                     size_t ordered) {
    FusionScratch scratch;
    std::vector<ScoredDoc> out;
    fuse_weighted_into(lists, weights, how, ordered, scratch, out);
    return out;
}

void fuse_weighted_into(const FusionLists &lists, const FusionWeights &weights, ScoreNormalisation how, size_t ordered,
                        FusionScratch &scratch, std::vector<ScoredDoc> &out) {
    if (fuse_dense(lists, weights, false, 0.0, how, ordered, scratch, out)) return;
    std::vector<Contribution> parts;
    for (size_t r = 0; r < kSearchTypeCount; ++r) {
        const double w = usable_weight(weights.of(SearchType(r)));
        if (lists[r] == nullptr || w == 0.0) continue;
        for (const ScoredDoc &d : normalise_scores(ranked_unique(*lists[r]), how))
            parts.push_back(Contribution{d.doc_key, uint32_t(r), w * d.score});
    }
    out = combine(parts);
}

std::vector<ScoredDoc> fuse(const FusionLists &lists, const FusionOptions &options) {
    FusionScratch scratch;
    std::vector<ScoredDoc> out;
    fuse(lists, options, scratch, out);
    return out;
}

void fuse(const FusionLists &lists, const FusionOptions &options, FusionScratch &scratch, std::vector<ScoredDoc> &out) {
    if (options.method == FusionMethod::kRrf)
        fuse_rrf_into(lists, options.weights, options.rrf_k, options.ordered, scratch, out);
    else
        fuse_weighted_into(lists, options.weights, options.normalisation, options.ordered, scratch, out);
}

std::vector<ScoredDoc> graph_scores(const std::vector<ScoredDoc> &seeds, const std::vector<Edge> &edges,
                                    const GraphParams &params) {
    auto clamp01 = [](double x) { return x >= 0.0 ? (x <= 1.0 ? x : 1.0) : 0.0; };  // NaN -> 0
    // Seeds by key, best score per key.
    std::vector<ScoredDoc> s(seeds);
    for (ScoredDoc &d : s) d.score = clamp01(d.score);
    std::sort(s.begin(), s.end(), [](const ScoredDoc &a, const ScoredDoc &b) {
        if (a.doc_key != b.doc_key) return a.doc_key < b.doc_key;
        return a.score > b.score;
    });
    s.erase(
        std::unique(s.begin(), s.end(), [](const ScoredDoc &a, const ScoredDoc &b) { return a.doc_key == b.doc_key; }),
        s.end());
    auto seed_score = [&s](uint32_t key, double *score) {
        auto it = std::lower_bound(s.begin(), s.end(), key,
                                   [](const ScoredDoc &d, uint32_t k) { return d.doc_key < k; });
        if (it == s.end() || it->doc_key != key) return false;
        *score = it->score;
        return true;
    };
    const double cites = clamp01(params.cites_decay);
    const double cited_by = clamp01(params.cited_by_decay);

    struct Link {
        uint32_t doc, seed;
        double c;
    };
    std::vector<Link> links;
    if (!s.empty()) {
        for (const Edge &e : edges) {
            if (e.src == e.dst) continue;
            double score;
            if (seed_score(e.src, &score) && score * cites > 0.0) links.push_back(Link{e.dst, e.src, score * cites});
            if (seed_score(e.dst, &score) && score * cited_by > 0.0)
                links.push_back(Link{e.src, e.dst, score * cited_by});
        }
    }
    std::sort(links.begin(), links.end(), [](const Link &a, const Link &b) {
        if (a.doc != b.doc) return a.doc < b.doc;
        if (a.seed != b.seed) return a.seed < b.seed;
        return a.c > b.c;
    });
    std::vector<ScoredDoc> out;
    for (size_t i = 0; i < links.size();) {
        const uint32_t doc = links[i].doc;
        double miss = 1.0;  // probability that no seed "vouches" for doc
        while (i < links.size() && links[i].doc == doc) {
            const uint32_t seed = links[i].seed;
            miss *= 1.0 - links[i].c;  // the largest c of this pair (sorted first)
            while (i < links.size() && links[i].doc == doc && links[i].seed == seed) ++i;
        }
        out.push_back(ScoredDoc{doc, 1.0 - miss});
    }
    std::sort(out.begin(), out.end(), ranks_before);
    return out;
}

}  // namespace clara
