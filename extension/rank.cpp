#include "rank.hpp"

#include "catalog.hpp"
#include "guc.hpp"
#include "pending.hpp"
#include "terms.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>

namespace clara::pg {

namespace {

constexpr size_t kMaxCheckChunk = 8192;
// A walk of the doc_key index reads an entry in about an eighth of the
// time of a descent: a range check pays when the candidates to check are
// at least an eighth of the keys in their range.
constexpr double kWalkFactor = 8;

}  // namespace

CorpusStats corpus_stats(const char *schema, const char *length_column) {
    char *sql = psprintf("SELECT n_docs, %s FROM %s.clara_corpus", length_column, schema);
    SavedUser caller = as_index_owner();
    if (SPI_execute(sql, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("clara_corpus must hold exactly one row"),
                        errhint("Run SELECT clara_compact() to rebuild the index.")));
    bool isnull;
    double n = static_cast<double>(
        DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)));
    double total = static_cast<double>(
        DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)));
    SPI_freetuptable(SPI_tuptable);
    restore_user(caller);
    return CorpusStats{n, n > 0 ? total / n : 0.0};
}

namespace {

// Document frequency of each lexeme (0 when no live document has it). The
// lexemes come in byte order (tsvector's), the rows in the same order
// (COLLATE "C"): one merge, linear in both.
int32 *document_frequencies(const char *schema, char **lexemes, int n) {
    auto *dfs = static_cast<int32 *>(palloc0(sizeof(int32) * n));
    char *sql = psprintf("SELECT term, df FROM %s.clara_terms WHERE term = ANY($1) ORDER BY term COLLATE \"C\"",
                         schema);
    Oid type = TEXTARRAYOID;
    Datum arg = text_array(lexemes, n);
    if (SPI_execute_with_args(sql, 1, &type, &arg, nullptr, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not read document frequencies");
    int i = 0;
    for (uint64 r = 0; r < SPI_processed && i < n; r++) {
        CHECK_FOR_INTERRUPTS();
        char *term = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
        while (i < n && strcmp(lexemes[i], term) < 0) i++;
        if (i < n && strcmp(lexemes[i], term) == 0) {
            bool isnull;
            dfs[i++] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
        }
        pfree(term);
    }
    SPI_freetuptable(SPI_tuptable);
    return dfs;
}

void score_postings(Ranking *r, const char *schema, char **lexemes, int n, const CorpusStats &stats) {
    SavedUser caller = as_index_owner();
    int32 *dfs = document_frequencies(schema, lexemes, n);
    // Pending documents (not yet in clara_terms nor clara_postings) count
    // and score as if indexed.
    PendingMatches *pending = &r->pending;
    if (pending_list_exists(schema)) {
        pending_term_postings(schema, lexemes, n, pending);
        for (int i = 0; i < n; i++) dfs[i] += static_cast<int32>(pending->dfs[i]);
    }
    char *sql = psprintf("SELECT postings FROM %s.clara_postings WHERE term = $1", schema);
    Oid type = TEXTOID;
    SPIPlanPtr plan = SPI_prepare(sql, 1, &type);
    if (plan == nullptr)
        elog(ERROR, "clara: could not prepare the postings scan: %s", SPI_result_code_string(SPI_result));

    clara::Bm25Params params;
    params.title_weight = title_weight();
    run_cpp("ranking", [&] { r->scorer.reset(stats.n_docs, stats.avg_length, params); });
    for (int i = 0; i < n; i++) {
        if (dfs[i] <= 0) continue;
        // A df above N can only come from a damaged index; cap it so idf stays >= 0.
        double df = Min(static_cast<double>(dfs[i]), stats.n_docs);
        r->scorer.begin_term(df);
        Datum arg = CStringGetTextDatum(lexemes[i]);
        if (SPI_execute_plan(plan, &arg, nullptr, true, 0) != SPI_OK_SELECT)
            elog(ERROR, "clara: could not read postings");
        for (uint64 row = 0; row < SPI_processed; row++) {
            CHECK_FOR_INTERRUPTS();
            bool isnull;
            bytea *block = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull));
            const auto *bytes = reinterpret_cast<const unsigned char *>(VARDATA_ANY(block));
            size_t count = VARSIZE_ANY_EXHDR(block) / clara::kPostingBytes;
            run_cpp("ranking", [&] { r->scorer.add_postings(bytes, count); });
        }
        SPI_freetuptable(SPI_tuptable);
        if (!pending->blocks.empty() && !pending->blocks[i].empty()) {
            const std::string &block = pending->blocks[i];
            const auto *bytes = reinterpret_cast<const unsigned char *>(block.data());
            run_cpp("ranking", [&] { r->scorer.add_postings(bytes, block.size() / clara::kPostingBytes); });
        }
    }
    restore_user(caller);
    run_cpp("ranking", [&] { r->candidates = r->scorer.take_candidates(); });
}

// Keys of candidates[from, to) that exist, are visible to the caller and
// pass min_quality and the filters, sorted, into r->valid.
void check_candidates(Ranking *r, SPIPlanPtr probe, const SearchRequest *req, double min_quality, size_t from,
                      size_t to) {
    int n = static_cast<int>(to - from);
    auto *keys = static_cast<Datum *>(palloc(sizeof(Datum) * n));
    for (int i = 0; i < n; i++) keys[i] = Int32GetDatum(static_cast<int32>(r->candidates[from + i].doc_key));
    Datum args[2 + kMaxFilterParams];
    args[0] = int4_array(keys, n);
    args[1] = Float8GetDatum(min_quality);
    for (int i = 0; i < req->nfilter_params; i++) args[2 + i] = req->filter_values[i];
    if (SPI_execute_plan(probe, args, nullptr, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not check candidates");
    uint64 found = SPI_processed;
    run_cpp("ranking", [&] { r->valid.resize(found); });
    for (uint64 i = 0; i < found; i++) {
        bool isnull;
        r->valid[i] = static_cast<uint32_t>(
            DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)));
    }
    SPI_freetuptable(SPI_tuptable);
    pfree(keys);
    run_cpp("ranking", [&] { std::sort(r->valid.begin(), r->valid.end()); });
}

// The keys in [low, high] that exist, are visible to the caller and pass
// min_quality and the filters, as a bitmap (bit k - low), read through a
// cursor so no result set grows with the corpus.
uint64 *check_range(SPIPlanPtr probe, const SearchRequest *req, double min_quality, bool raw, int32 low, int32 high) {
    const size_t bits = static_cast<size_t>(static_cast<int64>(high) - low + 1);
    auto *passed = static_cast<uint64 *>(
        palloc_extended(sizeof(uint64) * (bits / 64 + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO));
    Datum range[2] = {Int32GetDatum(low), Int32GetDatum(high)};
    Datum args[2 + kMaxFilterParams];
    args[0] = int4_array(range, 2);
    args[1] = Float8GetDatum(min_quality);
    for (int i = 0; !raw && i < req->nfilter_params; i++) args[2 + i] = req->filter_values[i];
    Portal portal = SPI_cursor_open(nullptr, probe, args, nullptr, true);
    if (portal == nullptr) elog(ERROR, "clara: could not check candidates");
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        SPI_cursor_fetch(portal, true, kMaxCheckChunk);
        if (SPI_processed == 0) break;
        for (uint64 i = 0; i < SPI_processed; i++) {
            bool isnull;
            const int64 key = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
            if (isnull || key < low || key > high) continue;
            const uint64 bit = static_cast<uint64>(key - low);
            passed[bit / 64] |= uint64{1} << (bit % 64);
        }
        SPI_freetuptable(SPI_tuptable);
    }
    SPI_cursor_close(portal);
    return passed;
}

}  // namespace

