// Duplicate clusters (dedup.hpp): clara_dedup_signature / clara_dedup_keys,
// and the AFTER ... FOR EACH STATEMENT trigger that keeps each document's
// keys in clara_dedup_bands (a btree on (band, doc_key)) and files each
// added document into the clusters of clara_dup_clusters. Only documents with at least one duplicate
// have a row there; exports read it to keep the best-ranked copy.
#include "catalog.hpp"
#include "dedup.hpp"
#include "pg.hpp"
#include "plans.hpp"

extern "C" {
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"
}

#include <algorithm>
#include <string>
#include <utility>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

// Documents filed per round: one lookup of their keys, one insert. Larger
// rounds find more copies in memory and walk the key index more densely
// (10K documents into 100K: lookup + insert 1.0 s at 2,048, 0.67 s at
// 8,192); a round holds about 5 MB.
constexpr size_t kDedupBatch = 8192;

struct DedupWork {
    std::vector<clara::DupDocument> added;
    std::vector<clara::DupDocument> candidates;
    std::unordered_map<uint32_t, clara::DupLabels> existing;
    std::unordered_set<uint32_t> old_keys, new_keys;
    std::vector<int64_t> keys;                        // the batch's keys, sorted, distinct
    std::vector<std::pair<int64_t, uint32_t>> pairs;  // (key, doc_key) of the batch, sorted
    // One batch's results (held here, not on the stack: SPI calls between
    // may raise errors).
    clara::DupChanges changes;
    std::vector<uint32_t> others, docs, near, exact;
    std::unordered_set<uint32_t> batch_keys;
    // An INSERT's trigger (nothing leaves): its first lookup also asks for
    // the marker row, instead of a statement of its own before (one SPI
    // statement less per single-row INSERT); when the marker is missing the
    // keys are filled then and the lookup runs again.
    TriggerData *marker_unchecked = nullptr;
};

bool read_signature(Datum d, clara::DedupSignature *sig) {
    bytea *b = DatumGetByteaPP(d);
    return clara::decode_signature(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), sig);
}

