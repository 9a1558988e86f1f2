#include "vector.hpp"

#include "guc.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace clara::pg {

namespace {

// A document's embedding is kTitleShare * embed(title) + (1 - kTitleShare) *
// embed(content), normalised: the title names the subject, and in a 2 KB
// text its words would be a small share of the features. Measured on the
// evaluation set (docs/hybrid.md): vector nDCG@10 0.448 (content only),
// 0.626 (0.3), 0.630 (0.5), 0.630 (0.7); title and content in one text
// gave 0.331.
constexpr float kTitleShare = 0.5f;

// Rows read from clara_embeddings per fetch: 1 MB of int8 vectors.
constexpr size_t kScanChunk = 4096;

// One embedder per backend for stored documents (it keeps a word cache
// across documents) and one for queries (short texts, no cache needed).
clara::HashedNgramEmbedder &document_embedder() {
    static clara::HashedNgramEmbedder embedder;
    return embedder;
}

clara::HashedNgramEmbedder &query_embedder() {
    static clara::HashedNgramEmbedder embedder(clara::EmbeddingParams{}, false);
    return embedder;
}

}  // namespace

void embed_document(std::string_view title, std::string_view content, std::string &out) {
    static std::vector<float> t(kEmbeddingDim), c(kEmbeddingDim);
    clara::HashedNgramEmbedder &e = document_embedder();
    e.embed(title, t.data());
    e.embed(content, c.data());
    double norm = 0.0;
    for (uint32_t i = 0; i < kEmbeddingDim; i++) {
        t[i] = kTitleShare * t[i] + (1.0f - kTitleShare) * c[i];
        norm += static_cast<double>(t[i]) * t[i];
    }
    if (norm > 0.0) {
        float inv = static_cast<float>(1.0 / std::sqrt(norm));
        for (float &x : t) x *= inv;
    }
    clara::encode_embedding(t.data(), kEmbeddingDim, kEmbeddingFormat, out);
}

void vector_candidates(VectorScan *scan, std::string_view query, size_t depth, const char *schema,
                       std::vector<clara::ScoredDoc> *hits, bool *truncated) {
    run_cpp("vector search", [&] {
        hits->clear();
        if (scan->query.empty()) {
            scan->query.resize(kEmbeddingDim);
            query_embedder().embed(query, scan->query.data());
            scan->query_is_zero = std::all_of(scan->query.begin(), scan->query.end(), [](float x) { return x == 0.0f; });
        }
        scan->scanner.reset(scan->query.data(), kEmbeddingDim, depth);
        scan->rows.resize(kScanChunk * kEmbeddingDim);
        scan->scales.resize(kScanChunk);
        scan->keys.resize(kScanChunk);
    });
    *truncated = false;
    if (scan->query_is_zero) return;  // no word of the query has features: nothing is similar

    char *sql = psprintf("SELECT doc_key, embedding FROM %s.clara_embeddings", schema);
    Portal portal = SPI_cursor_open_with_args(nullptr, sql, 0, nullptr, nullptr, nullptr, true, CURSOR_OPT_NO_SCROLL);
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        SPI_cursor_fetch(portal, true, kScanChunk);
        uint64 n = SPI_processed;
        if (n == 0) break;
        for (uint64 i = 0; i < n; i++) {
            bool null_key, null_vector;
            HeapTuple row = SPI_tuptable->vals[i];
            int32 key = DatumGetInt32(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &null_key));
            bytea *bytes = DatumGetByteaPP(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &null_vector));
            float scale = 0.0f;
            const int8_t *values = nullptr;
            if (null_key || null_vector ||
                !clara::view_int8_embedding(reinterpret_cast<const unsigned char *>(VARDATA_ANY(bytes)),
                                            VARSIZE_ANY_EXHDR(bytes), kEmbeddingDim, &scale, &values))
                ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                                errmsg("clara_embeddings holds a malformed embedding (doc_key %d)", key),
                                errhint("Run SELECT clara_compact() to recompute the embeddings.")));
            memcpy(scan->rows.data() + i * kEmbeddingDim, values, kEmbeddingDim);
            scan->scales[i] = scale;
            scan->keys[i] = static_cast<uint32_t>(key);
        }
        SPI_freetuptable(SPI_tuptable);
        run_cpp("vector search",
                [&] { scan->scanner.scan_int8(scan->rows.data(), scan->scales.data(), scan->keys.data(), n); });
    }
    SPI_cursor_close(portal);
    const double threshold = vector_min_similarity();
    run_cpp("vector search", [&] {
        size_t scanned = scan->scanner.rows_scanned();
        *hits = scan->scanner.take_ranked();
        *truncated = hits->size() == depth && scanned > depth && !hits->empty() && hits->back().score > threshold;
        while (!hits->empty() && !(hits->back().score > threshold)) hits->pop_back();
    });
}

}  // namespace clara::pg
