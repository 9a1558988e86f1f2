// Ranking: BM25 over the postings (keyword), or the fusion of keyword,
// vector and graph lists (hybrid.cpp); then filters and min_quality applied
// to the candidates in rank order, so the result is exactly
// min(top_k, matching documents) documents, each once, ordered by score
// descending, then document_id (bytewise).
#pragma once

#include "bm25.hpp"
#include "fusion.hpp"
#include "request.hpp"
#include "vector.hpp"

#include <vector>

namespace clara::pg {

// The ranked result: compact keys and scores only, no text.
struct Ranking {
    clara::Bm25Scorer scorer;
    std::vector<clara::ScoredDoc> candidates;  // every matching document, scratch
    std::vector<int32_t> keys;                 // the result, in rank order
    std::vector<double> scores;                // score of each result row (BM25 or fused)
    std::vector<uint32_t> valid;               // scratch: keys that passed the checks
    // Hybrid search: each retriever's list, the graph's seeds and edges.
    std::vector<clara::ScoredDoc> keyword, vector, graph, seeds;
    std::vector<clara::Edge> edges;
    VectorScan scan;
    clara::FusionScratch fusion;
    PendingMatches pending;  // the pending documents' postings of the query terms (pending.hpp)

    // Frees what only the ranking needed (scores by doc_key, candidate
    // lists: tens of MB at 1M documents), keeping keys and scores for the
    // stream that follows. C++ only: call inside run_cpp.
    void release_scratch();
};

// N and the average document length from clara_corpus: length_column is
// total_length (words) or gram_length (grams of the leads).
struct CorpusStats {
    double n_docs;
    double avg_length;
};
CorpusStats corpus_stats(const char *schema, const char *length_column);

// Raw rankings ignore search_types, filters and min_quality and keep every
// matching (visible) document: clara_bm25 and clara_vector.
enum class RawRanking { kNone, kBm25, kVector };

// Ranks for req into a Ranking owned by owner (freed with it, also on error).
// SPI must be connected.
Ranking *rank_documents(const SearchRequest *req, MemoryContext owner, RawRanking raw);

// Building blocks shared with hybrid.cpp (SPI connected):
// BM25 scores of every document matching a query term into r->candidates,
// unordered; false (and a NOTICE) when the query has no searchable terms.
bool keyword_candidates(Ranking *r, const SearchRequest *req, const char *schema);
// The first top_k of r->candidates (in rank order, which it establishes as
// far as it reads) that pass the checks (plus the ties of the last) into
// r->keys / r->scores; r->candidates is used up.
void select_results(Ranking *r, const char *schema, const SearchRequest *req, bool raw, int64 top_k);
// Orders ties by document_id, cuts r->keys / r->scores to top_k.
void break_ties(Ranking *r, const char *schema, int64 top_k);
// Fills req->edges / req->own_edges from clara.graph_edges when the graph
// is searched: the name is resolved with the caller's search_path, so call
// it before spi_connect().
void resolve_edges(SearchRequest *req);
// Hybrid ranking (search_types other than keyword alone).
void rank_hybrid(Ranking *r, const SearchRequest *req, const char *schema);

}  // namespace clara::pg
