// clara_stream, clara_stream_jsonl, clara_search and clara_bm25.
//
// The ranking runs once, on the first call, and yields compact doc_keys in
// rank order. The rows themselves are read batch by batch: each batch is one
// read-only SPI query over the next clara.streaming_batch_size keys, under
// the statement's snapshot, and its rows are handed out one per call
// (value-per-call). So the first row leaves before the last is read, and
// memory does not grow with top_k: no query ever sees more than one batch of
// keys (an SPI cursor over all keys at once would hold them in its plan and
// materialise them in a tuplestore). Called in FROM, PostgreSQL materialises
// any set-returning function first; call these in the SELECT list to stream.
#include "catalog.hpp"
#include "chunk.hpp"
#include "split.hpp"
#include "tokenizers.hpp"
#include "enrich.hpp"
#include "eval_sets.hpp"
#include "fetch.hpp"
#include "guc.hpp"
#include "jsonl.hpp"
#include "metadata_keys.hpp"
#include "pg.hpp"
#include "plans.hpp"
#include "rank.hpp"
#include "request.hpp"

extern "C" {
#include "access/xact.h"
#include "nodes/execnodes.h"
}

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

// Raw: (document_id, score) of clara_bm25 / clara_vector. Stats: the
// export's path with the lines counted instead of built (clara_stats).
enum class Form { Record, Jsonl, Raw, Stats };

// Column numbers of a batch's rows for each form.
enum CursorColumn {
    kOrd = 1,
    kDocumentId,
    kContent,
    kMetadata,
    kSource,
    kQuality,
    kDomain,
    kDocumentType,
    kTitle,
    kContentHash,  // Jsonl and Stats
    kWordCount     // Stats only: quality_signals' word_count
};

// The buffers a training line is built in; reused across rows.
struct LineBuffers {
    std::string line;
    std::string metadata;
    std::vector<clara::TextChunk> chunks;  // of the current document, when chunking
    size_t next_chunk = 0;
    std::string prompt;      // rendered prompt_template
    std::string rendered;    // rendered text_template
    std::string_view split;  // of the current document (a name in the SplitSpec, or "train")
};

// dedup => 'exact' | 'near': the ranks (1-based) of documents another,
// better-ranked copy stands for, and the size of each kept document's
// cluster among the ranked documents (others: 1). Only ranked documents
// that have duplicates take room here.
enum class Dedup { kNone, kExact, kNear };

struct DupPlan {
    Dedup mode = Dedup::kNone;
    std::vector<int64_t> dropped;                    // ascending
    std::vector<std::pair<int64_t, uint32_t>> kept;  // (rank, cluster size), ascending
    size_t next_dropped = 0, next_kept = 0;
    // scratch while planning
    std::unordered_map<int32_t, int32_t> label;                       // doc_key -> cluster label
    std::unordered_map<int32_t, std::pair<int64_t, uint32_t>> first;  // label -> (best rank, size)
};

// Per split: what an export wrote (train first, then the named splits in
// the order given).
struct SplitCounts {
    const char *name;
    int64 documents = 0;
    int64 lines = 0;
    int64 tokens = 0;  // the tokenizer's count of the text the lines carry, or the estimate
};

// What the last export of this backend did (clara_export_summary()), and
// what clara_stats reports: the same counters, filled on the same path.
struct ExportSummary {
    Dedup dedup = Dedup::kNone;
    int64 ranked = 0;
    int64 documents = 0;
    int64 lines = 0;
    int64 removed_duplicates = 0;
    int64 removed_excluded = 0;      // exclude: in a named earlier export
    int64 removed_held_out = 0;      // exclude_held_out: in an earlier validation/test split
    int64 removed_contaminated = 0;  // decontaminate, mode drop
    int64 removed_token_budget = 0;  // ranked documents the budget left unwritten
    bool complete = false;
    const char *tokenizer = nullptr;  // tokens counted by this tokenizer; nullptr: the estimate
    SplitCounts *splits = nullptr;    // [0] train, then the SplitSpec's parts
    int nsplits = 0;
    const char *only_split = nullptr;  // the one split written, or nullptr for all
};
ExportSummary g_summary;
// Holds g_summary's names and split counters: reset by each export.
MemoryContext g_summary_cxt = nullptr;

// Without a tokenizer, tokens are estimated as ceil(UTF-8 bytes / 3.7):
// Llama 3's average over the German and English reference sets
// (docs/training.md#token-estimate says how it was measured and its error).
int64 estimate_tokens(size_t bytes) { return static_cast<int64>((bytes * 10 + 36) / 37); }

// clara_stats' sums over the documents written, besides the summary's.
struct StatsTotals {
    double quality = 0.0;
    double relevance = 0.0;
    int64 words = 0;
    std::map<std::string, int64> domains;
    std::map<std::string, int64> document_types;
};

struct StreamState {
    Form form;
    ExportSummary *summary;  // &g_summary, or clara_stats' own
    StatsTotals *totals;     // Stats only
    int64 doc_tokens;        // tokens of the current document when counted already (token_budget), else -1
    clara::pg::Ranking *ranking;
    LineBuffers *buffers;
    SPIPlanPtr batch_plan;              // reads the documents of one batch of keys (batch_sql, kept per backend)
    clara::pg::DocumentReader *reader;  // reads them without SQL (fetch.hpp), or nullptr
    ItemPointerData *tids;              // with reader: where each ranked document is, or nullptr
    int batch_size;
    size_t next_key;  // first key of the next batch
    MemoryContext batch_cxt;
    TupleDesc batch_desc;
    HeapTuple *rows;
    uint64 nrows;
    uint64 next;
    int64 batch_start;                  // rank of the batch's first row, minus one
    clara::pg::Enrichment *enrichment;  // registered sources, or nullptr
    Jsonb **extra;                      // per batch row: fields from the sources, or nullptr
    // Chunking (clara_stream_jsonl's tokenizer / chunk_tokens): the document
    // whose chunks are being emitted (its row lives in batch_cxt until the
    // next batch, which is read only after its last chunk).
    const clara::ModelTokenizer *tokenizer;
    uint32_t chunk_tokens;  // 0: no chunking
    uint32_t chunk_overlap;
    HeapTuple chunk_row;
    int64 chunk_ord;
    Jsonb *chunk_extra;
    // The line's shape (format, templates) and the query for {query}.
    clara::LineFormat format;
    const char *prompt_template;
    const char *text_template;
    const char *query;
    int query_len;
    // Splits (split, split_seed, only_split): nullptr without.
    clara::SplitSpec *split;
    int64 split_seed;
    const char *only_split;
    // token_budget: 0 without; the tokens of the lines so far.
    int64 token_budget;
    int64 tokens_out;
    bool budget_spent;
    // dedup: which ranks go out as their cluster's copy, which are dropped.
    DupPlan *dup;
    // decontaminate: the evaluation sets' grams (nullptr without); report
    // mode keeps every document and writes the current one's overlap.
    clara::pg::EvalGrams *eval;
    bool eval_report;
    int64 eval_overlap;
    // The export ledger (record, exclude, exclude_held_out): nullptr without.
    struct Ledger *ledger;
    // clara.uniform_metadata: the catalogued metadata keys in jsonb order,
    // each written as null where a document lacks it; nullptr when off.
    const std::vector<std::string> *uniform_keys;
    // The Record form's: an object of those keys, each null (or {}), that
    // the batch query puts under the stored metadata ($2).
    Datum uniform_nulls;
};

// The export ledger of one export (docs/training.md#export-ledger). Plain
// data in the stream's memory context; per-batch arrays in batch_cxt.
struct Ledger {
    const char *record;      // record => name, or nullptr
    const char *record_sql;  // files written documents under record
    const char *schema;      // the extension's, quoted: the lookup's kept plan is per schema
    Datum exclude_names;     // text[]: exclude's export names (or an empty array)
    Datum exclude_splits;    // text[]: their splits, NULL for all splits
    bool held_out;           // exclude_held_out
    bool lookup;             // run the lookup (ledger_lookup_plan) per batch
    // Per batch row (index = row in the batch): kept out by exclude / held out.
    bool *excluded;
    bool *in_held_out;
    // Documents written since the last flush (record): at most one batch.
    Datum *ids;
    Datum *hashes;
    bool *hash_nulls;
    Datum *splits;
    int pending;
};

const char *batch_sql(Form form, const char *schema) {
    const char *columns = nullptr;
    switch (form) {
        case Form::Record:
            columns =
                "d.document_id, d.content, $2::jsonb || d.metadata || pg_catalog.jsonb_build_object('domain', "
                "d.domain, "
                "'document_type', d.document_type, 'title', d.title), d.source, d.quality_score";
            break;
        case Form::Jsonl:
            columns =
                "d.document_id, d.content, d.metadata, d.source, d.quality_score, d.domain, "
                "d.document_type, d.title, d.content_hash";
            break;
        case Form::Raw: columns = "d.document_id"; break;
        case Form::Stats:
            columns =
                "d.document_id, d.content, d.metadata, d.source, d.quality_score, d.domain, "
                "d.document_type, d.title, d.content_hash, (d.quality_signals->>'word_count')::bigint";
            break;
    }
    // The LATERAL subquery with OFFSET 0 cannot be flattened into a join, so
    // the plan is a nested loop driven by unnest: one index probe per key, in
    // the order of $1, and each row carries its key's position there (ord),
    // by which fetch_batch puts it in its place.
    return psprintf(
        "SELECT u.ord, %s FROM pg_catalog.unnest($1::integer[]) WITH ORDINALITY AS u(doc_key, ord) "
        "CROSS JOIN LATERAL (SELECT x.* FROM %s.clara_documents x WHERE x.doc_key = u.doc_key OFFSET 0) d",
        columns, schema);
}