Datum int8_array(const std::vector<int64_t> &v) {
    auto *datums = static_cast<Datum *>(palloc(sizeof(Datum) * Max(v.size(), (size_t)1)));
    for (size_t i = 0; i < v.size(); i++) datums[i] = Int64GetDatum(v[i]);
    return PointerGetDatum(
        construct_array(datums, static_cast<int>(v.size()), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

Datum int4_vector(const std::vector<uint32_t> &v) {
    auto *datums = static_cast<Datum *>(palloc(sizeof(Datum) * Max(v.size(), (size_t)1)));
    for (size_t i = 0; i < v.size(); i++) datums[i] = Int32GetDatum(static_cast<int32>(v[i]));
    return clara::pg::int4_array(datums, static_cast<int>(v.size()));
}

// Runs sql with a generic plan: the planner does not look at the arrays of
// thousands of keys (estimating `band = ANY($1)` element by element took
// longer than running the lookup).
void exec(const char *sql, int nargs, Oid *types, Datum *args, int expected, const char *what) {
    SPIPlanPtr plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
    if (plan == nullptr) elog(ERROR, "clara: could not plan to %s", what);
    if (SPI_execute_plan(plan, args, nullptr, false, 0) != expected) elog(ERROR, "clara: could not %s", what);
    SPI_freeplan(plan);
}

// The statements of every filing, each planned once per backend (plans.hpp;
// generic plans, as exec's).
clara::pg::KeptPlan g_insert_keys, g_remove_keys, g_copies, g_lookup, g_signatures, g_labels, g_relabel[2], g_members,
    g_delete_members, g_marker;

// The marker row of a filled clara_dedup_bands: (kMarkerBand, 0); doc_keys
// start at 1. The table is unlogged: a crash or a promotion empties it.
constexpr int64 kMarkerBand = PG_INT64_MIN;

// Runs a statement of every filing with its kept plan: sql() builds the
// text only when the plan is made.
template <typename Sql>
void exec_kept(clara::pg::KeptPlan *slot, const char *schema, int nargs, Oid *types, Datum *args, int expected,
               const char *what, Sql &&sql) {
    SPIPlanPtr plan = clara::pg::kept_plan(slot, schema, nargs, types, CURSOR_OPT_GENERIC_PLAN, sql);
    clara::pg::execute_kept(plan, args, expected, what);
}

// The keys the batch adds to clara_dedup_bands (work->keys, work->docs, in
// key order). An exact duplicate of a document that has keys there adds
// none: it has the same keys, so whatever finds one finds the other through
// clara_dup_clusters, and a text copied 300 times costs one document's rows
// and one candidate per lookup, not 300. (When the one with keys goes, the
// delete hands them to another copy: remove_keys.)
void keys_to_store(DedupWork *work) {
    std::unordered_set<uint64_t> texts;
    for (size_t i = work->added.size(); i < work->candidates.size(); i++) texts.insert(work->candidates[i].sig.exact);
    work->pairs.clear();
    int64_t keys[clara::kDedupKeys];
    for (const auto &d : work->added) {
        if (!texts.insert(d.sig.exact).second) continue;
        const size_t n = clara::dedup_lookup_keys(d.sig, keys);
        for (size_t k = 0; k < n; k++) work->pairs.emplace_back(keys[k], d.doc_key);
    }
    std::sort(work->pairs.begin(), work->pairs.end());
    work->keys.clear();
    work->docs.clear();
    for (const auto &p : work->pairs) {
        work->keys.push_back(p.first);
        work->docs.push_back(p.second);
    }
}

// Whether clara_dedup_bands holds its marker row: in this statement's
// snapshot, or (latest) in one taken now, which sees what a writer that
// held the lock before us committed even in a REPEATABLE READ transaction.
bool has_marker(const char *schema, bool latest) {
    Oid types[2] = {INT8OID, INT4OID};
    Datum args[2] = {Int64GetDatum(kMarkerBand), Int32GetDatum(0)};
    SPIPlanPtr plan = clara::pg::kept_plan(&g_marker, schema, 2, types, CURSOR_OPT_GENERIC_PLAN, [&] {
        return psprintf(
            "SELECT 1 FROM %s.clara_dedup_bands WHERE band OPERATOR(pg_catalog.=) $1 "
            "AND doc_key OPERATOR(pg_catalog.=) $2",
            schema);
    });
    const int rc = latest ? SPI_execute_snapshot(plan, args, nullptr, GetLatestSnapshot(), InvalidSnapshot, false,
                                                 false, 1)
                          : SPI_execute_plan(plan, args, nullptr, false, 1);
    if (rc != SPI_OK_SELECT) elog(ERROR, "clara: could not check the duplicate keys");
    const bool found = SPI_processed > 0;
    SPI_freetuptable(SPI_tuptable);
    return found;
}

void insert_marker(const char *schema) {
    Oid type = INT8OID;
    Datum arg = Int64GetDatum(kMarkerBand);
    exec(psprintf("INSERT INTO %s.clara_dedup_bands (band, doc_key) VALUES ($1, 0)", schema), 1, &type, &arg,
         SPI_OK_INSERT, "mark the duplicate keys filled");
}

// Fills clara_dedup_bands again when its marker is missing: the table is
// unlogged, so a crash or a standby's promotion leaves it empty (so does a
// TRUNCATE of the corpus, with nothing to fill). One writer fills it while
// the others wait on the lock and then find the marker. The keys of each
// text go to its stored copy with the smallest doc_key (any one copy will
// do: see keys_to_store); one sorted INSERT, whose sort spills to disk
// rather than growing with the corpus. The trigger's own statement is left
// out: its new documents are filed after this (their keys would go in
// twice) and its deleted ones are gone (a copy of them takes the keys).
// Runs before plan_lookups: it reads every signed document, which a
// sequential scan does best.
void ensure_keys(const char *schema, TriggerData *trig) {
    if (has_marker(schema, false)) return;
    exec(psprintf("LOCK TABLE %s.clara_dedup_bands IN SHARE ROW EXCLUSIVE MODE", schema), 0, nullptr, nullptr,
         SPI_OK_UTILITY, "lock the duplicate keys");
    if (has_marker(schema, true)) return;
    // The statement's transition tables, by the names its trigger gives them.
    const char *fresh = "";
    if (trig->tg_newtable) {
        if (SPI_register_trigger_data(trig) != SPI_OK_TD_REGISTER)
            elog(ERROR, "clara: could not read the statement's rows");
        const char *added = quote_identifier(trig->tg_trigger->tgnewtable);
        fresh = trig->tg_oldtable
                    ? psprintf(
                          " AND NOT EXISTS (SELECT 1 FROM %s n WHERE n.doc_key OPERATOR(pg_catalog.=) d.doc_key "
                          "AND NOT EXISTS (SELECT 1 FROM %s o WHERE o.doc_key OPERATOR(pg_catalog.=) n.doc_key))",
                          added, quote_identifier(trig->tg_trigger->tgoldtable))
                    : psprintf(" AND NOT EXISTS (SELECT 1 FROM %s n WHERE n.doc_key OPERATOR(pg_catalog.=) d.doc_key)",
                               added);
    }
    Oid type = INT8OID;
    Datum arg = Int64GetDatum(kMarkerBand);
    exec(psprintf("INSERT INTO %s.clara_dedup_bands (band, doc_key) "
                  "SELECT band, doc_key FROM ("
                  "SELECT pg_catalog.unnest(CASE WHEN pg_catalog.cardinality(k) OPERATOR(pg_catalog.>) 1 "
                  "THEN k[2:] ELSE k END) AS band, doc_key FROM ("
                  "SELECT d.doc_key, %s.clara_dedup_keys(d.dedup) AS k FROM %s.clara_documents d "
                  "WHERE d.dedup IS NOT NULL%s AND NOT EXISTS (SELECT 1 FROM %s.clara_dup_clusters c "
                  "JOIN %s.clara_dup_clusters o ON o.exact_cluster OPERATOR(pg_catalog.=) c.exact_cluster "
                  "JOIN %s.clara_documents od ON od.doc_key OPERATOR(pg_catalog.=) o.doc_key "
                  "WHERE c.doc_key OPERATOR(pg_catalog.=) d.doc_key AND od.dedup IS NOT NULL "
                  "AND o.doc_key OPERATOR(pg_catalog.<) d.doc_key)) AS signed "
                  "UNION ALL SELECT $1, 0) AS keys ORDER BY band, doc_key",
                  schema, schema, schema, fresh, schema, schema, schema),
         1, &type, &arg, SPI_OK_INSERT, "fill the duplicate keys again");
}

// Inserts work->keys / work->docs into clara_dedup_bands.
void insert_keys(DedupWork *work, const char *schema) {
    if (work->keys.empty()) return;
    Oid types[2] = {INT8ARRAYOID, INT4ARRAYOID};
    Datum args[2] = {int8_array(work->keys), int4_vector(work->docs)};
    exec_kept(&g_insert_keys, schema, 2, types, args, SPI_OK_INSERT, "store duplicate keys", [&] {
        return psprintf(
            "INSERT INTO %s.clara_dedup_bands (band, doc_key) "
            "SELECT * FROM ROWS FROM (pg_catalog.unnest($1::bigint[]), pg_catalog.unnest($2::integer[]))",
            schema);
    });
}

// Takes the keys of gone documents out of clara_dedup_bands (gone: their
// doc_keys, keys: all their lookup keys; every row with one of those keys
// and one of those doc_keys is one of theirs) and hands the keys of each
// text that had them to another stored copy of it, if there is one.
void remove_keys(DedupWork *work, const char *schema, Datum gone, const std::vector<int64_t> &keys) {
    if (keys.empty()) return;
    Oid types[2] = {INT4ARRAYOID, INT8ARRAYOID};
    Datum args[2] = {gone, int8_array(keys)};
    exec_kept(&g_remove_keys, schema, 2, types, args, SPI_OK_SELECT, "remove the duplicate keys of documents", [&] {
        return psprintf(
            "WITH d AS (DELETE FROM %s.clara_dedup_bands WHERE band OPERATOR(pg_catalog.=) ANY($2) "
            "AND doc_key OPERATOR(pg_catalog.=) ANY($1) RETURNING doc_key) "
            "SELECT DISTINCT c.exact_cluster FROM %s.clara_dup_clusters c "
            "WHERE c.doc_key IN (SELECT doc_key FROM d) AND c.exact_cluster IS NOT NULL",
            schema, schema);
    });
    clara::pg::run_cpp("filing duplicates", [&] { work->others.clear(); });
    for (uint64 i = 0; i < SPI_processed; i++) {
        bool isnull;
        Datum label = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
        if (!isnull)
            clara::pg::run_cpp("filing duplicates",
                               [&] { work->others.push_back(static_cast<uint32_t>(DatumGetInt32(label))); });
    }
    SPI_freetuptable(SPI_tuptable);
    if (work->others.empty()) return;
    // The copy with the smallest doc_key that stays takes over.
    Datum labels[2] = {int4_vector(work->others), gone};
    Oid label_types[2] = {INT4ARRAYOID, INT4ARRAYOID};
    exec_kept(&g_copies, schema, 2, label_types, labels, SPI_OK_SELECT, "find other copies of removed documents", [&] {
        return psprintf(
            "SELECT DISTINCT ON (c.exact_cluster) d.doc_key, d.dedup "
            "FROM %s.clara_dup_clusters c JOIN %s.clara_documents d ON d.doc_key OPERATOR(pg_catalog.=) c.doc_key "
            "WHERE c.exact_cluster OPERATOR(pg_catalog.=) ANY($1) AND c.doc_key OPERATOR(pg_catalog.<>) ALL($2) "
            "AND d.dedup IS NOT NULL ORDER BY c.exact_cluster, c.doc_key",
            schema, schema);
    });
    clara::pg::run_cpp("filing duplicates", [&] { work->pairs.clear(); });
    for (uint64 i = 0; i < SPI_processed; i++) {
        bool null_key, null_sig;
        Datum key = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &null_key);
        Datum sig = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &null_sig);
        clara::DedupSignature copy;
        if (null_key || null_sig || !read_signature(sig, &copy)) continue;
        const auto doc = static_cast<uint32_t>(DatumGetInt32(key));
        clara::pg::run_cpp("filing duplicates", [&] {
            int64_t k[clara::kDedupKeys];
            const size_t n = clara::dedup_lookup_keys(copy, k);
            for (size_t j = 0; j < n; j++) work->pairs.emplace_back(k[j], doc);
        });
    }
    SPI_freetuptable(SPI_tuptable);
    clara::pg::run_cpp("filing duplicates", [&] {
        std::sort(work->pairs.begin(), work->pairs.end());
        work->keys.clear();
        work->docs.clear();
        for (const auto &p : work->pairs) {
            work->keys.push_back(p.first);
            work->docs.push_back(p.second);
        }
    });
    insert_keys(work, schema);
}

void plan_lookups();

// Files work->added into the clusters; leaves work->added empty. The
// candidates are the stored documents sharing a key with the batch (looked
// up in clara_dedup_bands before the batch's own keys go in) and the batch
// itself; cluster_duplicates compares them by key in memory.
void file_batch(DedupWork *work, const char *schema, MemoryContext cxt) {
    if (work->added.empty()) return;
    MemoryContext old = MemoryContextSwitchTo(cxt);
    clara::pg::run_cpp("filing duplicates", [&] {
        work->candidates.assign(work->added.begin(), work->added.end());
        work->existing.clear();
        work->others.clear();
        work->batch_keys.clear();
        work->keys.clear();
        for (const auto &d : work->added) work->batch_keys.insert(d.doc_key);
        int64_t keys[clara::kDedupKeys];
        for (const auto &d : work->added) {
            const size_t n = clara::dedup_lookup_keys(d.sig, keys);
            work->keys.insert(work->keys.end(), keys, keys + n);
        }
        // Key order: the lookup walks the band index from one end to the
        // other instead of jumping around in it.
        std::sort(work->keys.begin(), work->keys.end());
        work->keys.erase(std::unique(work->keys.begin(), work->keys.end()), work->keys.end());
    });
    Oid t8 = INT8ARRAYOID, t4 = INT4ARRAYOID;
    TriggerData *check_marker = work->marker_unchecked;
    work->marker_unchecked = nullptr;
    for (;;) {
        // The marker's band is the smallest key: first in key order.
        if (check_marker != nullptr)
            clara::pg::run_cpp("filing duplicates", [&] { work->keys.insert(work->keys.begin(), kMarkerBand); });
        Datum keys = int8_array(work->keys);
        exec_kept(&g_lookup, schema, 1, &t8, &keys, SPI_OK_SELECT, "look up duplicate candidates", [&] {
            return psprintf(
                "SELECT DISTINCT doc_key FROM %s.clara_dedup_bands WHERE band OPERATOR(pg_catalog.=) ANY($1)", schema);
        });
        bool marker = false;
        for (uint64 i = 0; i < SPI_processed; i++) {
            bool isnull;
            Datum key = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
            if (isnull) continue;
            const auto doc = static_cast<uint32_t>(DatumGetInt32(key));
            if (doc == 0) {  // the marker row's; documents start at 1
                marker = true;
                continue;
            }
            clara::pg::run_cpp("filing duplicates", [&] {
                if (work->batch_keys.count(doc) == 0) work->others.push_back(doc);
            });
        }
        SPI_freetuptable(SPI_tuptable);
        if (check_marker == nullptr) break;
        clara::pg::run_cpp("filing duplicates", [&] { work->keys.erase(work->keys.begin()); });
        if (marker) break;
        // Emptied by a crash: filled now (reading every signed document,
        // which a sequential scan does best), then looked up again.
        (void)set_config_option("enable_seqscan", "on", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
        ensure_keys(schema, check_marker);
        plan_lookups();
        check_marker = nullptr;
        clara::pg::run_cpp("filing duplicates", [&] { work->others.clear(); });
    }
    if (!work->others.empty()) {
        // Their signatures; a key whose document is gone (deleted by a
        // transaction this one cannot see yet, say) finds no row here.
        Datum ids = int4_vector(work->others);
        exec_kept(&g_signatures, schema, 1, &t4, &ids, SPI_OK_SELECT, "read the signatures of duplicate candidates",
                  [&] {
                      return psprintf(
                          "SELECT doc_key, dedup FROM %s.clara_documents WHERE doc_key OPERATOR(pg_catalog.=) ANY($1) "
                          "AND dedup IS NOT NULL",
                          schema);
                  });
        for (uint64 i = 0; i < SPI_processed; i++) {
            bool null_key, null_sig;
            Datum key = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &null_key);
            Datum sig = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &null_sig);
            clara::DupDocument d;
            if (null_key || null_sig || !read_signature(sig, &d.sig)) continue;
            d.doc_key = static_cast<uint32_t>(DatumGetInt32(key));
            clara::pg::run_cpp("filing duplicates", [&] { work->candidates.push_back(d); });
        }
        SPI_freetuptable(SPI_tuptable);
    }
    // Stored labels matter for every candidate outside this batch (earlier
    // statements, earlier batches of this one); the batch's own have none.
    if (!work->others.empty()) {
        Datum ids = int4_vector(work->others);
        exec_kept(&g_labels, schema, 1, &t4, &ids, SPI_OK_SELECT, "read duplicate clusters", [&] {
            return psprintf(
                "SELECT doc_key, near_cluster, COALESCE(exact_cluster, 0) FROM %s.clara_dup_clusters "
                "WHERE doc_key = ANY($1)",
                schema);
        });
        for (uint64 i = 0; i < SPI_processed; i++) {
            bool isnull;
            HeapTuple row = SPI_tuptable->vals[i];
            TupleDesc desc = SPI_tuptable->tupdesc;
            const auto doc = static_cast<uint32_t>(DatumGetInt32(SPI_getbinval(row, desc, 1, &isnull)));
            clara::DupLabels l{static_cast<uint32_t>(DatumGetInt32(SPI_getbinval(row, desc, 2, &isnull))),
                               static_cast<uint32_t>(DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull)))};
            clara::pg::run_cpp("filing duplicates", [&] { work->existing[doc] = l; });
        }
    }
    clara::pg::run_cpp("filing duplicates", [&] {
        work->changes = clara::cluster_duplicates(work->added, work->candidates, work->existing);
    });
    const clara::DupChanges &changes = work->changes;
    // Merged clusters first, then the members (in doc_key order, as every
    // writer does, so concurrent statements queue rather than deadlock).
    const char *columns[2] = {"near_cluster", "exact_cluster"};
    const std::vector<std::pair<uint32_t, uint32_t>> *relabels[2] = {&changes.near_relabel, &changes.exact_relabel};
    for (int kind = 0; kind < 2; kind++)
        for (const auto &r : *relabels[kind]) {
            Oid types[2] = {INT4OID, INT4OID};
            Datum args[2] = {Int32GetDatum(static_cast<int32>(r.first)), Int32GetDatum(static_cast<int32>(r.second))};
            exec_kept(&g_relabel[kind], schema, 2, types, args, SPI_OK_UPDATE, "merge duplicate clusters", [&] {
                return psprintf("UPDATE %s.clara_dup_clusters SET %s = $2 WHERE %s = $1", schema, columns[kind],
                                columns[kind]);
            });
        }
    clara::pg::run_cpp("filing duplicates", [&] {
        work->docs.clear();
        work->near.clear();
        work->exact.clear();
    });
    if (!changes.members.empty()) {
        clara::pg::run_cpp("filing duplicates", [&] {
            work->docs.clear();
            work->near.clear();
            work->exact.clear();
            for (const auto &m : changes.members) {
                // A stored document whose labels stay is not rewritten.
                auto st = work->existing.find(m.doc_key);
                if (st != work->existing.end() && st->second.near == m.labels.near &&
                    st->second.exact == m.labels.exact)
                    continue;
                work->docs.push_back(m.doc_key);
                work->near.push_back(m.labels.near);
                work->exact.push_back(m.labels.exact);
            }
        });
    }
    if (!work->docs.empty()) {
        Oid types[3] = {INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID};
        Datum args[3] = {int4_vector(work->docs), int4_vector(work->near), int4_vector(work->exact)};
        exec_kept(&g_members, schema, 3, types, args, SPI_OK_INSERT, "store duplicate clusters", [&] {
            return psprintf(
                "INSERT INTO %s.clara_dup_clusters AS c (doc_key, near_cluster, exact_cluster) "
                "SELECT d, n, NULLIF(e, 0) FROM ROWS FROM (pg_catalog.unnest($1::integer[]), "
                "pg_catalog.unnest($2::integer[]), pg_catalog.unnest($3::integer[])) "
                "AS u(d, n, e) ORDER BY d "
                "ON CONFLICT (doc_key) DO UPDATE SET near_cluster = EXCLUDED.near_cluster, "
                "exact_cluster = EXCLUDED.exact_cluster",
                schema);
        });
    }
    // The batch's keys, for the batches and statements after it; only one
    // document of each normalised text carries them (see keys_to_store).
    clara::pg::run_cpp("filing duplicates", [&] { keys_to_store(work); });
    insert_keys(work, schema);
    clara::pg::run_cpp("filing duplicates", [&] { work->added.clear(); });
    MemoryContextSwitchTo(old);
    MemoryContextReset(cxt);
}

