// The arguments of clara_stream / clara_stream_jsonl / clara_search, checked
// once: every bad value is an ereport with SQLSTATE, message and hint.
#pragma once

#include "fusion.hpp"
#include "pg.hpp"

extern "C" {
#include "lib/stringinfo.h"
}

namespace clara::pg {

// Parameters $1 (candidate doc_keys) and $2 (min_quality) are the ranking's;
// filters add theirs from $3 on.
constexpr int kFirstFilterParam = 3;
constexpr int kMaxFilterParams = 8;
// Limits on a query: its text (bytes) and its distinct lexemes. Each lexeme
// costs an index lookup; a query of a whole corpus's vocabulary would run
// for minutes.
constexpr int kMaxQueryBytes = 65536;
constexpr int kMaxQueryTerms = 1024;

// Fusion weights for types the request does not weight: the best mean
// MRR@10 over the real evaluation sets (docs/hybrid.md, make eval --sweep),
// where the character 4-gram vectors rank a little better than keyword
// search alone and the real link graphs help as a tie-breaker.
constexpr clara::FusionWeights kDefaultWeights{1.0, 1.5, 0.3};

struct SearchRequest {
    const char *query;
    int query_len;
    int32 top_k;
    double min_quality;
    int32 batch_size;
    // " AND ..." conditions on clara_documents d, built from a fixed list of
    // templates; user values only ever travel as parameters.
    StringInfoData filter_sql;
    int nfilter_params;
    Oid filter_types[kMaxFilterParams];
    Datum filter_values[kMaxFilterParams];
    // search_types (default: all); weights per type (defaults: kDefaultWeights).
    bool search[clara::kSearchTypeCount];
    clara::FusionWeights weights;
    // The citation graph's relation, quoted and schema-qualified, resolved
    // under the caller's search_path (resolve_edges, before the ranking's
    // SPI statements run under their own); own_edges: the extension's
    // clara_edges, read as the index owner.
    const char *edges;
    bool own_edges;

    bool searches(clara::SearchType t) const { return search[static_cast<size_t>(t)]; }
    // keyword alone: plain BM25, no fusion.
    bool keyword_only() const {
        return searches(clara::SearchType::kKeyword) && !searches(clara::SearchType::kVector) &&
               !searches(clara::SearchType::kGraph);
    }
};

// Reads the SQL arguments (query, top_k, min_quality, filters, search_types,
// weights[, batch_size]); NULL optional arguments take their defaults.
SearchRequest *parse_search_request(FunctionCallInfo fcinfo, bool has_batch_size);

}  // namespace clara::pg