// The batch query of form, planned once per backend (plans.hpp): parsing,
// analysing and planning it for every batch of 100 keys was 8-9 % of the
// export's backend time (docs/benchmarks.md, Export against the floor).
// The plan is the same for every batch (a nested loop over the keys), so a
// generic plan loses nothing. SPI must be connected.
SPIPlanPtr batch_plan(Form form, const char *schema) {
    static clara::pg::KeptPlan plans[4];
    Oid types[2] = {INT4ARRAYOID, JSONBOID};
    return clara::pg::kept_plan(&plans[static_cast<int>(form)], schema, form == Form::Record ? 2 : 1, types,
                                CURSOR_OPT_GENERIC_PLAN, [&] { return batch_sql(form, schema); });
}

// format, prompt_template, text_template (clara_stream_jsonl's arguments
// 11-13): checked, copied into owner.
void parse_line_shape(StreamState *st, FunctionCallInfo fcinfo, const clara::pg::SearchRequest *req,
                      MemoryContext owner) {
    st->format = clara::LineFormat::kRaw;
    st->prompt_template = MemoryContextStrdup(owner, clara::kDefaultPromptTemplate);
    st->text_template = MemoryContextStrdup(owner, clara::kDefaultTextTemplate);
    char *query = static_cast<char *>(MemoryContextAlloc(owner, req->query_len + 1));
    memcpy(query, req->query, req->query_len);
    query[req->query_len] = '\0';
    st->query = query;
    st->query_len = req->query_len;
    if (PG_NARGS() > 10 && !PG_ARGISNULL(10)) {
        char *name = text_to_cstring(PG_GETARG_TEXT_PP(10));
        if (!clara::parse_line_format(name, &st->format))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown format \"%s\"", name),
                            errhint("Formats are %s.", clara::kLineFormats)));
    }
    const char *names[2] = {"prompt_template", "text_template"};
    const char **targets[2] = {&st->prompt_template, &st->text_template};
    for (int i = 0; i < 2; i++) {
        if (PG_NARGS() <= 11 + i || PG_ARGISNULL(11 + i)) continue;
        char *tmpl = text_to_cstring(PG_GETARG_TEXT_PP(11 + i));
        char problem[300] = "";
        clara::pg::run_cpp("checking a template", [&] {
            std::string why = clara::check_template(tmpl);
            snprintf(problem, sizeof problem, "%s", why.c_str());
        });
        if (problem[0] != '\0')
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s: %s", names[i], problem),
                            errhint("Placeholders are {title} {text} {query} {document_id} {source} {domain} "
                                    "{document_type}, for example '{title}\\n\\n{text}'.")));
        *targets[i] = MemoryContextStrdup(owner, tmpl);
    }
    // split, split_seed, only_split (arguments 14-16).
    st->split = nullptr;
    st->only_split = nullptr;
    st->split_seed = PG_NARGS() > 14 && !PG_ARGISNULL(14) ? PG_GETARG_INT64(14) : 0;
    if (PG_NARGS() > 13 && !PG_ARGISNULL(13)) {
        char *spec_text = text_to_cstring(PG_GETARG_TEXT_PP(13));
        clara::SplitSpec *spec = clara::pg::make_owned<clara::SplitSpec>(owner);
        char problem[300] = "";
        clara::pg::run_cpp("reading the splits", [&] {
            std::string why = clara::parse_split_spec(spec_text, spec);
            snprintf(problem, sizeof problem, "%s", why.c_str());
        });
        if (problem[0] != '\0')
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("split: %s", problem),
                            errhint("For example 'validation=0.02,test=0.01': train takes the rest.")));
        st->split = spec;
    }
    if (PG_NARGS() > 15 && !PG_ARGISNULL(15)) {
        char *only = text_to_cstring(PG_GETARG_TEXT_PP(15));
        bool known = st->split != nullptr && strcmp(only, "train") == 0;
        for (size_t i = 0; st->split != nullptr && i < st->split->parts.size(); i++)
            known = known || st->split->parts[i].first == only;
        if (!known)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("only_split \"%s\" is not one of the splits", only),
                            errhint("Name train or a split given in split, for example split => "
                                    "'validation=0.02', only_split => 'validation'.")));
        st->only_split = MemoryContextStrdup(owner, only);
    }
}

// dedup: reads the clusters of the ranked documents (as the index, like
// the ranking) and decides which rank of each cluster goes out: the best.
void plan_dedup(StreamState *st, const char *mode, MemoryContext owner) {
    Dedup m;
    if (strcmp(mode, "exact") == 0)
        m = Dedup::kExact;
    else if (strcmp(mode, "near") == 0)
        m = Dedup::kNear;
    else if (strcmp(mode, "none") == 0)
        return;
    else
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown dedup \"%s\"", mode),
                        errhint("dedup is exact (same normalised text), near (MinHash, docs/training.md#duplicates) "
                                "or none.")));
    DupPlan *plan = clara::pg::make_owned<DupPlan>(owner);
    plan->mode = m;
    st->dup = plan;
    st->summary->dedup = m;
    const std::vector<int32_t> &keys = st->ranking->keys;
    if (keys.empty()) return;
    MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "clara dedup plan", ALLOCSET_DEFAULT_SIZES);
    MemoryContext old = MemoryContextSwitchTo(scratch);
    auto *datums = static_cast<Datum *>(palloc(sizeof(Datum) * keys.size()));
    for (size_t i = 0; i < keys.size(); i++) datums[i] = Int32GetDatum(keys[i]);
    Oid type = INT4ARRAYOID;
    Datum arg = clara::pg::int4_array(datums, static_cast<int>(keys.size()));
    const char *sql = psprintf(
        "SELECT doc_key, %s FROM %s.clara_dup_clusters WHERE doc_key = ANY($1) AND %s IS NOT NULL",
        m == Dedup::kNear ? "near_cluster" : "exact_cluster", clara::pg::extension_schema(),
        m == Dedup::kNear ? "near_cluster" : "exact_cluster");
    clara::pg::SavedUser caller = clara::pg::as_index_owner();
    int rc = SPI_execute_with_args(sql, 1, &type, &arg, nullptr, true, 0);
    clara::pg::restore_user(caller);
    if (rc != SPI_OK_SELECT) elog(ERROR, "clara: could not read the duplicate clusters");
    for (uint64 i = 0; i < SPI_processed; i++) {
        bool isnull;
        const int32 doc = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        const int32 label = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
        clara::pg::run_cpp("planning dedup", [&] { plan->label[doc] = label; });
    }
    MemoryContextSwitchTo(old);
    MemoryContextDelete(scratch);
    clara::pg::run_cpp("planning dedup", [&] {
        // Ranks ascend: the first rank seen of a cluster is its best.
        for (size_t r = 0; r < keys.size() && !plan->label.empty(); r++) {
            auto it = plan->label.find(keys[r]);
            if (it == plan->label.end()) continue;
            auto ins = plan->first.emplace(it->second, std::make_pair(static_cast<int64_t>(r + 1), 1u));
            if (!ins.second) {
                ins.first->second.second++;
                plan->dropped.push_back(static_cast<int64_t>(r + 1));
            }
        }
        for (const auto &f : plan->first)
            if (f.second.second > 1) plan->kept.push_back(f.second);
        std::sort(plan->kept.begin(), plan->kept.end());
        plan->label = {};
        plan->first = {};
    });
}

// One query per batch: the ledger rows of the batch's documents, by id and
// by content hash (two index scans each), folded per document. Planned once
// per backend (plans.hpp): parsing and planning it for every batch of 100
// rows was about half of what --exclude added to an export. It runs as the
// caller; the plan cache plans it again for another role where row-level
// security applies.
clara::pg::KeptPlan g_ledger_lookup;
SPIPlanPtr ledger_lookup_plan(const char *schema) {
    Oid types[6] = {TEXTARRAYOID, BYTEAARRAYOID, TEXTARRAYOID, TEXTARRAYOID, BOOLOID, TEXTOID};
    return clara::pg::kept_plan(&g_ledger_lookup, schema, 6, types, 0, [&] {
        return psprintf(
            "SELECT u.i, bool_or(l.export_name = ANY($3) AND EXISTS (SELECT 1 FROM unnest($3, $4) x(n, s) "
            "WHERE x.n = l.export_name AND (x.s IS NULL OR x.s = l.split))), "
            "bool_or($5 AND l.split IN ('validation', 'test')) "
            "FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS u(id, h, i) "
            "CROSS JOIN LATERAL (SELECT e.export_name, e.split FROM %s.clara_export_documents e "
            "WHERE e.document_id = u.id "
            "UNION ALL SELECT e.export_name, e.split FROM %s.clara_export_documents e WHERE e.content_hash = u.h) l "
            "WHERE l.export_name IS DISTINCT FROM $6 AND (l.export_name = ANY($3) OR ($5 AND l.split IN "
            "('validation', 'test'))) "
            "GROUP BY u.i",
            schema, schema);
    });
}

