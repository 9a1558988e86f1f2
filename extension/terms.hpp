// Turning text into the lexemes that BM25 counts (clara_de_en configuration).
#pragma once

#include "pg.hpp"

extern "C" {
#include "tsearch/ts_type.h"
}

namespace clara::pg {

// What the ranking stores for one document.
struct AnalyzedText {
    TSVector tsv;       // title positions weighted A, content D
    Datum term_tfs;     // int4[]: exact frequency of each tsv lexeme, same order
    int32 doc_length;   // number of indexed tokens (sum of term_tfs)
};

AnalyzedText analyze_document(Oid cfg, const char *title, int title_len, const char *content,
                              int content_len);

// Distinct lexemes of a query, in tsvector order; *count receives their number.
char **query_lexemes(Oid cfg, const char *query, int len, int *count);

}  // namespace clara::pg
