#include "terms.hpp"

#include "term_index.hpp"
#include "tokenizer.hpp"

extern "C" {
#include "tsearch/ts_utils.h"
}

#include <cstdlib>

namespace clara::pg {

// One tokenizer per backend: it keeps a word -> stem cache across rows.
// Backend-lifetime objects, so an error while they are in use leaks nothing.
clara::Tokenizer *g_tokenizer = nullptr;
clara::LexemeList g_lexemes;
clara::TermIndex g_term_index;

// Tokenizes each text in turn into g_lexemes; *ends receives where each
// text's lexemes end.
void tokenize(const char *const *texts, const int *lens, int ntexts, size_t *ends) {
    run_cpp("tokenizing", [&] {
        if (g_tokenizer == nullptr) g_tokenizer = new clara::Tokenizer();
        g_lexemes.clear();
        for (int i = 0; i < ntexts; i++) {
            if (lens[i] > 0) g_tokenizer->tokenize(std::string_view(texts[i], lens[i]), g_lexemes);
            ends[i] = g_lexemes.size();
        }
    });
}

AnalyzedText analyze_document(const char *title, int title_len, const char *content, int content_len) {
    const char *texts[2] = {title, content};
    int lens[2] = {title_len, content_len};
    size_t ends[2];
    tokenize(texts, lens, 2, ends);
    run_cpp("indexing a document", [&] { clara::build_term_index(g_lexemes, ends[0], g_term_index); });

    // Lay the terms out as a tsvector: entries, then each lexeme followed
    // (2-byte aligned) by its position count and positions.
    const clara::TermIndex &idx = g_term_index;
    int n = static_cast<int>(idx.terms.size());
    size_t lenstr = 0;
    for (const clara::TermEntry &t : idx.terms)
        lenstr = SHORTALIGN(lenstr + t.length) + sizeof(uint16) + t.npos * sizeof(WordEntryPos);
    if (lenstr > MAXSTRPOS)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("document is too long for a tsvector (%zu bytes of lexemes, max %d)", lenstr, MAXSTRPOS),
                        errhint("Split the document into parts.")));
    auto *tsv = static_cast<TSVector>(palloc0(CALCDATASIZE(n, lenstr)));
    SET_VARSIZE(tsv, CALCDATASIZE(n, lenstr));
    tsv->size = n;
    WordEntry *entries = ARRPTR(tsv);
    char *str = STRPTR(tsv);
    auto *tfs = static_cast<Datum *>(palloc(sizeof(Datum) * Max(n, 1)));
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const clara::TermEntry &t = idx.terms[i];
        entries[i].haspos = 1;
        entries[i].len = t.length;
        entries[i].pos = static_cast<uint32>(off);
        memcpy(str + off, g_lexemes.arena.data() + t.offset, t.length);
        off = SHORTALIGN(off + t.length);
        uint16 npos = static_cast<uint16>(t.npos);
        memcpy(str + off, &npos, sizeof npos);
        off += sizeof npos;
        memcpy(str + off, idx.positions.data() + t.first_pos, t.npos * sizeof(WordEntryPos));
        off += t.npos * sizeof(WordEntryPos);
        tfs[i] = Int32GetDatum(static_cast<int32>(t.tf));
    }

    AnalyzedText out;
    out.tsv = tsv;
    out.doc_length = static_cast<int32>(idx.doc_length);
    out.term_tfs = n == 0 ? PointerGetDatum(construct_empty_array(INT4OID)) : int4_array(tfs, n);
    return out;
}

char **query_lexemes(const char *query, int len, int *count) {
    size_t end;
    tokenize(&query, &len, 1, &end);
    run_cpp("tokenizing", [&] { clara::build_term_index(g_lexemes, 0, g_term_index); });
    // The distinct lexemes, in the same byte order as a tsvector's.
    *count = static_cast<int>(g_term_index.terms.size());
    auto **out = static_cast<char **>(palloc(sizeof(char *) * Max(*count, 1)));
    for (int i = 0; i < *count; i++) {
        const clara::TermEntry &t = g_term_index.terms[i];
        out[i] = pnstrdup(g_lexemes.arena.data() + t.offset, t.length);
    }
    return out;
}

}  // namespace clara::pg

extern "C" {
PG_FUNCTION_INFO_V1(clara_query_terms);
PG_FUNCTION_INFO_V1(clara_tokens);
}

// The distinct lexemes the ranking looks up for a query.
extern "C" Datum clara_query_terms(PG_FUNCTION_ARGS) {
    text *query = PG_GETARG_TEXT_PP(0);
    int n = 0;
    char **lexemes = clara::pg::query_lexemes(VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query), &n);
    PG_RETURN_DATUM(clara::pg::text_array(lexemes, n));
}

// Every lexeme of a text in order, duplicates included: what BM25 counts.
extern "C" Datum clara_tokens(PG_FUNCTION_ARGS) {
    text *t = PG_GETARG_TEXT_PP(0);
    const char *data = VARDATA_ANY(t);
    int len = VARSIZE_ANY_EXHDR(t);
    size_t end;
    clara::pg::tokenize(&data, &len, 1, &end);
    auto **items = static_cast<char **>(palloc(sizeof(char *) * Max(end, (size_t)1)));
    for (size_t i = 0; i < end; i++) {
        std::string_view lexeme = clara::pg::g_lexemes[i];
        items[i] = pnstrdup(lexeme.data(), lexeme.size());
    }
    PG_RETURN_DATUM(clara::pg::text_array(items, static_cast<int>(end)));
}