// record, exclude, exclude_held_out (clara_stream_jsonl's arguments 18-20):
// checked, the ledger row of record created (SPI connected). The lookup
// and the inserts run as the caller, so row-level security decides which
// exports count: those of roles the caller is a member of.
void start_ledger(StreamState *st, FunctionCallInfo fcinfo, MemoryContext owner) {
    const bool has_record = !PG_ARGISNULL(18), has_exclude = !PG_ARGISNULL(19);
    const bool held_out = PG_ARGISNULL(20) ? true : PG_GETARG_BOOL(20);
    if (!has_record && !has_exclude && !held_out) return;
    const char *schema = clara::pg::extension_schema();
    MemoryContext old = MemoryContextSwitchTo(owner);
    auto *ledger = static_cast<Ledger *>(palloc0(sizeof(Ledger)));
    ledger->held_out = held_out;
    // exclude: 'NAME' or 'NAME:split' (the last colon separates the split).
    int nexclude = 0;
    Datum *names = nullptr, *splits = nullptr;
    bool *split_nulls = nullptr;
    if (has_exclude) {
        Datum *items;
        bool *item_nulls;
        deconstruct_array(PG_GETARG_ARRAYTYPE_P(19), TEXTOID, -1, false, TYPALIGN_INT, &items, &item_nulls, &nexclude);
        names = static_cast<Datum *>(palloc(sizeof(Datum) * Max(nexclude, 1)));
        splits = static_cast<Datum *>(palloc(sizeof(Datum) * Max(nexclude, 1)));
        split_nulls = static_cast<bool *>(palloc(sizeof(bool) * Max(nexclude, 1)));
        for (int i = 0; i < nexclude; i++) {
            if (item_nulls[i])
                ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("exclude must not contain NULL")));
            char *item = TextDatumGetCString(items[i]);
            char *colon = strrchr(item, ':');
            split_nulls[i] = colon == nullptr;
            if (colon != nullptr) {
                *colon = '\0';
                if (colon[1] == '\0')
                    ereport(ERROR,
                            (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("exclude \"%s:\" names no split", item),
                             errhint("Write NAME for every split of an export, NAME:split for one.")));
                splits[i] = CStringGetTextDatum(colon + 1);
            } else {
                splits[i] = static_cast<Datum>(0);
            }
            names[i] = CStringGetTextDatum(item);
        }
    }
    int dims[1] = {nexclude}, lbs[1] = {1};
    ledger->exclude_names = PointerGetDatum(
        construct_md_array(names, nullptr, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
    ledger->exclude_splits = PointerGetDatum(
        construct_md_array(splits, split_nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
    const char *record = has_record ? text_to_cstring(PG_GETARG_TEXT_PP(18)) : nullptr;
    ledger->record = record;
    ledger->schema = pstrdup(schema);  // lives as long as the stream (owner), not this call
    ledger->record_sql = psprintf(
        "WITH written AS (INSERT INTO %s.clara_export_documents (export_name, document_id, content_hash, split) "
        "SELECT $1, u.id, u.h, u.s FROM unnest($2::text[], $3::bytea[], $4::text[]) AS u(id, h, s) RETURNING 1) "
        "UPDATE %s.clara_exports SET documents = documents + (SELECT count(*) FROM written) WHERE name = $1",
        schema, schema);
    MemoryContextSwitchTo(old);
    // After here SPI calls leave CurrentMemoryContext in SPI's own context:
    // nothing below allocates what must outlive start_stream.
    ledger->lookup = nexclude > 0;
    if (held_out && nexclude == 0) {
        // No earlier validation/test document the caller may see: no lookup
        // per batch (the usual export, before any --record).
        Oid type = TEXTOID;
        Datum arg = record != nullptr ? CStringGetTextDatum(record) : static_cast<Datum>(0);
        const char *sql = psprintf(
            "SELECT 1 FROM %s.clara_export_documents e WHERE e.split IN ('validation', 'test') "
            "AND e.export_name IS DISTINCT FROM $1 LIMIT 1",
            schema);
        if (SPI_execute_with_args(sql, 1, &type, &arg, record != nullptr ? " " : "n", true, 1) != SPI_OK_SELECT)
            elog(ERROR, "clara: could not read the export ledger");
        ledger->lookup = SPI_processed > 0;
    }

    if (nexclude > 0) {
        // A name that is not there (or not the caller's to see) would
        // silently exclude nothing: an error instead.
        Oid type = TEXTARRAYOID;
        Datum arg = ledger->exclude_names;
        const char *sql = psprintf(
            "SELECT n FROM unnest($1::text[]) AS n WHERE NOT EXISTS "
            "(SELECT 1 FROM %s.clara_exports e WHERE e.name = n) LIMIT 1",
            schema);
        if (SPI_execute_with_args(sql, 1, &type, &arg, nullptr, true, 0) != SPI_OK_SELECT)
            elog(ERROR, "clara: could not read the export ledger");
        if (SPI_processed > 0)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                            errmsg("export \"%s\" does not exist",
                                   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
                            errhint("clara_list_exports() lists the exports you may see: your own and those of "
                                    "roles you are a member of.")));
    }
    if (record != nullptr) {
        if (record[0] == '\0')
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("record needs a non-empty name")));
        if (XactReadOnly)
            ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION), errmsg("record needs a read-write transaction"),
                            errhint("The ledger is written in the export's own transaction: record on the primary, "
                                    "outside BEGIN READ ONLY; a standby can export without record.")));
        // The export's arguments, as given (NULL: the default).
        constexpr int kArgs = 19;
        const int arg_index[kArgs] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20};
        const Oid arg_type[kArgs] = {TEXTOID, INT4OID, FLOAT8OID, JSONBOID,     TEXTARRAYOID, JSONBOID, TEXTOID,
                                     INT4OID, INT4OID, TEXTOID,   TEXTOID,      TEXTOID,      TEXTOID,  INT8OID,
                                     TEXTOID, INT8OID, TEXTOID,   TEXTARRAYOID, BOOLOID};
        Oid types[kArgs + 1];
        Datum values[kArgs + 1];
        char nulls[kArgs + 2];
        types[0] = TEXTOID;
        values[0] = PG_GETARG_DATUM(18);
        nulls[0] = ' ';
        for (int i = 0; i < kArgs; i++) {
            const int a = arg_index[i];
            types[i + 1] = arg_type[i];
            values[i + 1] = PG_ARGISNULL(a) ? static_cast<Datum>(0) : PG_GETARG_DATUM(a);
            nulls[i + 1] = PG_ARGISNULL(a) ? 'n' : ' ';
        }
        nulls[kArgs + 1] = '\0';
        const char *sql = psprintf(
            "INSERT INTO %s.clara_exports (name, query, arguments) VALUES ($1, $2, jsonb_build_object("
            "'top_k', $3, 'min_quality', $4, 'filters', $5, 'search_types', $6, 'weights', $7, 'tokenizer', $8, "
            "'chunk_tokens', $9, 'chunk_overlap', $10, 'format', $11, 'prompt_template', $12, 'text_template', $13, "
            "'split', $14, 'split_seed', $15, 'only_split', $16, 'token_budget', $17, 'dedup', $18, "
            "'exclude', $19, 'exclude_held_out', $20)) ON CONFLICT (name) DO NOTHING",
            schema);
        if (SPI_execute_with_args(sql, kArgs + 1, types, values, nulls, false, 0) != SPI_OK_INSERT)
            elog(ERROR, "clara: could not record the export");
        if (SPI_processed == 0)
            ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT), errmsg("export \"%s\" already exists", record),
                            errhint("Choose another name, or drop the old one first: SELECT clara_drop_export('%s') "
                                    "(clara-stream exports --drop NAME).",
                                    record)));
    }
    st->ledger = ledger;
}

// Files the documents written since the last flush under record, in one
// statement (its own SPI connection).
void flush_record(StreamState *st) {
    Ledger *ledger = st->ledger;
    if (ledger == nullptr || ledger->record == nullptr || ledger->pending == 0) return;
    int guc_level = clara::pg::spi_connect();
    int dims[1] = {ledger->pending}, lbs[1] = {1};
    Oid types[4] = {TEXTOID, TEXTARRAYOID, BYTEAARRAYOID, TEXTARRAYOID};
    Datum values[4] = {
        CStringGetTextDatum(ledger->record),
        PointerGetDatum(construct_md_array(ledger->ids, nullptr, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT)),
        PointerGetDatum(
            construct_md_array(ledger->hashes, ledger->hash_nulls, 1, dims, lbs, BYTEAOID, -1, false, TYPALIGN_INT)),
        PointerGetDatum(construct_md_array(ledger->splits, nullptr, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT))};
    if (SPI_execute_with_args(ledger->record_sql, 4, types, values, nullptr, false, 0) != SPI_OK_UPDATE)
        elog(ERROR, "clara: could not record the documents of export \"%s\"", ledger->record);
    ledger->pending = 0;
    clara::pg::spi_finish(guc_level);
}