// Settings for the lookups of this SPI connection (restored by spi_finish).
// The candidates come from the btree over clara_dedup_bands' keys. The
// planner, seeing a table that grew in this statement (or an array of
// thousands of keys), may pick a sequential scan, which compares each row
// with the whole array, or a parallel plan, which copies the array to every
// worker (measured: a tenth of a bulk load's time): forbid both. JIT
// compiles expressions that run a few thousand times at most.
void plan_lookups() {
    (void)set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    (void)set_config_option("max_parallel_workers_per_gather", "0", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
                            0, false);
    (void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

// Calls visit(doc_key, dedup datum, dedup isnull) for each row of store.
template <typename Visit>
void scan(Tuplestorestate *store, Relation rel, MemoryContext row_cxt, Visit &&visit) {
    TupleDesc desc = RelationGetDescr(rel);
    const int key_col = SPI_fnumber(desc, "doc_key"), sig_col = SPI_fnumber(desc, "dedup");
    if (key_col <= 0 || sig_col <= 0)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("clara_documents has no doc_key or dedup column"),
                        errhint("Update the clara extension: ALTER EXTENSION clara UPDATE.")));
    TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
    int reader = tuplestore_alloc_read_pointer(store, 0);
    tuplestore_select_read_pointer(store, reader);
    tuplestore_rescan(store);
    while (tuplestore_gettupleslot(store, true, false, slot)) {
        CHECK_FOR_INTERRUPTS();
        MemoryContext old = MemoryContextSwitchTo(row_cxt);
        bool key_null, sig_null;
        Datum key = slot_getattr(slot, key_col, &key_null);
        Datum sig = slot_getattr(slot, sig_col, &sig_null);
        if (!key_null) visit(static_cast<uint32_t>(DatumGetInt32(key)), sig, sig_null);
        MemoryContextSwitchTo(old);
        MemoryContextReset(row_cxt);
    }
    ExecDropSingleTupleTableSlot(slot);
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(clara_dedup_signature);
PG_FUNCTION_INFO_V1(clara_dedup_keys);
PG_FUNCTION_INFO_V1(clara_documents_dedup);
PG_FUNCTION_INFO_V1(clara_dedup_rebuild);
}