// Walks the candidates in rank order, checking them in growing chunks, until
// top_k rows are found plus every row tied with the last one. The candidates
// may come unordered: each chunk is put in order just before it is checked
// (rank_prefix), the ordered part growing at least twofold each time.
void select_results(Ranking *r, const char *schema, const SearchRequest *req, bool raw, int64 top_k) {
    size_t total = r->candidates.size();
    // Chunks grow from a bit over top_k (most candidates usually pass) but
    // stay below kMaxCheckChunk keys, so one check never holds a result set
    // proportional to the corpus.
    size_t first_chunk = raw ? kMaxCheckChunk : static_cast<size_t>(Max(top_k + top_k / 4, (int64)256));
    // Candidates that are a good part of the doc_key range are checked all
    // at once, by one walk of the index over the range, instead of a btree
    // descent per candidate (a tenth of the export backend's CPU at 100K /
    // top_k 100K, docs/benchmarks.md).
    int32 low = INT32_MAX, high = INT32_MIN;
    for (const clara::ScoredDoc &c : r->candidates) {
        low = Min(low, static_cast<int32>(c.doc_key));
        high = Max(high, static_cast<int32>(c.doc_key));
    }
    const double to_check = static_cast<double>(raw ? total : Min(total, first_chunk));
    const bool walk = total > 0 && to_check * kWalkFactor >= static_cast<double>(high) - low + 1;
    char *sql = psprintf("SELECT d.doc_key FROM %s.clara_documents d WHERE %s AND d.quality_score >= $2%s", schema,
                         walk ? "d.doc_key BETWEEN ($1)[1] AND ($1)[2]" : "d.doc_key = ANY($1)",
                         raw ? "" : req->filter_sql.data);
    Oid types[2 + kMaxFilterParams] = {INT4ARRAYOID, FLOAT8OID};
    int nparams = 2 + (raw ? 0 : req->nfilter_params);
    for (int i = 2; i < nparams; i++) types[i] = req->filter_types[i - 2];
    SPIPlanPtr probe = SPI_prepare(sql, nparams, types);
    if (probe == nullptr)
        elog(ERROR, "clara: could not prepare the candidate check: %s", SPI_result_code_string(SPI_result));
    uint64 *passed = nullptr;  // walk: bit k - low set when key k passed
    if (walk) passed = check_range(probe, req, raw ? -1.0 : req->min_quality, raw, low, high);

    size_t chunk = first_chunk;
    bool complete = false;
    size_t ordered = 0;  // r->candidates[0, ordered) are in rank order
    for (size_t from = 0; from < total && !complete; from += chunk, chunk = Min(chunk * 2, kMaxCheckChunk)) {
        chunk = Min(chunk, kMaxCheckChunk);
        CHECK_FOR_INTERRUPTS();
        size_t to = Min(from + chunk, total);
        if (to > ordered)
            run_cpp("ranking", [&] {
                const size_t more = std::max(to - ordered, ordered);
                clara::rank_prefix(r->candidates, ordered, more);
                ordered = std::min(total, ordered + more);
            });
        if (!walk) check_candidates(r, probe, req, raw ? -1.0 : req->min_quality, from, to);
        run_cpp("ranking", [&] {
            for (size_t i = from; i < to; i++) {
                const clara::ScoredDoc &c = r->candidates[i];
                if (walk) {
                    const uint64 bit = static_cast<uint64>(static_cast<int32>(c.doc_key) - static_cast<int64>(low));
                    if ((passed[bit / 64] & (uint64{1} << (bit % 64))) == 0) continue;
                } else if (!std::binary_search(r->valid.begin(), r->valid.end(), c.doc_key)) {
                    continue;
                }
                if (static_cast<int64>(r->keys.size()) >= top_k && c.score != r->scores.back()) {
                    complete = true;
                    break;
                }
                r->keys.push_back(static_cast<int32_t>(c.doc_key));
                r->scores.push_back(c.score);
            }
        });
    }
    if (passed != nullptr) pfree(passed);
    // Emptied, its capacity kept for the next fusion of the same ranking.
    run_cpp("ranking", [&] { r->candidates.clear(); });
}