// decontaminate (argument 21, set names) and decontaminate_mode (22, drop
// or report): loads the sets' grams once, before the first row.
void plan_decontamination(StreamState *st, FunctionCallInfo fcinfo, MemoryContext owner) {
    if (!PG_ARGISNULL(22)) {
        const char *mode = text_to_cstring(PG_GETARG_TEXT_PP(22));
        if (strcmp(mode, "report") == 0)
            st->eval_report = true;
        else if (strcmp(mode, "drop") != 0)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown decontaminate_mode \"%s\"", mode),
                            errhint("decontaminate_mode is drop (leave out documents sharing a gram with an evaluation "
                                    "set) or report (keep them, metadata.eval_overlap counts the shared grams).")));
    }
    if (PG_ARGISNULL(21)) return;
    ArrayType *names = PG_GETARG_ARRAYTYPE_P(21);
    if (ArrayGetNItems(ARR_NDIM(names), ARR_DIMS(names)) == 0) return;
    st->eval = clara::pg::load_eval_sets(names, owner);
}

// Resets st's summary for a new export: ranked, the tokenizer the tokens
// are counted with, a counter per split (g_summary's in its own context,
// clara_stats' in owner).
void start_summary(StreamState *st, FunctionCallInfo fcinfo, MemoryContext owner) {
    MemoryContext cxt = owner;
    if (st->summary == &g_summary) {
        if (g_summary_cxt == nullptr)
            g_summary_cxt = AllocSetContextCreate(TopMemoryContext, "clara export summary", ALLOCSET_SMALL_SIZES);
        MemoryContextReset(g_summary_cxt);
        cxt = g_summary_cxt;
    }
    ExportSummary *s = st->summary;
    *s = ExportSummary{};
    s->ranked = static_cast<int64>(st->ranking->keys.size());
    if (st->tokenizer != nullptr) s->tokenizer = MemoryContextStrdup(cxt, text_to_cstring(PG_GETARG_TEXT_PP(7)));
    const int parts = st->split != nullptr ? static_cast<int>(st->split->parts.size()) : 0;
    s->splits = static_cast<SplitCounts *>(MemoryContextAllocZero(cxt, sizeof(SplitCounts) * (parts + 1)));
    s->nsplits = parts + 1;
    s->splits[0].name = "train";
    for (int i = 0; i < parts; i++) s->splits[i + 1].name = MemoryContextStrdup(cxt, st->split->parts[i].first.c_str());
    if (st->only_split != nullptr) s->only_split = MemoryContextStrdup(cxt, st->only_split);
}

// Ranks (connecting to SPI itself). The ranking and the batch query text
// belong to owner.
void start_stream(StreamState *st, FunctionCallInfo fcinfo, Form form, bool has_batch_size, MemoryContext owner,
                  clara::pg::RawRanking raw) {
    clara::pg::SearchRequest *req = clara::pg::parse_search_request(fcinfo, has_batch_size);
    if (raw == clara::pg::RawRanking::kNone) clara::pg::resolve_edges(req);
    st->form = form;
    st->batch_size = req->batch_size;
    int guc_level = clara::pg::spi_connect();
    st->ranking = clara::pg::rank_documents(req, owner, raw);
    st->buffers = clara::pg::make_owned<LineBuffers>(owner);
    st->batch_cxt = AllocSetContextCreate(owner, "clara stream batch", ALLOCSET_DEFAULT_SIZES);
    st->batch_plan = batch_plan(form, clara::pg::extension_schema());
    if (form == Form::Jsonl) {
        // The columns of batch_sql's Jsonl form, in its order.
        static const char *const kJsonlColumns[] = {"document_id",   "content",       "metadata",
                                                    "source",        "quality_score", "domain",
                                                    "document_type", "title",         "content_hash"};
        st->reader = clara::pg::open_document_reader(clara::pg::extension_schema(), kJsonlColumns, 9, owner);
        if (st->reader != nullptr) {
            st->batch_desc = clara::pg::reader_desc(st->reader);
            const std::vector<int32_t> &keys = st->ranking->keys;
            st->tids = static_cast<ItemPointerData *>(MemoryContextAllocExtended(
                owner, sizeof(ItemPointerData) * Max(keys.size(), (size_t)1), MCXT_ALLOC_HUGE));
            if (!clara::pg::locate_documents(st->reader, keys.data(), keys.size(), st->tids)) {
                pfree(st->tids);
                st->tids = nullptr;
            }
        }
    }
    st->doc_tokens = -1;
    // Stats runs the export's path: the same arguments, checks and steps.
    const bool exports = form == Form::Jsonl || form == Form::Stats;
    // Enrichment adds metadata only: nothing statistics count.
    if (form == Form::Record || form == Form::Jsonl)
        st->enrichment = clara::pg::load_sources(clara::pg::extension_schema(), owner);
    if (exports && PG_NARGS() > 8) {
        const bool has_tokenizer = !PG_ARGISNULL(7), has_chunks = !PG_ARGISNULL(8);
        const bool has_budget = PG_NARGS() > 16 && !PG_ARGISNULL(16);
        // Statistics count a tokenizer's tokens without chunks or a budget too.
        if (has_tokenizer && form == Form::Stats)
            st->tokenizer = clara::pg::tokenizer_by_name(text_to_cstring(PG_GETARG_TEXT_PP(7)), owner);
        if (has_tokenizer && !has_chunks && !has_budget && form == Form::Jsonl)
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("tokenizer needs chunk_tokens or token_budget"),
                     errhint("Pass chunk_tokens (the trainer's sequence length, for example 2048) to cut "
                             "documents into chunks counted by that tokenizer.")));
        if (has_budget) {
            int64 budget = PG_GETARG_INT64(16);
            if (budget <= 0)
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                                errmsg("token_budget must be positive, not %lld", static_cast<long long>(budget))));
            if (!has_tokenizer)
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("token_budget needs a tokenizer"),
                                errhint("The budget is counted in your model's tokens: pass tokenizer => name.")));
            st->token_budget = budget;
            st->tokenizer = clara::pg::tokenizer_by_name(text_to_cstring(PG_GETARG_TEXT_PP(7)), owner);
        }
        if (has_chunks) {
            const char *name = has_tokenizer ? text_to_cstring(PG_GETARG_TEXT_PP(7)) : nullptr;
            int32 overlap = PG_NARGS() > 9 && !PG_ARGISNULL(9) ? PG_GETARG_INT32(9) : 0;
            clara::pg::check_chunking(name, PG_GETARG_INT32(8), overlap);
            st->tokenizer = clara::pg::tokenizer_by_name(name, owner);
            st->chunk_tokens = static_cast<uint32_t>(PG_GETARG_INT32(8));
            st->chunk_overlap = static_cast<uint32_t>(overlap);
        }
    }
    if (exports) parse_line_shape(st, fcinfo, req, owner);
    if ((form == Form::Record || form == Form::Jsonl) && clara::pg::uniform_metadata())
        st->uniform_keys = clara::pg::load_metadata_keys(clara::pg::extension_schema(), owner);
    if (form == Form::Record) {
        std::string *nulls = clara::pg::make_owned<std::string>(owner);
        const std::vector<std::string> *keys = st->uniform_keys;
        clara::pg::run_cpp("reading the metadata keys", [&] {
            nulls->push_back('{');
            for (size_t i = 0; keys != nullptr && i < keys->size(); i++) {
                if (i > 0) nulls->push_back(',');
                clara::append_json_string(*nulls, (*keys)[i]);
                nulls->append(":null");
            }
            nulls->push_back('}');
        });
        MemoryContext old = MemoryContextSwitchTo(owner);
        st->uniform_nulls = DirectFunctionCall1(jsonb_in, CStringGetDatum(nulls->c_str()));
        MemoryContextSwitchTo(old);
    }
    if (st->summary == nullptr) st->summary = &g_summary;
    start_summary(st, fcinfo, owner);
    if (exports && PG_NARGS() > 17 && !PG_ARGISNULL(17)) plan_dedup(st, text_to_cstring(PG_GETARG_TEXT_PP(17)), owner);
    if (exports && PG_NARGS() > 20) start_ledger(st, fcinfo, owner);
    if (exports && PG_NARGS() > 22) plan_decontamination(st, fcinfo, owner);
    clara::pg::spi_finish(guc_level);
}

