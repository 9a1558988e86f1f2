// Vector retrieval: every document's hashed character n-gram embedding
// (core/embedding.hpp) of its title and content, stored int8 in
// clara_embeddings by the index trigger, and an exact scan of them.
#pragma once

#include "bm25.hpp"
#include "embedding.hpp"
#include "pg.hpp"
#include "vector_search.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace clara::pg {

constexpr uint32_t kEmbeddingDim = clara::kDefaultEmbeddingDim;
constexpr clara::EmbeddingFormat kEmbeddingFormat = clara::EmbeddingFormat::kInt8;

// Appends the stored form of a document's embedding (title and content
// embedded apart, then mixed half and half) to out. C++ only: call inside
// run_cpp.
void embed_document(std::string_view title, std::string_view content, std::string &out);

// The state of one vector search; lives in a Ranking (owned by a memory
// context), so it may be reused when the search is deepened.
struct VectorScan {
    std::vector<float> query;  // the query's embedding; empty until first used
    bool query_is_zero = false;
    clara::TopKScanner scanner;
    std::vector<int8_t> rows;  // one chunk of rows
    std::vector<float> scales;
    std::vector<uint32_t> keys;
};

// The depth documents most similar to the query (cosine above
// clara.vector_min_similarity, default 0), best first, into hits; truncated
// tells whether more documents are that similar than depth. SPI must be
// connected.
void vector_candidates(VectorScan *scan, std::string_view query, size_t depth, const char *schema,
                       std::vector<clara::ScoredDoc> *hits, bool *truncated);

}  // namespace clara::pg