namespace {

// End of the run of equal scores that starts at i.
size_t tie_group_end(const Ranking *r, size_t i) {
    size_t end = i + 1;
    while (end < r->scores.size() && r->scores[end] == r->scores[i]) end++;
    return end;
}

// Orders the tie groups in keys[from, to) by document_id, with one query
// for all their keys.
void order_tie_groups(Ranking *r, SPIPlanPtr plan, size_t from, size_t to) {
    int n = 0;
    auto *keys = static_cast<Datum *>(palloc(sizeof(Datum) * (to - from)));
    for (size_t i = from; i < to;) {
        size_t end = tie_group_end(r, i);
        if (end - i > 1)
            for (size_t j = i; j < end; j++) keys[n++] = Int32GetDatum(r->keys[j]);
        i = end;
    }
    Datum arg = int4_array(keys, n);
    if (SPI_execute_plan(plan, &arg, nullptr, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not order tied documents");
    // candidates as scratch: (doc_key, rank of its document_id).
    uint64 found = SPI_processed;
    run_cpp("ranking", [&] { r->candidates.resize(found); });
    for (uint64 i = 0; i < found; i++) {
        bool isnull;
        r->candidates[i].doc_key = static_cast<uint32_t>(
            DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)));
        r->candidates[i].score = static_cast<double>(i);
    }
    SPI_freetuptable(SPI_tuptable);
    pfree(keys);
    run_cpp("ranking", [&] {
        std::sort(r->candidates.begin(), r->candidates.end(),
                  [](const clara::ScoredDoc &a, const clara::ScoredDoc &b) { return a.doc_key < b.doc_key; });
        auto id_order = [&](int32_t key) {
            auto it = std::lower_bound(r->candidates.begin(), r->candidates.end(), static_cast<uint32_t>(key),
                                       [](const clara::ScoredDoc &c, uint32_t k) { return c.doc_key < k; });
            return it->score;
        };
        for (size_t i = from; i < to;) {
            size_t end = tie_group_end(r, i);
            if (end - i > 1)
                std::sort(r->keys.begin() + i, r->keys.begin() + end,
                          [&](int32_t a, int32_t b) { return id_order(a) < id_order(b); });
            i = end;
        }
    });
}

}  // namespace