// The batch's documents that earlier exports hold (exclude, held out): one
// indexed query for the whole batch; flags in batch_cxt (the current context).
void lookup_ledger(StreamState *st) {
    Ledger *ledger = st->ledger;
    // Explicitly: an SPI call before (enrichment) leaves SPI's context current.
    MemoryContext old = MemoryContextSwitchTo(st->batch_cxt);
    const int n = static_cast<int>(st->nrows);
    const size_t rows = Max(st->nrows, (uint64)1);
    ledger->excluded = static_cast<bool *>(palloc0(sizeof(bool) * rows));
    ledger->in_held_out = static_cast<bool *>(palloc0(sizeof(bool) * rows));
    if (ledger->record != nullptr) {
        ledger->ids = static_cast<Datum *>(palloc(sizeof(Datum) * rows));
        ledger->hashes = static_cast<Datum *>(palloc(sizeof(Datum) * rows));
        ledger->hash_nulls = static_cast<bool *>(palloc(sizeof(bool) * rows));
        ledger->splits = static_cast<Datum *>(palloc(sizeof(Datum) * rows));
        ledger->pending = 0;
    }
    if (!ledger->lookup || n == 0) {
        MemoryContextSwitchTo(old);
        return;
    }
    auto *ids = static_cast<Datum *>(palloc(sizeof(Datum) * rows));
    auto *hashes = static_cast<Datum *>(palloc(sizeof(Datum) * rows));
    auto *hash_nulls = static_cast<bool *>(palloc(sizeof(bool) * rows));
    for (int i = 0; i < n; i++) {
        bool isnull;
        ids[i] = heap_getattr(st->rows[i], kDocumentId, st->batch_desc, &isnull);
        hashes[i] = heap_getattr(st->rows[i], kContentHash, st->batch_desc, &hash_nulls[i]);
    }
    int dims[1] = {n}, lbs[1] = {1};
    Datum values[6] = {
        PointerGetDatum(construct_md_array(ids, nullptr, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT)),
        PointerGetDatum(construct_md_array(hashes, hash_nulls, 1, dims, lbs, BYTEAOID, -1, false, TYPALIGN_INT)),
        ledger->exclude_names,
        ledger->exclude_splits,
        BoolGetDatum(ledger->held_out),
        ledger->record != nullptr ? CStringGetTextDatum(ledger->record) : static_cast<Datum>(0)};
    char nulls[7] = "     n";
    if (ledger->record != nullptr) nulls[5] = ' ';
    if (SPI_execute_plan(ledger_lookup_plan(ledger->schema), values, nulls, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not read the export ledger");
    for (uint64 r = 0; r < SPI_processed; r++) {
        bool isnull;
        HeapTuple t = SPI_tuptable->vals[r];
        const int64 i = DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull));
        if (i < 1 || i > n) continue;
        Datum ex = SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull);
        ledger->excluded[i - 1] = !isnull && DatumGetBool(ex);
        Datum held = SPI_getbinval(t, SPI_tuptable->tupdesc, 3, &isnull);
        ledger->in_held_out[i - 1] = !isnull && DatumGetBool(held);
    }
    MemoryContextSwitchTo(old);
}

// Reads the documents of the next batch of keys into batch_cxt.
void fetch_batch(StreamState *st) {
    flush_record(st);  // its documents live in the batch about to go
    MemoryContextReset(st->batch_cxt);
    st->rows = nullptr;
    st->nrows = st->next = 0;
    size_t total = st->ranking->keys.size();
    size_t n = Min(total - st->next_key, static_cast<size_t>(st->batch_size));
    if (n == 0) return;

    // The batch's documents are read in heap order (by TID where
    // locate_documents() found them, else by key: doc_keys are handed out
    // as rows are inserted, so key order is close to the heap's), not rank
    // order: reading a batch's pages in file order costs less than in rank
    // order (docs/benchmarks.md, Export against the floor). The rows are
    // put back in rank order below. by_key[j] is the rank offset, within
    // the batch, of the j-th document in heap order.
    const int32_t *ranked = st->ranking->keys.data() + st->next_key;
    const ItemPointerData *tids = st->tids != nullptr ? st->tids + st->next_key : nullptr;
    auto *by_key = static_cast<uint32 *>(palloc(sizeof(uint32) * n));
    for (size_t i = 0; i < n; i++) by_key[i] = static_cast<uint32>(i);
    clara::pg::run_cpp("ordering a batch", [&] {
        if (tids != nullptr)
            std::sort(by_key, by_key + n, [tids](uint32 a, uint32 b) {
                const BlockNumber x = ItemPointerGetBlockNumberNoCheck(&tids[a]);
                const BlockNumber y = ItemPointerGetBlockNumberNoCheck(&tids[b]);
                return x != y
                           ? x < y
                           : ItemPointerGetOffsetNumberNoCheck(&tids[a]) < ItemPointerGetOffsetNumberNoCheck(&tids[b]);
            });
        else
            std::sort(by_key, by_key + n, [ranked](uint32 a, uint32 b) { return ranked[a] < ranked[b]; });
    });
    // One slot per key, in rank order; a key whose document is no longer
    // visible leaves its slot empty, and the export stops there.
    st->nrows = n;
    st->rows = static_cast<HeapTuple *>(MemoryContextAllocZero(st->batch_cxt, sizeof(HeapTuple) * n));
    int guc_level = clara::pg::spi_connect();
    MemoryContext old;
    if (st->reader != nullptr) {
        auto *keys = static_cast<int32 *>(palloc(sizeof(int32) * n));
        auto *rows = static_cast<HeapTuple *>(palloc(sizeof(HeapTuple) * n));
        ItemPointerData *at = nullptr;
        for (size_t j = 0; j < n; j++) keys[j] = ranked[by_key[j]];
        if (tids != nullptr) {
            at = static_cast<ItemPointerData *>(palloc(sizeof(ItemPointerData) * n));
            for (size_t j = 0; j < n; j++) at[j] = tids[by_key[j]];
        }
        old = MemoryContextSwitchTo(st->batch_cxt);
        clara::pg::read_documents(st->reader, keys, at, n, rows);
        for (size_t j = 0; j < n; j++) st->rows[by_key[j]] = rows[j];
    } else {
        auto *keys = static_cast<Datum *>(palloc(sizeof(Datum) * n));
        for (size_t j = 0; j < n; j++) keys[j] = Int32GetDatum(ranked[by_key[j]]);
        Datum args[2] = {clara::pg::int4_array(keys, static_cast<int>(n)), st->uniform_nulls};
        if (SPI_execute_plan(st->batch_plan, args, nullptr, true, 0) != SPI_OK_SELECT)
            elog(ERROR, "clara: could not read a batch of documents");
        // SPI_finish frees SPI_tuptable: copy the batch into our own context.
        if (st->batch_desc == nullptr) {
            old = MemoryContextSwitchTo(GetMemoryChunkContext(st));
            st->batch_desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
            MemoryContextSwitchTo(old);
        }
        old = MemoryContextSwitchTo(st->batch_cxt);
        for (uint64 r = 0; r < SPI_processed; r++) {
            HeapTuple t = SPI_tuptable->vals[r];
            bool isnull;
            const int64 j = DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, kOrd, &isnull)) - 1;
            if (isnull || j < 0 || j >= static_cast<int64>(n)) elog(ERROR, "clara: a batch row out of place");
            st->rows[by_key[j]] = heap_copytuple(t);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (st->rows[i] == nullptr)
            ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                            errmsg("clara: ranked document %ld is no longer visible",
                                   static_cast<long>(st->next_key + i + 1))));
    if (st->enrichment != nullptr) {
        // One lookup per source for the whole batch.
        auto *ids = static_cast<Datum *>(palloc(sizeof(Datum) * Max(st->nrows, (uint64)1)));
        int nids = 0;
        for (uint64 i = 0; i < st->nrows; i++) {
            bool isnull;
            Datum id = heap_getattr(st->rows[i], kDocumentId, st->batch_desc, &isnull);
            ids[i] = isnull ? CStringGetTextDatum("") : id;
            nids++;
        }
        st->extra = static_cast<Jsonb **>(palloc(sizeof(Jsonb *) * Max(st->nrows, (uint64)1)));
        clara::pg::enrich_batch(st->enrichment, ids, nids, st->extra);
    }
    if (st->ledger != nullptr) lookup_ledger(st);
    MemoryContextSwitchTo(old);
    clara::pg::spi_finish(guc_level);
    st->batch_start = static_cast<int64>(st->next_key);
    st->next_key += n;
}

// The next row in rank order, or NULL at the end.
HeapTuple next_ranked_row(StreamState *st) {
    if (st->next >= st->nrows) {
        CHECK_FOR_INTERRUPTS();
        fetch_batch(st);
        if (st->nrows == 0) return nullptr;
    }
    return st->rows[st->next++];
}

struct TextField {
    const char *data;
    int len;
    bool isnull;
};

TextField text_field(HeapTuple row, TupleDesc desc, int col) {
    TextField f{"", 0, false};
    Datum d = heap_getattr(row, col, desc, &f.isnull);
    if (f.isnull) return f;
    text *t = DatumGetTextPP(d);
    f.data = VARDATA_ANY(t);
    f.len = VARSIZE_ANY_EXHDR(t);
    return f;
}

// ---- metadata: the stored object plus domain, document_type and title, the
// columns winning on a clash, keys in jsonb order (what `||` would give).

void append_separator(std::string &out) {
    char last = out.back();
    if (last != '{' && last != '[' && last != ':') out.push_back(',');
}

void append_scalar(std::string &out, const JsonbValue &v) {
    switch (v.type) {
        case jbvNull: out.append("null"); break;
        case jbvBool: out.append(v.val.boolean ? "true" : "false"); break;
        case jbvString: clara::append_json_string(out, std::string_view(v.val.string.val, v.val.string.len)); break;
        case jbvNumeric:
            out.append(DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric))));
            break;
        default: elog(ERROR, "clara: unexpected jsonb value type %d", static_cast<int>(v.type));
    }
}

void append_container(std::string &out, JsonbContainer *container) {
    JsonbIterator *it = JsonbIteratorInit(container);
    JsonbValue v;
    JsonbIteratorToken tok;
    while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE) {
        switch (tok) {
            case WJB_BEGIN_OBJECT:
                append_separator(out);
                out.push_back('{');
                break;
            case WJB_END_OBJECT: out.push_back('}'); break;
            case WJB_BEGIN_ARRAY:
                append_separator(out);
                out.push_back('[');
                break;
            case WJB_END_ARRAY: out.push_back(']'); break;
            case WJB_KEY:
                append_separator(out);
                clara::append_json_string(out, std::string_view(v.val.string.val, v.val.string.len));
                out.push_back(':');
                break;
            case WJB_VALUE:
            case WJB_ELEM:
                append_separator(out);
                append_scalar(out, v);
                break;
            default: break;
        }
    }
}

