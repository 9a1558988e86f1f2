// Okapi BM25 over a compact postings format. Pure C++: no PostgreSQL headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace clara {

struct Bm25Params {
    double k1 = 1.2;
    double b = 0.75;
    // Title boost: each query term adds title_weight * bm25_title_score() of
    // its occurrences in the title. 0 = textbook Okapi BM25.
    double title_weight = 0.0;
};

// One document in a term's postings list. Postings are stored in bytea blocks
// of kPostingBytes little-endian bytes each: doc_key, term frequency (low 24
// bits) with its frequency in the title (high 8 bits), and the document's
// length, so a query is scored from postings alone.
struct Posting {
    uint32_t doc_key;
    uint32_t tf;  // stored capped at kMaxPostingTf
    uint32_t doc_length;
    uint32_t title_tf = 0;  // stored capped at 255
};
constexpr size_t kPostingBytes = 12;
constexpr uint32_t kMaxPostingTf = 0xFFFFFF;

void append_posting(std::string &block, const Posting &p);
Posting read_posting(const unsigned char *bytes);

// idf = ln(1 + (N - n + 0.5) / (n + 0.5)): never negative, unlike the
// original Robertson-Sparck Jones form.
double bm25_idf(double n_docs, double doc_freq);

// The contribution of one term to one document's score.
double bm25_term_score(double tf, double doc_length, double avg_doc_length, double idf,
                       const Bm25Params &params = Bm25Params{});

// The title field's score of a term: idf * tf (k1 + 1) / (tf + k1), BM25
// without length normalisation (a title is short: a match in it is what
// counts). Added to the document's score times params.title_weight.
double bm25_title_score(double title_tf, double idf, const Bm25Params &params = Bm25Params{});

struct ScoredDoc {
    uint32_t doc_key;
    double score;
};

// Ranking order: score descending, then doc_key ascending for a stable order.
// A function object, so that std::sort inlines it (through a function
// pointer, sorting 775K candidates took three times as long).
inline constexpr auto ranks_before = [](const ScoredDoc &a, const ScoredDoc &b) {
    if (a.score != b.score) return a.score > b.score;
    return a.doc_key < b.doc_key;
};

// Orders v[from, end) far enough that v[from, from + n) holds its n best
// entries by ranks_before, in that order (the rest follows, unordered): the
// ranking reads candidates until top_k pass its checks, which is rarely more
// than a small part of 775K matches, so a full sort is mostly wasted.
void rank_prefix(std::vector<ScoredDoc> &v, size_t from, size_t n);

// Sums BM25 term scores per document, one query term at a time. Terms must be
// added in the same order for every query so equal documents get equal sums.
class Bm25Scorer {
public:
    Bm25Scorer() = default;
    Bm25Scorer(double n_docs, double avg_doc_length, Bm25Params params = Bm25Params{});

    // Starts a new query over a corpus of n_docs documents (params unchanged,
    // or the given ones).
    void reset(double n_docs, double avg_doc_length);
    void reset(double n_docs, double avg_doc_length, const Bm25Params &params);

    // Starts a query term with document frequency df.
    void begin_term(double doc_freq);
    // Adds a block of packed postings (count entries) for the current term.
    void add_postings(const unsigned char *block, size_t count);
    // Every matching document, sorted by ranks_before. Leaves the scorer empty.
    std::vector<ScoredDoc> take_ranked();
    // Every matching document in no particular order (rank_prefix orders as
    // much of it as a caller reads). Leaves the scorer empty.
    std::vector<ScoredDoc> take_candidates();

    size_t candidate_count() const { return touched_.size(); }

private:
    double n_docs_ = 0.0;
    double avg_doc_length_ = 0.0;
    Bm25Params params_;
    double idf_ = 0.0;
    // Scores by doc_key, and the keys with a score: at 1M documents a dense
    // array is both smaller and several times faster than a hash map.
    std::vector<double> score_;
    std::vector<uint32_t> touched_;
};

}  // namespace clara
