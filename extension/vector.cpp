#include "vector.hpp"

#include "catalog.hpp"
#include "guc.hpp"
#include "pending.hpp"
#include "rank.hpp"

namespace clara::pg {

namespace {

[[noreturn]] void malformed_block(uint32_t gram) {
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("clara_gram_postings holds a malformed block (gram %d)", static_cast<int32>(gram)),
                    errhint("Run SELECT clara_compact() to rebuild the index.")));
}

// Scores every document sharing a gram with the query: one lookup per
// distinct query gram, its blocks read in a context reset per gram.
void score_grams(VectorScan *scan, const char *schema) {
    CorpusStats corpus = corpus_stats(schema, "gram_length");
    // The count column tells df without reading the postings themselves
    // (out of line, in TOAST), which a gram in most documents never needs.
    char *sql = psprintf("SELECT documents, postings FROM %s.clara_gram_postings WHERE gram = $1", schema);
    Oid type = INT4OID;
    SPIPlanPtr plan = SPI_prepare(sql, 1, &type);
    if (plan == nullptr)
        elog(ERROR, "clara: could not prepare the gram postings scan: %s", SPI_result_code_string(SPI_result));
    MemoryContext per_gram = AllocSetContextCreate(CurrentMemoryContext, "clara gram", ALLOCSET_DEFAULT_SIZES);
    SavedUser caller = as_index_owner();
    // Pending documents (not yet in clara_gram_postings) count and score as
    // if indexed: per query gram their number and one block.
    PendingMatches *pending = &scan->pending;
    if (pending_list_exists(schema)) pending_gram_postings(schema, scan->grams, pending);
    run_cpp("vector search", [&] { scan->scorer.reset(corpus.n_docs, corpus.avg_length); });
    for (size_t q = 0; q < scan->grams.size(); q++) {
        const clara::GramCount &g = scan->grams[q];
        CHECK_FOR_INTERRUPTS();
        Datum arg = Int32GetDatum(static_cast<int32>(g.gram));
        if (SPI_execute_plan(plan, &arg, nullptr, true, 0) != SPI_OK_SELECT)
            elog(ERROR, "clara: could not read gram postings");
        uint64 nblocks = SPI_processed;
        MemoryContext old = MemoryContextSwitchTo(per_gram);
        double df = 0.0;
        for (uint64 i = 0; i < nblocks; i++) {
            bool isnull;
            int32 count = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
            if (isnull || count < 0) malformed_block(g.gram);
            df += count;
        }
        if (!pending->dfs.empty()) df += pending->dfs[q];
        const bool scored = scan->scorer.worth_scoring(df);
        run_cpp("vector search", [&] { scan->scorer.begin_gram(df, g.tf); });
        for (uint64 i = 0; scored && i < nblocks; i++) {
            bool isnull;
            Datum d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
            if (isnull) malformed_block(g.gram);
            bytea *block = DatumGetByteaPP(d);
            const auto *bytes = reinterpret_cast<const unsigned char *>(VARDATA_ANY(block));
            const size_t len = VARSIZE_ANY_EXHDR(block);
            uint32_t count = 0;
            bool ok = clara::gram_block_count(bytes, len, &count) &&
                      count == static_cast<uint32_t>(DatumGetInt32(
                                   SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)));
            if (ok) run_cpp("vector search", [&] { ok = scan->scorer.add_block(bytes, len); });
            if (!ok) malformed_block(g.gram);
        }
        if (scored && !pending->blocks.empty() && !pending->blocks[q].empty()) {
            const std::string &block = pending->blocks[q];
            const auto *bytes = reinterpret_cast<const unsigned char *>(block.data());
            bool ok = false;
            run_cpp("vector search", [&] { ok = scan->scorer.add_block(bytes, block.size()); });
            if (!ok) malformed_block(g.gram);
        }
        MemoryContextSwitchTo(old);
        MemoryContextReset(per_gram);
        SPI_freetuptable(SPI_tuptable);
    }
    restore_user(caller);
    MemoryContextDelete(per_gram);
}

}  // namespace

clara::GramExtractor &gram_extractor() {
    static clara::GramExtractor extractor;
    return extractor;
}

void vector_candidates(VectorScan *scan, std::string_view query, size_t depth, const char *schema,
                       std::vector<clara::ScoredDoc> *hits, bool *truncated) {
    if (!scan->scored) {
        run_cpp("vector search", [&] { gram_extractor().query(query, scan->grams); });
        score_grams(scan, schema);
        scan->scored = true;
    }
    const double threshold = vector_min_similarity();
    run_cpp("vector search", [&] { *hits = scan->scorer.ranked(depth, threshold, truncated); });
}

}  // namespace clara::pg

extern "C" {
PG_FUNCTION_INFO_V1(clara_grams);
}

// The character 4-grams of a text as the vector retriever sees them, in
// order, repeats included; with lead, only those of its first
// kLeadCodePoints code points (how a document's content is indexed).
extern "C" Datum clara_grams(PG_FUNCTION_ARGS) {
    // Backend-lifetime: an error between the two steps leaks nothing.
    static std::vector<std::string> grams;
    text *body = PG_GETARG_TEXT_PP(0);
    const bool lead = PG_GETARG_BOOL(1);
    clara::pg::run_cpp("gram extraction", [&] {
        grams = clara::GramExtractor::gram_strings(std::string_view(VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body)),
                                                   lead ? clara::kLeadCodePoints : SIZE_MAX);
    });
    int n = static_cast<int>(grams.size());
    auto **items = static_cast<char **>(palloc(sizeof(char *) * Max(n, 1)));
    for (int i = 0; i < n; i++) items[i] = pnstrdup(grams[i].data(), grams[i].size());
    PG_RETURN_DATUM(clara::pg::text_array(items, n));
}
