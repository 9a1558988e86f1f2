// Turning text into the lexemes that BM25 counts: the core tokenizer
// (German Snowball stems, German and English stop words dropped; the same
// lexemes as PostgreSQL's clara_de_en configuration for ordinary words, at
// about a tenth of the cost).
#pragma once

#include "pg.hpp"
#include "tokenizer.hpp"

extern "C" {
#include "tsearch/ts_type.h"
}

namespace clara::pg {

// What the ranking stores for one document.
struct AnalyzedText {
    TSVector tsv;      // title positions weighted A, content D
    Datum term_tfs;    // int4[]: exact frequency of each tsv lexeme, same order
    int32 doc_length;  // number of indexed tokens (sum of term_tfs)
};

AnalyzedText analyze_document(const char *title, int title_len, const char *content, int content_len);

// The backend's lexeme buffer, filled by tokenize().
extern clara::LexemeList g_lexemes;

// Tokenizes each of ntexts texts in turn into g_lexemes; ends[i] receives
// where text i's lexemes end.
void tokenize(const char *const *texts, const int *lens, int ntexts, size_t *ends);

// Distinct lexemes of a query, in tsvector order; *count receives their number.
char **query_lexemes(const char *query, int len, int *count);

}  // namespace clara::pg