// Within runs of equal scores, orders by document_id (bytewise), then cuts
// the result to top_k: ties at the boundary go to the smaller document_ids.
// Whole tie groups are ordered together, at most kMaxCheckChunk keys per
// query (one larger group alone), so memory does not grow with the result.
void break_ties(Ranking *r, const char *schema, int64 top_k) {
    size_t n = r->keys.size();
    char *sql = psprintf(
        "SELECT d.doc_key FROM %s.clara_documents d WHERE d.doc_key = ANY($1) "
        "ORDER BY d.document_id COLLATE \"C\"",
        schema);
    Oid type = INT4ARRAYOID;
    SPIPlanPtr plan = nullptr;
    for (size_t from = 0; from < n;) {
        CHECK_FOR_INTERRUPTS();
        size_t to = from, tied = 0;
        while (to < n) {
            size_t end = tie_group_end(r, to);
            size_t size = end - to > 1 ? end - to : 0;
            if (tied > 0 && tied + size > kMaxCheckChunk) break;
            tied += size;
            to = end;
        }
        if (tied > 0) {
            if (plan == nullptr && (plan = SPI_prepare(sql, 1, &type)) == nullptr)
                elog(ERROR, "clara: could not prepare the tie order: %s", SPI_result_code_string(SPI_result));
            order_tie_groups(r, plan, from, to);
        }
        from = to;
    }
    run_cpp("ranking", [&] {
        r->candidates.clear();  // capacity kept: release_scratch() frees it
        if (static_cast<int64>(n) > top_k) {
            r->keys.resize(top_k);
            r->scores.resize(top_k);
        }
    });
}

bool keyword_candidates(Ranking *r, const SearchRequest *req, const char *schema) {
    int nlexemes = 0;
    char **lexemes = query_lexemes(req->query, req->query_len, &nlexemes);
    if (nlexemes > kMaxQueryTerms)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("query has %d distinct terms, more than the limit of %d", nlexemes, kMaxQueryTerms),
                        errhint("A query is a few words or a passage: search with its most telling part.")));
    if (nlexemes == 0) {
        ereport(NOTICE, (errmsg("query has no searchable terms"),
                         errhint("Every word of the query is a stop word or punctuation.")));
        return false;
    }
    CorpusStats stats = corpus_stats(schema, "total_length");
    score_postings(r, schema, lexemes, nlexemes, stats);
    return true;
}

void Ranking::release_scratch() {
    scorer = clara::Bm25Scorer();
    candidates = std::vector<clara::ScoredDoc>();
    valid = std::vector<uint32_t>();
    keyword = std::vector<clara::ScoredDoc>();
    vector = std::vector<clara::ScoredDoc>();
    graph = std::vector<clara::ScoredDoc>();
    seeds = std::vector<clara::ScoredDoc>();
    edges = std::vector<clara::Edge>();
    scan = VectorScan();
    fusion = clara::FusionScratch();
    pending = PendingMatches();
}

Ranking *rank_documents(const SearchRequest *req, MemoryContext owner, RawRanking kind) {
    Ranking *r = make_owned<Ranking>(owner);
    const char *schema = extension_schema();
    const bool raw = kind != RawRanking::kNone;
    if (kind == RawRanking::kVector) {
        bool truncated;
        vector_candidates(&r->scan, std::string_view(req->query, req->query_len), SIZE_MAX, schema, &r->vector,
                          &truncated);
        run_cpp("ranking", [&] { r->candidates.swap(r->vector); });
    } else if (!raw && !req->keyword_only()) {
        rank_hybrid(r, req, schema);
        run_cpp("ranking", [&] { r->release_scratch(); });
        return r;
    } else if (!keyword_candidates(r, req, schema)) {
        return r;
    }
    int64 top_k = raw ? INT64_MAX : req->top_k;
    select_results(r, schema, req, raw, top_k);
    break_ties(r, schema, top_k);
    run_cpp("ranking", [&] { r->release_scratch(); });
    return r;
}

}  // namespace clara::pg
