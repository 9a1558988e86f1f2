#include "enrich.hpp"

extern "C" {
#include "access/xact.h"
#include "storage/latch.h"
#include "utils/resowner.h"
#include "utils/timeout.h"
}

#include <string_view>
#include <unordered_map>

namespace clara::pg {

struct EnrichSource {
    char *name;
    char *sql;  // $1 = text[] of document ids, $2 = the source name, $3 = the key column
    char *key_column;
    int timeout_ms;
    bool skip;      // on_error = 'skip'
    bool disabled;  // failed earlier in this stream (skip policy)
};

namespace {

// The lookup timer: a USER_TIMEOUT registered once per backend. Its handler
// runs in a signal handler and only requests a cancel, as statement_timeout
// does; the lookup's next CHECK_FOR_INTERRUPTS raises it.
volatile sig_atomic_t g_timed_out = false;
TimeoutId g_timeout = MAX_TIMEOUTS;

void lookup_timeout_handler() {
    g_timed_out = true;
    InterruptPending = true;
    QueryCancelPending = true;
    SetLatch(MyLatch);
}

TimeoutId lookup_timeout() {
    if (g_timeout == MAX_TIMEOUTS) g_timeout = RegisterTimeout(USER_TIMEOUT, lookup_timeout_handler);
    return g_timeout;
}

// text on one line: runs of newlines and tabs (libpq's connection errors
// have them) become one space.
char *one_line(const char *text) {
    char *out = pstrdup(text);
    char *w = out;
    for (const char *r = text; *r != '\0'; r++) {
        bool space = *r == '\n' || *r == '\t' || *r == '\r';
        if (space && (w == out || w[-1] == ' ')) continue;
        *w++ = space ? ' ' : *r;
    }
    while (w > out && w[-1] == ' ') w--;
    *w = '\0';
    return out;
}

// One source's answer for a batch: document ids and the objects to merge.
struct SourceRows {
    int n;
    text **ids;
    Jsonb **values;
};

// Runs src's lookup in a subtransaction under its timeout. True with rows
// filled; false if it failed and the policy is skip (WARNING given). With
// policy fail, or when the statement itself was cancelled, raises an error.
bool run_lookup(EnrichSource *src, Datum ids, SourceRows *rows) {
    MemoryContext cxt = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    Oid types[3] = {TEXTARRAYOID, TEXTOID, TEXTOID};
    Datum args[3] = {ids, CStringGetTextDatum(src->name), CStringGetTextDatum(src->key_column)};
    volatile bool ok = true;

    BeginInternalSubTransaction(nullptr);
    MemoryContextSwitchTo(cxt);
    PG_TRY();
    {
        g_timed_out = false;
        enable_timeout_after(lookup_timeout(), src->timeout_ms);
        // A generic plan keeps $1 a parameter, so postgres_fdw sends the
        // remote server one parameterised statement for every batch rather
        // than a new literal each time.
        SPIPlanPtr plan = SPI_prepare_cursor(src->sql, 3, types, CURSOR_OPT_GENERIC_PLAN);
        if (plan == nullptr) elog(ERROR, "could not prepare the lookup: %s", SPI_result_code_string(SPI_result));
        int rc = SPI_execute_plan(plan, args, nullptr, true, 0);
        disable_timeout(lookup_timeout(), false);
        CHECK_FOR_INTERRUPTS();  // a timer that fired just as the lookup ended
        if (rc != SPI_OK_SELECT) elog(ERROR, "lookup returned %s", SPI_result_code_string(rc));
        SPI_freeplan(plan);
        MemoryContextSwitchTo(cxt);
        rows->n = static_cast<int>(SPI_processed);
        rows->ids = static_cast<text **>(palloc(sizeof(text *) * Max(rows->n, 1)));
        rows->values = static_cast<Jsonb **>(palloc(sizeof(Jsonb *) * Max(rows->n, 1)));
        int kept = 0;
        for (int i = 0; i < rows->n; i++) {
            bool null_id, null_value;
            Datum id = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &null_id);
            Datum value = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &null_value);
            if (null_id || null_value) continue;
            rows->ids[kept] = DatumGetTextPCopy(id);
            rows->values[kept++] = DatumGetJsonbPCopy(value);
        }
        rows->n = kept;
        SPI_freetuptable(SPI_tuptable);
        ReleaseCurrentSubTransaction();
        MemoryContextSwitchTo(cxt);
        CurrentResourceOwner = owner;
    }
    PG_CATCH();
    {
        disable_timeout(lookup_timeout(), false);
        MemoryContextSwitchTo(cxt);
        ErrorData *edata = CopyErrorData();
        FlushErrorState();
        RollbackAndReleaseCurrentSubTransaction();
        MemoryContextSwitchTo(cxt);
        CurrentResourceOwner = owner;
        bool timed_out = g_timed_out;
        g_timed_out = false;
        // The user's cancel or statement_timeout is not the source's failure.
        if (!timed_out && edata->sqlerrcode == ERRCODE_QUERY_CANCELED) ReThrowError(edata);
        char *reason = timed_out       ? psprintf("no answer within %d ms", src->timeout_ms)
                       : edata->detail ? psprintf("%s (%s)", edata->message, one_line(edata->detail))
                                       : edata->message;
        if (!src->skip)
            ereport(ERROR, (errcode(timed_out ? ERRCODE_QUERY_CANCELED : edata->sqlerrcode),
                            errmsg("enrichment source \"%s\" failed: %s", src->name, reason),
                            errhint("Fix or unregister the source, or register it with on_error => 'skip' "
                                    "to export with its field null.")));
        ereport(WARNING, (errcode(timed_out ? ERRCODE_QUERY_CANCELED : edata->sqlerrcode),
                          errmsg("enrichment source \"%s\" skipped for the rest of this stream: %s", src->name, reason),
                          errdetail("Its on_error policy is 'skip': documents are exported with its field null.")));
        ok = false;
    }
    PG_END_TRY();
    return ok;
}

