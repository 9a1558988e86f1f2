// Ranking: BM25 over the postings, then filters and min_quality applied to
// the candidates in rank order, so the result is exactly
// min(top_k, matching documents) documents, each once, ordered by score
// descending, then document_id (bytewise).
#pragma once

#include "bm25.hpp"
#include "request.hpp"

#include <vector>

namespace clara::pg {

// The ranked result: compact keys and scores only, no text.
struct Ranking {
    clara::Bm25Scorer scorer;
    std::vector<clara::ScoredDoc> candidates;  // every matching document, scratch
    std::vector<int32_t> keys;                  // the result, in rank order
    std::vector<double> scores;                 // BM25 score of each result row
    std::vector<uint32_t> valid;                // scratch: keys that passed the checks
};

// Ranks for req into a Ranking owned by owner (freed with it, also on error).
// SPI must be connected. With raw set, filters and min_quality are ignored
// and every matching document is kept.
Ranking *rank_documents(const SearchRequest *req, MemoryContext owner, bool raw);

}  // namespace clara::pg
