#include "terms.hpp"

extern "C" {
#include "tsearch/ts_utils.h"
}

#include <cstdlib>

namespace clara::pg {

namespace {

int compare_parsed_words(const void *a, const void *b) {
    const auto *wa = static_cast<const ParsedWord *>(a);
    const auto *wb = static_cast<const ParsedWord *>(b);
    return tsCompareString(wa->word, wa->len, wb->word, wb->len, false);
}

void init_parsed_text(ParsedText *prs, int text_len) {
    prs->lenwords = Max(text_len / 6, 16);
    prs->curwords = 0;
    prs->pos = 0;
    prs->words = static_cast<ParsedWord *>(palloc(sizeof(ParsedWord) * prs->lenwords));
}

TSVector empty_tsvector() {
    auto *out = static_cast<TSVector>(palloc0(CALCDATASIZE(0, 0)));
    SET_VARSIZE(out, CALCDATASIZE(0, 0));
    out->size = 0;
    return out;
}

}  // namespace

AnalyzedText analyze_document(Oid cfg, const char *title, int title_len, const char *content,
                              int content_len) {
    ParsedText prs;
    init_parsed_text(&prs, title_len + content_len);
    if (title_len > 0) parsetext(cfg, &prs, const_cast<char *>(title), title_len);
    int32 title_end = prs.pos;
    prs.pos++;  // keeps the last title word and the first content word apart
    parsetext(cfg, &prs, const_cast<char *>(content), content_len);

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
    // Hyphenated words yield the whole word and its parts: lexemes can add up
    // to more bytes than the text, so size the buffer from the words.
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

char **query_lexemes(Oid cfg, const char *query, int len, int *count) {
    ParsedText prs;
    init_parsed_text(&prs, len);
    parsetext(cfg, &prs, const_cast<char *>(query), len);
    *count = 0;
    if (prs.curwords == 0) return nullptr;
    qsort(prs.words, prs.curwords, sizeof(ParsedWord), compare_parsed_words);
    auto **out = static_cast<char **>(palloc(sizeof(char *) * prs.curwords));
    for (int i = 0; i < prs.curwords; i++) {
        if (i > 0 && compare_parsed_words(&prs.words[i - 1], &prs.words[i]) == 0) continue;
        out[(*count)++] = pnstrdup(prs.words[i].word, prs.words[i].len);
    }
    return out;
}

}  // namespace clara::pg