// Row index of each document id of a batch.
using IdIndex = std::unordered_map<std::string_view, int>;

}  // namespace

Enrichment *load_sources(const char *schema, MemoryContext cxt) {
    char *sql = psprintf(
        "SELECT name, relation::oid, key_column::text, timeout_ms, on_error = 'skip' FROM %s.clara_sources "
        "WHERE enabled ORDER BY name",
        schema);
    if (SPI_execute(sql, true, 0) != SPI_OK_SELECT) elog(ERROR, "clara: could not read clara_sources");
    int n = static_cast<int>(SPI_processed);
    if (n == 0) return nullptr;
    auto *e = static_cast<Enrichment *>(MemoryContextAllocZero(cxt, sizeof(Enrichment)));
    e->nsources = n;
    e->sources = static_cast<EnrichSource *>(MemoryContextAllocZero(cxt, sizeof(EnrichSource) * n));
    for (int i = 0; i < n; i++) {
        HeapTuple row = SPI_tuptable->vals[i];
        TupleDesc desc = SPI_tuptable->tupdesc;
        bool isnull;
        EnrichSource &s = e->sources[i];
        s.name = MemoryContextStrdup(cxt, SPI_getvalue(row, desc, 1));
        Oid relid = DatumGetObjectId(SPI_getbinval(row, desc, 2, &isnull));
        s.key_column = MemoryContextStrdup(cxt, SPI_getvalue(row, desc, 3));
        s.timeout_ms = DatumGetInt32(SPI_getbinval(row, desc, 4, &isnull));
        s.skip = DatumGetBool(SPI_getbinval(row, desc, 5, &isnull));
        char *relname = get_rel_name(relid);
        if (relname == nullptr)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                            errmsg("the relation of enrichment source \"%s\" no longer exists", s.name),
                            errhint("Run SELECT clara_unregister_source('%s').", s.name)));
        const char *rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), relname);
        const char *key = quote_identifier(s.key_column);
        // A document's rows are always an array (in a stable order): one
        // JSON type per field in every line, which Arrow-based loaders need.
        s.sql = MemoryContextStrdup(cxt, psprintf("SELECT s.%2$s::text, pg_catalog.jsonb_build_object($2::text, "
                                                  "pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s) - $3::text "
                                                  "ORDER BY (pg_catalog.to_jsonb(s) - $3::text)::text)) "
                                                  "FROM %1$s s WHERE s.%2$s = ANY($1::text[]) GROUP BY s.%2$s",
                                                  rel, key));
    }
    SPI_freetuptable(SPI_tuptable);
    return e;
}

void enrich_batch(Enrichment *e, const Datum *ids, int n, Jsonb **extra) {
    for (int i = 0; i < n; i++) extra[i] = nullptr;
    if (e == nullptr || n == 0) return;
    Datum id_array = PointerGetDatum(construct_array(const_cast<Datum *>(ids), n, TEXTOID, -1, false, TYPALIGN_INT));
    IdIndex *index = make_owned<IdIndex>(CurrentMemoryContext);
    for (int i = 0; i < n; i++) {
        text *id = DatumGetTextPP(ids[i]);
        std::string_view key(VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id));
        run_cpp("enrichment", [&] { index->emplace(key, i); });
    }
    auto add = [&](int row, Jsonb *value) {
        extra[row] = extra[row] == nullptr ? value
                                           : DatumGetJsonbP(DirectFunctionCall2(
                                                 jsonb_concat, JsonbPGetDatum(extra[row]), JsonbPGetDatum(value)));
    };
    bool *matched = static_cast<bool *>(palloc(sizeof(bool) * n));
    for (int s = 0; s < e->nsources; s++) {
        EnrichSource *src = &e->sources[s];
        // Every line has every source's field: [] without a row, null once
        // the source is skipped (names are [a-z_][a-z0-9_]*: no escaping).
        SourceRows rows{0, nullptr, nullptr};
        if (src->disabled || !run_lookup(src, id_array, &rows)) {
            src->disabled = true;
            Jsonb *none = DatumGetJsonbP(
                DirectFunctionCall1(jsonb_in, CStringGetDatum(psprintf("{\"%s\": null}", src->name))));
            for (int i = 0; i < n; i++) add(i, none);
            continue;
        }
        memset(matched, 0, sizeof(bool) * n);
        for (int r = 0; r < rows.n; r++) {
            std::string_view key(VARDATA_ANY(rows.ids[r]), VARSIZE_ANY_EXHDR(rows.ids[r]));
            int row = -1;
            run_cpp("enrichment", [&] {
                auto it = index->find(key);
                if (it != index->end()) row = it->second;
            });
            if (row < 0) continue;
            matched[row] = true;
            add(row, rows.values[r]);
        }
        Jsonb *empty = DatumGetJsonbP(
            DirectFunctionCall1(jsonb_in, CStringGetDatum(psprintf("{\"%s\": []}", src->name))));
        for (int i = 0; i < n; i++)
            if (!matched[i]) add(i, empty);
    }
    pfree(matched);
}

}  // namespace clara::pg