// clara_dedup_signature(content text) -> bytea
extern "C" Datum clara_dedup_signature(PG_FUNCTION_ARGS) {
    text *t = PG_GETARG_TEXT_PP(0);
    std::string_view body(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
    auto *out = static_cast<bytea *>(palloc(VARHDRSZ + clara::kDedupBytes));
    SET_VARSIZE(out, VARHDRSZ + clara::kDedupBytes);
    clara::pg::run_cpp("computing a duplicate signature", [&] {
        std::string bytes;
        clara::encode_signature(clara::dedup_signature(body), bytes);
        memcpy(VARDATA(out), bytes.data(), bytes.size());
    });
    PG_RETURN_BYTEA_P(out);
}

// clara_dedup_keys(signature bytea) -> bigint[]: the exact key, then one
// key per band (none for a text without words).
extern "C" Datum clara_dedup_keys(PG_FUNCTION_ARGS) {
    clara::DedupSignature sig;
    if (!read_signature(PG_GETARG_DATUM(0), &sig))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("not a clara duplicate signature"),
                        errhint("Signatures come from clara_dedup_signature(content).")));
    int64_t keys[clara::kDedupKeys];
    const size_t n = clara::dedup_keys(sig, keys);
    Datum datums[clara::kDedupKeys];
    for (size_t i = 0; i < n; i++) datums[i] = Int64GetDatum(keys[i]);
    PG_RETURN_ARRAYTYPE_P(construct_array(datums, static_cast<int>(n), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

extern "C" Datum clara_documents_dedup(PG_FUNCTION_ARGS) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("clara_documents_dedup must be called as a trigger")));
    auto *trig = reinterpret_cast<TriggerData *>(fcinfo->context);
    if (!TRIGGER_FIRED_AFTER(trig->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("clara_documents_dedup must be an AFTER ... FOR EACH STATEMENT trigger")));
    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "clara dedup", ALLOCSET_DEFAULT_SIZES);
    MemoryContext row_cxt = AllocSetContextCreate(cxt, "clara dedup row", ALLOCSET_DEFAULT_SIZES);
    MemoryContext batch_cxt = AllocSetContextCreate(cxt, "clara dedup batch", ALLOCSET_DEFAULT_SIZES);
    DedupWork *work = clara::pg::make_owned<DedupWork>(cxt);
    Relation rel = trig->tg_relation;
    const char *schema = clara::pg::extension_schema();

    // As the index: the extension's owner keeps the clusters (the caller's
    // privileges were checked for the change itself).
    clara::pg::SavedUser caller = clara::pg::as_index_owner();
    int guc_level = clara::pg::spi_connect();
    if (trig->tg_oldtable == nullptr)
        work->marker_unchecked = trig;
    else
        ensure_keys(schema, trig);
    plan_lookups();
    // On UPDATE a document whose text did not change keeps its doc_key: it
    // stays where it is.
    if (trig->tg_oldtable && trig->tg_newtable) {
        // (A row without a signature before, stored by an older version,
        // is filed now.)
        scan(trig->tg_oldtable, rel, row_cxt, [&](uint32_t key, Datum, bool sig_null) {
            if (!sig_null) clara::pg::run_cpp("filing duplicates", [&] { work->old_keys.insert(key); });
        });
    }
    // (Only an UPDATE needs the new keys apart: an INSERT has nothing gone,
    // and each pass over a large statement's rows reads them back from disk.)
    if (trig->tg_newtable && trig->tg_oldtable)
        scan(trig->tg_newtable, rel, row_cxt, [&](uint32_t key, Datum, bool) {
            clara::pg::run_cpp("filing duplicates", [&] { work->new_keys.insert(key); });
        });
    if (trig->tg_oldtable) {
        // Documents deleted or re-texted (a new doc_key) leave their
        // clusters and take their keys out of clara_dedup_bands, a slice
        // at a time.
        std::vector<uint32_t> *gone = clara::pg::make_owned<std::vector<uint32_t>>(cxt);
        std::vector<int64_t> *gone_keys = clara::pg::make_owned<std::vector<int64_t>>(cxt);
        auto remove = [&] {
            if (gone->empty()) return;
            // Keys first: handing them on reads the clusters of the gone.
            Datum ids = int4_vector(*gone);
            remove_keys(work, schema, ids, *gone_keys);
            Oid type = INT4ARRAYOID;
            exec_kept(&g_delete_members, schema, 1, &type, &ids, SPI_OK_DELETE,
                      "remove documents from their duplicate clusters", [&] {
                          return psprintf(
                              "DELETE FROM %s.clara_dup_clusters WHERE doc_key OPERATOR(pg_catalog.=) ANY($1)", schema);
                      });
            clara::pg::run_cpp("filing duplicates", [&] {
                gone->clear();
                gone_keys->clear();
            });
        };
        scan(trig->tg_oldtable, rel, row_cxt, [&](uint32_t key, Datum sig, bool sig_null) {
            if (work->new_keys.count(key) > 0) return;
            clara::DedupSignature old_sig;
            const bool has_keys = !sig_null && read_signature(sig, &old_sig);
            clara::pg::run_cpp("filing duplicates", [&] {
                gone->push_back(key);
                if (!has_keys) return;
                int64_t keys[clara::kDedupKeys];
                const size_t n = clara::dedup_lookup_keys(old_sig, keys);
                gone_keys->insert(gone_keys->end(), keys, keys + n);
            });
            if (gone->size() >= kDedupBatch) remove();
        });
        remove();
    }
    if (trig->tg_newtable)
        scan(trig->tg_newtable, rel, row_cxt, [&](uint32_t key, Datum sig, bool sig_null) {
            if (sig_null || work->old_keys.count(key) > 0) return;
            clara::DupDocument d;
            if (!read_signature(sig, &d.sig)) return;
            d.doc_key = key;
            clara::pg::run_cpp("filing duplicates", [&] { work->added.push_back(d); });
            if (work->added.size() >= kDedupBatch) file_batch(work, schema, batch_cxt);
        });
    file_batch(work, schema, batch_cxt);
    clara::pg::spi_finish(guc_level);
    clara::pg::restore_user(caller);
    MemoryContextDelete(cxt);
    return PointerGetDatum(nullptr);
}