struct ColumnOverride {
    std::string_view key;
    TextField value;
    bool number = false;  // value is a JSON number, written as it is
};

void append_override(std::string &out, const ColumnOverride &o) {
    append_separator(out);
    clara::append_json_string(out, o.key);
    out.push_back(':');
    if (o.value.isnull)
        out.append("null");
    else if (o.number)
        out.append(o.value.data, o.value.len);
    else
        clara::append_json_string(out, std::string_view(o.value.data, o.value.len));
}

// Reads the next top-level (key, value) of a stored object; false at its end.
bool next_stored_pair(JsonbIterator **it, JsonbValue *key, JsonbValue *value) {
    JsonbIteratorToken tok;
    while ((tok = JsonbIteratorNext(it, key, true)) != WJB_DONE)
        if (tok == WJB_KEY) {
            (void)JsonbIteratorNext(it, value, true);
            return true;
        }
    return false;
}

// Three sorted lists merged in jsonb key order: the stored pairs, the
// overrides (which win on a clash), and the uniform keys (null unless one
// of the others has the key).
void append_metadata(std::string &out, Jsonb *stored, const ColumnOverride *overrides, int noverrides,
                     const std::vector<std::string> *uniform_keys) {
    out.push_back('{');
    int next = 0;
    size_t next_uniform = 0;
    const size_t nuniform = uniform_keys != nullptr ? uniform_keys->size() : 0;
    JsonbIterator *it = JsonbIteratorInit(&stored->root);
    JsonbValue k, v;
    bool have = next_stored_pair(&it, &k, &v);
    for (;;) {
        std::string_view stored_key = have ? std::string_view(k.val.string.val, k.val.string.len) : std::string_view();
        // The smallest key of the three heads.
        const std::string_view *least = have ? &stored_key : nullptr;
        if (next < noverrides && (least == nullptr || clara::jsonb_key_less(overrides[next].key, *least)))
            least = &overrides[next].key;
        std::string_view uniform_key;
        if (next_uniform < nuniform) {
            uniform_key = (*uniform_keys)[next_uniform];
            if (least == nullptr || clara::jsonb_key_less(uniform_key, *least)) least = &uniform_key;
        }
        if (least == nullptr) break;
        const std::string_view key = *least;
        const bool from_override = next < noverrides && overrides[next].key == key;
        const bool from_stored = have && stored_key == key;
        if (from_override) {
            append_override(out, overrides[next]);
        } else {
            append_separator(out);
            clara::append_json_string(out, key);
            out.push_back(':');
            if (!from_stored)
                out.append("null");
            else if (v.type == jbvBinary)
                append_container(out, v.val.binary.data);
            else
                append_scalar(out, v);
        }
        if (from_override) next++;
        if (next_uniform < nuniform && (*uniform_keys)[next_uniform] == key) next_uniform++;
        if (from_stored) have = next_stored_pair(&it, &k, &v);
    }
    out.push_back('}');
}

// ---- output rows

double relevance(const StreamState *st, int64 ord) {
    double best = st->ranking->scores.front();
    double score = st->ranking->scores[ord - 1];
    return best > 0.0 ? score / best : 0.0;
}

bool emit_training_line(StreamState *st, HeapTuple row, int64 ord, Jsonb *extra, Datum *values, bool *nulls);
int next_document_row(StreamState *st, Datum *values, bool *nulls);

// With token_budget: counts a line of n tokens, or false when it would take
// the export past the budget (the export ends there, and the unread ranked
// documents count as removed by it).
bool within_budget(StreamState *st, size_t n, int64 unread) {
    if (st->token_budget <= 0) return true;
    if (st->tokens_out + static_cast<int64>(n) > st->token_budget) {
        st->budget_spent = true;  // nothing more comes out
        st->summary->complete = true;
        st->summary->removed_token_budget = unread;
        return false;
    }
    st->tokens_out += static_cast<int64>(n);
    return true;
}

bool next_line(StreamState *st, Datum *values, bool *nulls);

// Fills values/nulls for the next output row; false at the end (when the
// last documents written are recorded).
bool next_output_row(StreamState *st, Datum *values, bool *nulls) {
    if (next_line(st, values, nulls)) return true;
    flush_record(st);
    return false;
}

bool next_line(StreamState *st, Datum *values, bool *nulls) {
    if (st->budget_spent) return false;
    if (st->chunk_tokens > 0 && st->buffers->next_chunk < st->buffers->chunks.size()) {
        // This document has lines out already: the ones after it are unread.
        if (!within_budget(st, st->buffers->chunks[st->buffers->next_chunk].token_count,
                           st->summary->ranked - st->chunk_ord))
            return false;
        return emit_training_line(st, st->chunk_row, st->chunk_ord, st->chunk_extra, values, nulls);
    }
    for (;;) {
        int r = next_document_row(st, values, nulls);
        if (r == 0) st->summary->complete = true;
        if (r >= 0) return r == 1;
    }
}

// One ranked document: 1 a row was filled, 0 the end, -1 skipped (not in
// only_split).
int next_document_row(StreamState *st, Datum *values, bool *nulls) {
    HeapTuple row = next_ranked_row(st);
    if (row == nullptr) return 0;
    TupleDesc desc = st->batch_desc;
    // The batch's rows are in rank order, every slot filled (fetch_batch).
    const int64 ord = st->batch_start + static_cast<int64>(st->next);
    st->doc_tokens = -1;
    Jsonb *extra = st->enrichment != nullptr ? st->extra[st->next - 1] : nullptr;

    switch (st->form) {
        case Form::Raw:
            values[0] = heap_getattr(row, kDocumentId, desc, &nulls[0]);
            values[1] = Float8GetDatum(st->ranking->scores[ord - 1]);
            nulls[1] = false;
            return 1;
        case Form::Record:
            values[0] = Int64GetDatum(ord);
            nulls[0] = false;
            for (int c = kDocumentId; c <= kQuality; c++) values[c - 1] = heap_getattr(row, c, desc, &nulls[c - 1]);
            if (extra != nullptr)
                values[kMetadata - 1] = DirectFunctionCall2(jsonb_concat, values[kMetadata - 1], JsonbPGetDatum(extra));
            values[6] = Float8GetDatum(relevance(st, ord));
            nulls[6] = false;
            return 1;
        case Form::Jsonl:
        case Form::Stats: break;
    }
    if (st->dup != nullptr) {
        DupPlan *plan = st->dup;
        while (plan->next_dropped < plan->dropped.size() && plan->dropped[plan->next_dropped] < ord)
            plan->next_dropped++;
        if (plan->next_dropped < plan->dropped.size() && plan->dropped[plan->next_dropped] == ord) {
            st->summary->removed_duplicates++;
            return -1;
        }
    }
    Ledger *ledger = st->ledger;
    const uint64 batch_row = st->next - 1;
    if (ledger != nullptr && ledger->excluded[batch_row]) {
        st->summary->removed_excluded++;
        return -1;
    }
    if (st->eval != nullptr) {
        TextField content = text_field(row, desc, kContent);
        st->eval_overlap = clara::pg::eval_overlap(st->eval, std::string_view(content.data, content.len));
        if (st->eval_overlap > 0 && !st->eval_report) {
            st->summary->removed_contaminated++;
            return -1;
        }
    }
    if (st->split != nullptr) {
        TextField id = text_field(row, desc, kDocumentId);
        const clara::SplitSpec *spec = st->split;
        LineBuffers *buf = st->buffers;
        clara::pg::run_cpp("assigning a split", [&] {
            buf->split = clara::assign_split(*spec,
                                             clara::split_point(st->split_seed, std::string_view(id.data, id.len)));
        });
        if (st->only_split != nullptr && buf->split != st->only_split) return -1;
    }
    // Held out: an earlier validation/test document never goes to train.
    if (ledger != nullptr && ledger->in_held_out[batch_row] &&
        (st->split == nullptr || st->buffers->split == "train")) {
        st->summary->removed_held_out++;
        return -1;
    }
    if (st->chunk_tokens > 0) {
        TextField content = text_field(row, desc, kContent);
        const clara::ModelTokenizer *t = st->tokenizer;
        LineBuffers *buf = st->buffers;
        clara::pg::run_cpp("chunking", [&] {
            buf->chunks = clara::chunk_text(
                std::string_view(content.data, content.len), st->chunk_tokens, st->chunk_overlap,
                [t](std::string_view s) { return t->count(s); },
                [t](std::string_view s, std::vector<uint32_t> &e) { t->token_ends(s, e); });
            if (buf->chunks.empty()) buf->chunks.push_back(clara::TextChunk{0, 0, 0, 0, 0});
            buf->next_chunk = 0;
        });
        st->chunk_row = row;
        st->chunk_ord = ord;
        st->chunk_extra = extra;
        if (!within_budget(st, st->buffers->chunks[0].token_count, st->summary->ranked - ord + 1)) return 0;
    } else if (st->token_budget > 0) {
        TextField content = text_field(row, desc, kContent);
        size_t n = 0;
        clara::pg::run_cpp("counting tokens",
                           [&] { n = st->tokenizer->count(std::string_view(content.data, content.len)); });
        st->doc_tokens = static_cast<int64>(n);
        if (!within_budget(st, n, st->summary->ranked - ord + 1)) return 0;
    }
    if (ledger != nullptr && ledger->record != nullptr) {
        // Pointers into the batch's rows: flushed before the batch is freed.
        std::string_view split = st->split != nullptr ? st->buffers->split : std::string_view("train");
        bool isnull;
        ledger->ids[ledger->pending] = heap_getattr(row, kDocumentId, desc, &isnull);
        ledger->hashes[ledger->pending] = heap_getattr(row, kContentHash, desc, &ledger->hash_nulls[ledger->pending]);
        MemoryContext old = MemoryContextSwitchTo(st->batch_cxt);
        ledger->splits[ledger->pending] = PointerGetDatum(
            cstring_to_text_with_len(split.data(), static_cast<int>(split.size())));
        MemoryContextSwitchTo(old);
        ledger->pending++;
    }
    return emit_training_line(st, row, ord, extra, values, nulls) ? 1 : 0;
}

