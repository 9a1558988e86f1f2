// Vector retrieval: every document's sparse vector of hashed character
// 4-grams over its lead (title and start of content; core/ngram.hpp), kept
// as postings in clara_gram_postings by the index trigger and scored exactly
// (BM25 weights, similarity in 0..1).
#pragma once

#include "ngram.hpp"
#include "pending.hpp"
#include "pg.hpp"

#include <string_view>
#include <vector>

namespace clara::pg {

// The backend's gram extractor (it reuses its buffers across documents).
// C++ only: call inside run_cpp.
clara::GramExtractor &gram_extractor();

// The state of one vector search; lives in a Ranking (owned by a memory
// context). The query is scored once; a deeper list is taken from the same
// scores.
struct VectorScan {
    bool scored = false;
    std::vector<clara::GramCount> grams;
    clara::GramScorer scorer;
    PendingMatches pending;  // the pending documents' grams (pending.hpp)
};

// The depth documents most similar to the query (similarity above
// clara.vector_min_similarity, default 0), best first, into hits; truncated
// tells whether more documents are that similar than depth. SPI must be
// connected.
void vector_candidates(VectorScan *scan, std::string_view query, size_t depth, const char *schema,
                       std::vector<clara::ScoredDoc> *hits, bool *truncated);

}  // namespace clara::pg
