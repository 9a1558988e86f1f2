#include "bm25.hpp"

#include <algorithm>
#include <cmath>

namespace clara {

namespace {

inline void put_u32(std::string &out, uint32_t v) {
    char b[4] = {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF),
                 static_cast<char>((v >> 16) & 0xFF), static_cast<char>((v >> 24) & 0xFF)};
    out.append(b, 4);
}

inline uint32_t get_u32(const unsigned char *p) {
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
           (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

void append_posting(std::string &block, const Posting &p) {
    put_u32(block, p.doc_key);
    put_u32(block, p.tf);
    put_u32(block, p.doc_length);
}

Posting read_posting(const unsigned char *bytes) {
    return Posting{get_u32(bytes), get_u32(bytes + 4), get_u32(bytes + 8)};
}

double bm25_idf(double n_docs, double doc_freq) {
    return std::log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5));
}

double bm25_term_score(double tf, double doc_length, double avg_doc_length, double idf,
                       const Bm25Params &params) {
    if (tf <= 0.0) return 0.0;
    // An empty corpus has no average length; treat every document as average.
    double norm = avg_doc_length > 0.0 ? doc_length / avg_doc_length : 1.0;
    double denom = tf + params.k1 * (1.0 - params.b + params.b * norm);
    return idf * tf * (params.k1 + 1.0) / denom;
}

Bm25Scorer::Bm25Scorer(double n_docs, double avg_doc_length, Bm25Params params)
    : n_docs_(n_docs), avg_doc_length_(avg_doc_length), params_(params) {}

void Bm25Scorer::reset(double n_docs, double avg_doc_length) {
    n_docs_ = n_docs;
    avg_doc_length_ = avg_doc_length;
    idf_ = 0.0;
    scores_.clear();
}

void Bm25Scorer::begin_term(double doc_freq) { idf_ = bm25_idf(n_docs_, doc_freq); }

void Bm25Scorer::add_postings(const unsigned char *block, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        Posting p = read_posting(block + i * kPostingBytes);
        scores_[p.doc_key] += bm25_term_score(p.tf, p.doc_length, avg_doc_length_, idf_, params_);
    }
}

std::vector<ScoredDoc> Bm25Scorer::take_ranked() {
    std::vector<ScoredDoc> ranked;
    ranked.reserve(scores_.size());
    for (const auto &kv : scores_) ranked.push_back(ScoredDoc{kv.first, kv.second});
    scores_.clear();
    std::sort(ranked.begin(), ranked.end(), ranks_before);
    return ranked;
}

}  // namespace clara
