// The pending list as the retrievers read it: clara_pending holds one row
// per document of a small writing statement (core/pending_row.hpp) until a flush
// indexes it (index.cpp). A search adds each pending document's postings and
// document frequencies to those of the index, so it ranks exactly as it
// would once the list is flushed (docs/limits.md, "Pending list").
#pragma once

#include "ngram.hpp"
#include "pg.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace clara::pg {

// What a search gathers from the pending list; lives in an object owned by
// a memory context (Ranking, VectorScan), so an error frees it.
struct PendingMatches {
    std::vector<uint32_t> dfs;                              // per query term or gram: pending documents holding it
    std::vector<std::string> blocks;                        // per query term or gram: their postings ("" if none)
    std::vector<std::string_view> terms;                    // scratch: the query's lexemes
    std::vector<uint32_t> grams;                            // scratch: the query's grams
    std::vector<std::vector<clara::GramPosting>> postings;  // scratch: per query gram
};

// Keyword search: for each of the n lexemes (bytewise ascending, distinct)
// the pending documents holding it (m->dfs[i]) and their postings
// (core/bm25.hpp's format; m->blocks[i]). SPI must be
// connected, as the index owner; reads with the caller's snapshot.
void pending_term_postings(const char *schema, char **lexemes, int n, PendingMatches *m);

// Vector search: for each query gram (ascending, distinct) the pending
// documents whose lead holds it (m->dfs[i]) and their postings as one gram
// block (core/ngram.hpp; m->blocks[i]).
void pending_gram_postings(const char *schema, const std::vector<clara::GramCount> &grams, PendingMatches *m);

// Whether the database has the pending list (not while an update from
// before 0.5.0 runs scripts that write clara_documents).
bool pending_list_exists(const char *schema);

[[noreturn]] void malformed_pending_row(uint32_t doc_key);

}  // namespace clara::pg
