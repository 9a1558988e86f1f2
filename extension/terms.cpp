#include "terms.hpp"

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

namespace {

int compare_parsed_words(const void *a, const void *b) {
    const auto *wa = static_cast<const ParsedWord *>(a);
    const auto *wb = static_cast<const ParsedWord *>(b);
    return tsCompareString(wa->word, wa->len, wb->word, wb->len, false);
}

TSVector empty_tsvector() {
    auto *out = static_cast<TSVector>(palloc0(CALCDATASIZE(0, 0)));
    SET_VARSIZE(out, CALCDATASIZE(0, 0));
    out->size = 0;
    return out;
}

}  // namespace

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

namespace {

// The lexemes in g_lexemes as PostgreSQL ParsedText words; positions count
// from 1, with a gap of one between texts (as tsvector || does).
void to_parsed_text(ParsedText *prs, const size_t *ends, int ntexts) {
    size_t n = g_lexemes.size();
    prs->lenwords = static_cast<int32>(Max(n, (size_t)1));
    prs->curwords = static_cast<int32>(n);
    prs->pos = 0;
    prs->words = static_cast<ParsedWord *>(palloc0(sizeof(ParsedWord) * prs->lenwords));
    size_t i = 0;
    int32 pos = 0;
    for (int t = 0; t < ntexts; t++) {
        for (; i < ends[t]; i++) {
            std::string_view lexeme = g_lexemes[i];
            ParsedWord *w = &prs->words[i];
            w->len = static_cast<uint16>(lexeme.size());
            w->word = pnstrdup(lexeme.data(), lexeme.size());
            pos++;
            w->pos.pos = LIMITPOS(pos);  // a macro: evaluates its argument twice
        }
        pos++;
    }
}

}  // namespace

AnalyzedText analyze_document(const char *title, int title_len, const char *content, int content_len) {
    const char *texts[2] = {title, content};
    int lens[2] = {title_len, content_len};
    size_t ends[2];
    tokenize(texts, lens, 2, ends);
    int32 title_end = static_cast<int32>(ends[0]);  // title words have positions 1..title_end
    ParsedText prs;
    to_parsed_text(&prs, ends, 2);

    AnalyzedText out;
    out.doc_length = prs.curwords;
    if (prs.curwords == 0) {
        out.tsv = empty_tsvector();
        out.term_tfs = PointerGetDatum(construct_empty_array(INT4OID));
        return out;
    }

    // Count term frequencies before make_tsvector(): it merges duplicates and
    // keeps at most 256 positions per lexeme. A tsvector's lexemes are sorted
    // by tsCompareString, so sorting a copy the same way lines the counts up.
    auto *sorted = static_cast<ParsedWord *>(palloc(sizeof(ParsedWord) * prs.curwords));
    memcpy(sorted, prs.words, sizeof(ParsedWord) * prs.curwords);
    qsort(sorted, prs.curwords, sizeof(ParsedWord), compare_parsed_words);
    auto *tfs = static_cast<Datum *>(palloc(sizeof(Datum) * prs.curwords));
    // make_tsvector frees the words it merges: keep our own copy of each
    // distinct lexeme to check the order against.
    size_t lexeme_bytes = 1;
    for (int i = 0; i < prs.curwords; i++) lexeme_bytes += sorted[i].len;
    auto *lexemes = static_cast<char *>(palloc(lexeme_bytes));
    auto *lexeme_lens = static_cast<int *>(palloc(sizeof(int) * prs.curwords));
    int distinct = 0;
    char *lexeme_end = lexemes;
    for (int i = 0; i < prs.curwords;) {
        int j = i + 1;
        while (j < prs.curwords && compare_parsed_words(&sorted[i], &sorted[j]) == 0) j++;
        tfs[distinct] = Int32GetDatum(j - i);
        memcpy(lexeme_end, sorted[i].word, sorted[i].len);
        lexeme_lens[distinct] = sorted[i].len;
        lexeme_end += sorted[i].len;
        distinct++;
        i = j;
    }
    pfree(sorted);

    TSVector tsv = make_tsvector(&prs);
    if (tsv->size != distinct)
        elog(ERROR, "clara: tsvector has %d lexemes, expected %d", tsv->size, distinct);
    WordEntry *entries = ARRPTR(tsv);
    const char *lexeme = lexemes;
    for (int i = 0; i < tsv->size; i++) {
        if (entries[i].len != static_cast<uint32>(lexeme_lens[i]) ||
            memcmp(STRPTR(tsv) + entries[i].pos, lexeme, lexeme_lens[i]) != 0)
            elog(ERROR, "clara: tsvector lexeme order differs from term counts");
        lexeme += lexeme_lens[i];
        // Title words rank above body words in ts_rank and weighted queries.
        WordEntryPos *pos = POSDATAPTR(tsv, &entries[i]);
        for (int p = 0; p < POSDATALEN(tsv, &entries[i]); p++)
            if (WEP_GETPOS(pos[p]) <= title_end) WEP_SETWEIGHT(pos[p], 3);
    }
    out.tsv = tsv;
    out.term_tfs = PointerGetDatum(construct_array(tfs, distinct, INT4OID, sizeof(int32), true, TYPALIGN_INT));
    return out;
}

char **query_lexemes(const char *query, int len, int *count) {
    size_t end;
    tokenize(&query, &len, 1, &end);
    ParsedText prs;
    to_parsed_text(&prs, &end, 1);
    *count = 0;
    if (prs.curwords == 0) return nullptr;
    qsort(prs.words, prs.curwords, sizeof(ParsedWord), compare_parsed_words);
    auto **out = static_cast<char **>(palloc(sizeof(char *) * prs.curwords));
    for (int i = 0; i < prs.curwords; i++) {
        if (i > 0 && compare_parsed_words(&prs.words[i - 1], &prs.words[i]) == 0) continue;
        out[(*count)++] = prs.words[i].word;
    }
    return out;
}

}  // namespace clara::pg

namespace {

Datum text_array(char **items, int n) {
    auto *datums = static_cast<Datum *>(palloc(sizeof(Datum) * Max(n, 1)));
    for (int i = 0; i < n; i++) datums[i] = CStringGetTextDatum(items[i]);
    return PointerGetDatum(construct_array(datums, n, TEXTOID, -1, false, TYPALIGN_INT));
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(clara_query_terms);
PG_FUNCTION_INFO_V1(clara_tokens);
}

// The distinct lexemes the ranking looks up for a query.
extern "C" Datum clara_query_terms(PG_FUNCTION_ARGS) {
    text *query = PG_GETARG_TEXT_PP(0);
    int n = 0;
    char **lexemes = clara::pg::query_lexemes(VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query), &n);
    PG_RETURN_DATUM(text_array(lexemes, n));
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
    PG_RETURN_DATUM(text_array(items, static_cast<int>(end)));
}