// Counts the line about to go out (row's next chunk, or row) in the
// summary: its split's lines and tokens, and documents at its first line;
// with Stats, the totals of the document too.
void count_line(StreamState *st, HeapTuple row, int64 ord, std::string_view content) {
    ExportSummary *s = st->summary;
    LineBuffers *buf = st->buffers;
    SplitCounts *split = &s->splits[0];
    for (int i = 1; st->split != nullptr && i < s->nsplits; i++)
        if (buf->split == s->splits[i].name) split = &s->splits[i];
    const bool first = st->chunk_tokens == 0 || buf->next_chunk == 0;
    int64 tokens;
    if (st->chunk_tokens > 0) {
        tokens = buf->chunks[buf->next_chunk].token_count;
    } else if (st->doc_tokens >= 0) {
        tokens = st->doc_tokens;
    } else if (st->tokenizer != nullptr) {
        size_t n = 0;
        const clara::ModelTokenizer *t = st->tokenizer;
        clara::pg::run_cpp("counting tokens", [&] { n = t->count(content); });
        tokens = static_cast<int64>(n);
    } else {
        tokens = estimate_tokens(content.size());
    }
    s->lines++;
    split->lines++;
    split->tokens += tokens;
    if (!first) return;
    s->documents++;
    split->documents++;
    if (st->form != Form::Stats) return;
    TupleDesc desc = st->batch_desc;
    bool isnull;
    StatsTotals *totals = st->totals;
    totals->quality += DatumGetFloat8(heap_getattr(row, kQuality, desc, &isnull));
    totals->relevance += relevance(st, ord);
    Datum words = heap_getattr(row, kWordCount, desc, &isnull);
    if (!isnull) totals->words += DatumGetInt64(words);
    TextField domain = text_field(row, desc, kDomain);
    TextField type = text_field(row, desc, kDocumentType);
    clara::pg::run_cpp("counting statistics", [&] {
        totals->domains[std::string(domain.data, domain.len)]++;
        totals->document_types[std::string(type.data, type.len)]++;
    });
}

// The training line of row (or of its next chunk, when chunking).
bool emit_training_line(StreamState *st, HeapTuple row, int64 ord, Jsonb *extra, Datum *values, bool *nulls) {
    TupleDesc desc = st->batch_desc;
    bool isnull;
    TextField document_id = text_field(row, desc, kDocumentId);
    TextField content = text_field(row, desc, kContent);
    TextField source = text_field(row, desc, kSource);
    Jsonb *metadata = DatumGetJsonbP(heap_getattr(row, kMetadata, desc, &isnull));
    if (extra != nullptr)
        metadata = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(metadata), JsonbPGetDatum(extra)));
    double quality = DatumGetFloat8(heap_getattr(row, kQuality, desc, &isnull));
    LineBuffers *buf = st->buffers;
    // Sorted in jsonb key order: shorter keys first, then bytewise.
    ColumnOverride overrides[12];
    int noverrides = 0;
    if (st->split != nullptr)
        overrides[noverrides++] = {"split", TextField{buf->split.data(), static_cast<int>(buf->split.size()), false}};
    const int title_at = noverrides;
    overrides[noverrides++] = {"title", text_field(row, desc, kTitle)};
    overrides[noverrides++] = {"domain", text_field(row, desc, kDomain)};
    std::string_view body(content.data, content.len);
    count_line(st, row, ord, body);
    if (st->form == Form::Stats) {  // counted, not built
        if (st->chunk_tokens > 0) buf->next_chunk++;
        return true;
    }
    char numbers[5][16];
    if (st->chunk_tokens > 0) {
        const clara::TextChunk &c = buf->chunks[buf->next_chunk];
        const uint32_t fields[5] = {c.char_end, c.char_start, static_cast<uint32_t>(buf->chunks.size()),
                                    static_cast<uint32_t>(buf->next_chunk), c.token_count};
        const char *keys[5] = {"char_end", "char_start", "chunk_count", "chunk_index", "token_count"};
        for (int i = 0; i < 5; i++) {
            int len = snprintf(numbers[i], sizeof numbers[i], "%u", fields[i]);
            overrides[noverrides++] = {keys[i], TextField{numbers[i], len, false}, true};
        }
        body = body.substr(c.start, c.end - c.start);
        buf->next_chunk++;
    }
    char overlap[24];
    if (st->eval != nullptr && st->eval_report) {
        int len = snprintf(overlap, sizeof overlap, "%lld", static_cast<long long>(st->eval_overlap));
        overrides[noverrides++] = {"eval_overlap", TextField{overlap, len, false}, true};
    }
    const int document_type_at = noverrides;
    overrides[noverrides++] = {"document_type", text_field(row, desc, kDocumentType)};
    char cluster_size[16];
    if (st->dup != nullptr) {
        DupPlan *plan = st->dup;
        while (plan->next_kept < plan->kept.size() && plan->kept[plan->next_kept].first < ord) plan->next_kept++;
        const bool in_cluster = plan->next_kept < plan->kept.size() && plan->kept[plan->next_kept].first == ord;
        int len = snprintf(cluster_size, sizeof cluster_size, "%u",
                           in_cluster ? plan->kept[plan->next_kept].second : 1u);
        overrides[noverrides++] = {"dup_cluster_size", TextField{cluster_size, len, false}, true};
    }
    auto view = [](const TextField &f) { return f.isnull ? std::string_view() : std::string_view(f.data, f.len); };
    clara::TemplateValues values_for_templates{view(overrides[title_at].value),
                                               body,
                                               std::string_view(st->query, st->query_len),
                                               view(document_id),
                                               view(source),
                                               view(overrides[title_at + 1].value),
                                               view(overrides[document_type_at].value)};
    clara::pg::run_cpp("building a training line", [&] {
        buf->metadata.clear();
        append_metadata(buf->metadata, metadata, overrides, noverrides, st->uniform_keys);
        clara::TrainingLine line;
        line.format = st->format;
        line.text = body;
        if (st->format == clara::LineFormat::kText) {
            buf->rendered.clear();
            clara::render_template(buf->rendered, st->text_template, values_for_templates);
            line.text = buf->rendered;
        } else if (st->format != clara::LineFormat::kRaw) {
            buf->prompt.clear();
            clara::render_template(buf->prompt, st->prompt_template, values_for_templates);
            line.prompt = buf->prompt;
        }
        line.metadata_json = buf->metadata;
        line.source = std::string_view(source.data, source.len);
        line.source_is_null = source.isnull;
        line.quality_score = quality;
        line.document_id = std::string_view(document_id.data, document_id.len);
        line.relevance_score = relevance(st, ord);
        buf->line.clear();
        clara::append_training_line(buf->line, line);
    });
    values[0] = PointerGetDatum(cstring_to_text_with_len(buf->line.data(), static_cast<int>(buf->line.size())));
    nulls[0] = false;
    return true;
}

constexpr int kMaxOutputColumns = 7;

// Runs the whole stream into a tuplestore (clara_search, FROM-less callers
// with streaming disabled).
Datum materialize(FunctionCallInfo fcinfo, Form form, bool has_batch_size,
                  clara::pg::RawRanking raw = clara::pg::RawRanking::kNone) {
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("set-valued function called in context that cannot accept a set")));
    {
        MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
        TupleDesc desc;
        if (form == Form::Jsonl) {
            desc = CreateTemplateTupleDesc(1);
            TupleDescInitEntry(desc, 1, "line", TEXTOID, -1, 0);
        } else {
            if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
                ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("function must return a row type")));
            desc = CreateTupleDescCopy(desc);
        }
        rsinfo->returnMode = SFRM_Materialize;
        rsinfo->setResult = tuplestore_begin_heap(false, false, work_mem);
        rsinfo->setDesc = desc;
        MemoryContextSwitchTo(old);
    }
    MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "clara search", ALLOCSET_DEFAULT_SIZES);
    MemoryContext row_cxt = AllocSetContextCreate(work, "clara search row", ALLOCSET_DEFAULT_SIZES);
    auto *st = static_cast<StreamState *>(MemoryContextAllocZero(work, sizeof(StreamState)));
    start_stream(st, fcinfo, form, has_batch_size, work, raw);
    Datum values[kMaxOutputColumns];
    bool nulls[kMaxOutputColumns];
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        MemoryContext old = MemoryContextSwitchTo(row_cxt);
        bool more = next_output_row(st, values, nulls);
        if (more) tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        MemoryContextSwitchTo(old);
        MemoryContextReset(row_cxt);
        if (!more) break;
    }
    MemoryContextDelete(work);
    return static_cast<Datum>(0);
}

