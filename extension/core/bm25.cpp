#include "bm25.hpp"

#include <algorithm>
#include <cmath>

namespace clara {

namespace {

inline void put_u32(std::string &out, uint32_t v) {
    char b[4] = {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF), static_cast<char>((v >> 16) & 0xFF),
                 static_cast<char>((v >> 24) & 0xFF)};
    out.append(b, 4);
}

inline uint32_t get_u32(const unsigned char *p) {
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
           (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

void append_posting(std::string &block, const Posting &p) {
    const uint32_t tf = p.tf < kMaxPostingTf ? p.tf : kMaxPostingTf;
    const uint32_t title_tf = p.title_tf < 255 ? p.title_tf : 255;
    put_u32(block, p.doc_key);
    put_u32(block, tf | title_tf << 24);
    put_u32(block, p.doc_length);
}

Posting read_posting(const unsigned char *bytes) {
    const uint32_t tf = get_u32(bytes + 4);
    return Posting{get_u32(bytes), tf & kMaxPostingTf, get_u32(bytes + 8), tf >> 24};
}

double bm25_idf(double n_docs, double doc_freq) { return std::log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5)); }

double bm25_term_score(double tf, double doc_length, double avg_doc_length, double idf, const Bm25Params &params) {
    if (tf <= 0.0) return 0.0;
    // An empty corpus has no average length; treat every document as average.
    double norm = avg_doc_length > 0.0 ? doc_length / avg_doc_length : 1.0;
    double denom = tf + params.k1 * (1.0 - params.b + params.b * norm);
    return idf * tf * (params.k1 + 1.0) / denom;
}

double bm25_title_score(double title_tf, double idf, const Bm25Params &params) {
    if (title_tf <= 0.0) return 0.0;
    return idf * title_tf * (params.k1 + 1.0) / (title_tf + params.k1);
}

Bm25Scorer::Bm25Scorer(double n_docs, double avg_doc_length, Bm25Params params)
    : n_docs_(n_docs), avg_doc_length_(avg_doc_length), params_(params) {}

void Bm25Scorer::reset(double n_docs, double avg_doc_length) {
    n_docs_ = n_docs;
    avg_doc_length_ = avg_doc_length;
    idf_ = 0.0;
    for (const uint32_t key : touched_) score_[key] = 0.0;
    touched_.clear();
}

void Bm25Scorer::reset(double n_docs, double avg_doc_length, const Bm25Params &params) {
    params_ = params;
    reset(n_docs, avg_doc_length);
}

void Bm25Scorer::begin_term(double doc_freq) { idf_ = bm25_idf(n_docs_, doc_freq); }

void Bm25Scorer::add_postings(const unsigned char *block, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        Posting p = read_posting(block + i * kPostingBytes);
        double s = bm25_term_score(p.tf, p.doc_length, avg_doc_length_, idf_, params_);
        if (params_.title_weight > 0.0) s += params_.title_weight * bm25_title_score(p.title_tf, idf_, params_);
        // Every real posting scores > 0 (idf > 0, tf > 0), so a score of 0
        // means the key was not touched yet.
        if (!(s > 0.0)) continue;
        if (p.doc_key >= score_.size()) score_.resize(std::max<size_t>(size_t(p.doc_key) + 1, score_.size() * 2), 0.0);
        double &d = score_[p.doc_key];
        if (d == 0.0) touched_.push_back(p.doc_key);
        d += s;
    }
}

void rank_prefix(std::vector<ScoredDoc> &v, size_t from, size_t n) {
    if (from >= v.size() || n == 0) return;
    const auto first = v.begin() + static_cast<std::ptrdiff_t>(from);
    // Selecting first pays only while the prefix is a small part of the rest.
    if (n >= (v.size() - from) / 4) {
        std::sort(first, v.end(), ranks_before);
        return;
    }
    const auto mid = first + static_cast<std::ptrdiff_t>(n);
    std::nth_element(first, mid, v.end(), ranks_before);
    std::sort(first, mid, ranks_before);
}

std::vector<ScoredDoc> Bm25Scorer::take_candidates() {
    std::vector<ScoredDoc> out;
    out.reserve(touched_.size());
    for (const uint32_t key : touched_) {
        out.push_back(ScoredDoc{key, score_[key]});
        score_[key] = 0.0;
    }
    touched_.clear();
    return out;
}

std::vector<ScoredDoc> Bm25Scorer::take_ranked() {
    std::vector<ScoredDoc> ranked = take_candidates();
    std::sort(ranked.begin(), ranked.end(), ranks_before);
    return ranked;
}

}  // namespace clara