// clara_dedup_rebuild(): files every document again, from scratch (after
// duplicates were stored by concurrent transactions, which do not see each
// other's rows). Returns the number of documents in clusters.
extern "C" Datum clara_dedup_rebuild(PG_FUNCTION_ARGS) {
    (void)fcinfo;
    clara::pg::check_corpus_owner("clara_dedup_rebuild()");
    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "clara dedup rebuild", ALLOCSET_DEFAULT_SIZES);
    MemoryContext batch_cxt = AllocSetContextCreate(cxt, "clara dedup batch", ALLOCSET_DEFAULT_SIZES);
    DedupWork *work = clara::pg::make_owned<DedupWork>(cxt);
    const char *schema = clara::pg::extension_schema();
    clara::pg::SavedUser caller = clara::pg::as_index_owner();
    int guc_level = clara::pg::spi_connect();
    plan_lookups();
    // Documents stored without a signature get one (their update files them).
    exec(psprintf("UPDATE %s.clara_documents SET dedup = NULL WHERE dedup IS NULL", schema), 0, nullptr, nullptr,
         SPI_OK_UPDATE, "sign documents");
    exec(psprintf("DELETE FROM %s.clara_dup_clusters", schema), 0, nullptr, nullptr, SPI_OK_DELETE,
         "empty the duplicate clusters");
    exec(psprintf("DELETE FROM %s.clara_dedup_bands", schema), 0, nullptr, nullptr, SPI_OK_DELETE,
         "empty the duplicate keys");
    insert_marker(schema);
    Portal portal = SPI_cursor_open_with_args(
        nullptr, psprintf("SELECT doc_key, dedup FROM %s.clara_documents ORDER BY doc_key", schema), 0, nullptr,
        nullptr, nullptr, false, 0);
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        SPI_cursor_fetch(portal, true, static_cast<long>(kDedupBatch));
        const uint64 n = SPI_processed;
        SPITupleTable *rows = SPI_tuptable;
        if (n == 0) break;
        for (uint64 i = 0; i < n; i++) {
            bool null_key, null_sig;
            Datum key = SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &null_key);
            Datum sig = SPI_getbinval(rows->vals[i], rows->tupdesc, 2, &null_sig);
            clara::DupDocument d;
            if (null_key || null_sig || !read_signature(sig, &d.sig)) continue;
            d.doc_key = static_cast<uint32_t>(DatumGetInt32(key));
            clara::pg::run_cpp("filing duplicates", [&] { work->added.push_back(d); });
        }
        SPI_freetuptable(rows);
        file_batch(work, schema, batch_cxt);
    }
    SPI_cursor_close(portal);
    exec(psprintf("SELECT pg_catalog.count(*) FROM %s.clara_dup_clusters", schema), 0, nullptr, nullptr, SPI_OK_SELECT,
         "count the clustered documents");
    bool isnull;
    int64 clustered = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    clara::pg::spi_finish(guc_level);
    clara::pg::restore_user(caller);
    MemoryContextDelete(cxt);
    PG_RETURN_INT64(clustered);
}