Datum stream(FunctionCallInfo fcinfo, Form form) {
    FuncCallContext *funcctx;
    if (SRF_IS_FIRSTCALL()) {
        funcctx = SRF_FIRSTCALL_INIT();
        MemoryContext owner = funcctx->multi_call_memory_ctx;
        MemoryContext old = MemoryContextSwitchTo(owner);
        if (form != Form::Jsonl) {
            TupleDesc desc;
            if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
                ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("clara_stream must return a row type")));
            funcctx->tuple_desc = BlessTupleDesc(desc);
        }
        auto *st = static_cast<StreamState *>(palloc0(sizeof(StreamState)));
        funcctx->user_fctx = st;
        MemoryContextSwitchTo(old);

        start_stream(st, fcinfo, form, true, owner, clara::pg::RawRanking::kNone);
    }
    funcctx = SRF_PERCALL_SETUP();
    auto *st = static_cast<StreamState *>(funcctx->user_fctx);
    Datum values[kMaxOutputColumns];
    bool nulls[kMaxOutputColumns];
    if (next_output_row(st, values, nulls)) {
        if (form == Form::Jsonl) SRF_RETURN_NEXT(funcctx, values[0]);
        HeapTuple tuple = heap_form_tuple(funcctx->tuple_desc, values, nulls);
        SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(tuple));
    }
    SRF_RETURN_DONE(funcctx);
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(clara_stats);
PG_FUNCTION_INFO_V1(clara_export_summary);
PG_FUNCTION_INFO_V1(clara_stream);
PG_FUNCTION_INFO_V1(clara_stream_jsonl);
PG_FUNCTION_INFO_V1(clara_search);
PG_FUNCTION_INFO_V1(clara_bm25);
PG_FUNCTION_INFO_V1(clara_vector);
}

extern "C" Datum clara_stream(PG_FUNCTION_ARGS) {
    if (!clara::pg::streaming_enabled()) return materialize(fcinfo, Form::Record, true);
    return stream(fcinfo, Form::Record);
}

extern "C" Datum clara_stream_jsonl(PG_FUNCTION_ARGS) {
    if (!clara::pg::streaming_enabled()) return materialize(fcinfo, Form::Jsonl, true);
    return stream(fcinfo, Form::Jsonl);
}

extern "C" Datum clara_search(PG_FUNCTION_ARGS) { return materialize(fcinfo, Form::Record, false); }

extern "C" Datum clara_bm25(PG_FUNCTION_ARGS) {
    return materialize(fcinfo, Form::Raw, false, clara::pg::RawRanking::kBm25);
}

extern "C" Datum clara_vector(PG_FUNCTION_ARGS) {
    return materialize(fcinfo, Form::Raw, false, clara::pg::RawRanking::kVector);
}

namespace {

// The counts clara_export_summary() and clara_stats share, as JSON members
// (without braces): tokens and how they were counted, per split, removed.
void append_counts(std::string &out, const ExportSummary &s) {
    int64 tokens = 0;
    for (int i = 0; i < s.nsplits; i++) tokens += s.splits[i].tokens;
    out += "\"total_tokens\": " + std::to_string(tokens) + ", \"token_count\": ";
    if (s.tokenizer != nullptr)
        clara::append_json_string(out, std::string("tokenizer:") + s.tokenizer);
    else
        out += "\"estimate\"";
    out += ", \"splits\": {";
    bool first = true;
    for (int i = 0; i < s.nsplits; i++) {
        const SplitCounts &c = s.splits[i];
        if (s.only_split != nullptr && strcmp(s.only_split, c.name) != 0) continue;
        if (!first) out += ", ";
        first = false;
        clara::append_json_string(out, c.name);
        out += ": {\"documents\": " + std::to_string(c.documents) + ", \"lines\": " + std::to_string(c.lines) +
               ", \"tokens\": " + std::to_string(c.tokens) + "}";
    }
    out += "}, \"removed\": {\"duplicates\": " + std::to_string(s.removed_duplicates) +
           ", \"excluded\": " + std::to_string(s.removed_excluded) +
           ", \"held_out\": " + std::to_string(s.removed_held_out) +
           ", \"contaminated\": " + std::to_string(s.removed_contaminated) +
           ", \"token_budget\": " + std::to_string(s.removed_token_budget) + "}";
}

Datum jsonb_from(const std::string &text) { return DirectFunctionCall1(jsonb_in, CStringGetDatum(text.c_str())); }

// {"name": count, ...} of a map.
void append_count_map(std::string &out, const std::map<std::string, int64> &counts) {
    out.push_back('{');
    for (const auto &[name, n] : counts) {
        if (out.back() != '{') out += ", ";
        clara::append_json_string(out, name);
        out += ": " + std::to_string(n);
    }
    out.push_back('}');
}

}  // namespace

// clara_export_summary(): the counts of this backend's last export.
extern "C" Datum clara_export_summary(PG_FUNCTION_ARGS) {
    (void)fcinfo;
    const ExportSummary &s = g_summary;
    const char *dedup = s.dedup == Dedup::kNear ? "\"near\"" : s.dedup == Dedup::kExact ? "\"exact\"" : "null";
    std::string *json = clara::pg::make_owned<std::string>(CurrentMemoryContext);
    clara::pg::run_cpp("reporting the export", [&] {
        char head[256];
        snprintf(head, sizeof head,
                 "{\"documents_ranked\": %lld, \"documents_written\": %lld, \"lines_written\": %lld, "
                 "\"complete\": %s, \"dedup\": %s, ",
                 static_cast<long long>(s.ranked), static_cast<long long>(s.documents), static_cast<long long>(s.lines),
                 s.complete ? "true" : "false", dedup);
        *json = head;
        append_counts(*json, s);
        json->push_back('}');
    });
    return jsonb_from(*json);
}

// clara_stats(query, top_k, ..., decontaminate_mode): clara_stream_jsonl's
// arguments without batch_size and record. Runs that export's own path
// with the lines counted instead of built, so the two cannot disagree;
// memory stays that of one batch.
extern "C" Datum clara_stats(PG_FUNCTION_ARGS) {
    constexpr int kStatsArgs = 21, kJsonlArgs = 23;
    // Argument i of clara_stats is argument kJsonlIndex[i] of clara_stream_jsonl.
    static const int kJsonlIndex[kStatsArgs] = {0,  1,  2,  3,  4,  5,  7,  8,  9,  10, 11,
                                                12, 13, 14, 15, 16, 17, 19, 20, 21, 22};
    LOCAL_FCINFO(args, kJsonlArgs);
    InitFunctionCallInfoData(*args, fcinfo->flinfo, kJsonlArgs, fcinfo->fncollation, nullptr, nullptr);
    for (int i = 0; i < kJsonlArgs; i++) {
        args->args[i].value = static_cast<Datum>(0);
        args->args[i].isnull = true;
    }
    for (int i = 0; i < kStatsArgs && i < PG_NARGS(); i++) args->args[kJsonlIndex[i]] = fcinfo->args[i];

    MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "clara stats", ALLOCSET_DEFAULT_SIZES);
    MemoryContext row_cxt = AllocSetContextCreate(work, "clara stats row", ALLOCSET_DEFAULT_SIZES);
    auto *st = static_cast<StreamState *>(MemoryContextAllocZero(work, sizeof(StreamState)));
    st->summary = clara::pg::make_owned<ExportSummary>(work);
    st->totals = clara::pg::make_owned<StatsTotals>(work);
    start_stream(st, args, Form::Stats, true, work, clara::pg::RawRanking::kNone);
    Datum values[kMaxOutputColumns];
    bool nulls[kMaxOutputColumns];
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        MemoryContext old = MemoryContextSwitchTo(row_cxt);
        bool more = next_output_row(st, values, nulls);
        MemoryContextSwitchTo(old);
        MemoryContextReset(row_cxt);
        if (!more) break;
    }
    const ExportSummary &s = *st->summary;
    const StatsTotals &t = *st->totals;
    const double n = s.documents > 0 ? static_cast<double>(s.documents) : 1.0;
    const char *quality = clara::pg::shortest_double(t.quality / n);
    const char *relevance = clara::pg::shortest_double(t.relevance / n);
    std::string *json = clara::pg::make_owned<std::string>(work);
    clara::pg::run_cpp("reporting the statistics", [&] {
        *json = "{\"total_documents\": " + std::to_string(s.documents) + ", \"avg_quality_score\": " + quality +
                ", \"avg_relevance_score\": " + relevance + ", ";
        append_counts(*json, s);
        *json += ", \"total_words\": " + std::to_string(t.words) + ", \"total_lines\": " + std::to_string(s.lines) +
                 ", \"documents_ranked\": " + std::to_string(s.ranked) + ", \"domains\": ";
        append_count_map(*json, t.domains);
        *json += ", \"document_types\": ";
        append_count_map(*json, t.document_types);
        json->push_back('}');
    });
    Datum result = jsonb_from(*json);
    MemoryContextDelete(work);
    return result;
}
