// The catalogue of metadata keys (metadata_keys.hpp): the AFTER ... FOR EACH
// STATEMENT trigger that checks and files the top-level metadata keys of
// each statement's new rows, clara_metadata_types() that lists them, and
// the export's read of them.
//
// Per statement, not per row: the new rows' keys are gathered first (a
// conflict between two of them is already an error), then one indexed read
// of the catalogue; only keys new to it (or known only as null so far) are
// written. A loader therefore writes nothing here once its keys are known,
// and concurrent loaders do not queue on shared rows. Two transactions
// adding the same new key meet on its primary key: under READ COMMITTED the
// second waits for the first, then reads its type (a fresh snapshot per SPI
// statement) and fails if it differs; under REPEATABLE READ or SERIALIZABLE
// ON CONFLICT itself fails with a serialization error (40001).
#include "metadata_keys.hpp"

#include "catalog.hpp"
#include "plans.hpp"

extern "C" {
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
}

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

// The JSON type names the catalogue stores (its CHECK constraint).
const char *json_type_name(const JsonbValue &v) {
    switch (v.type) {
        case jbvNull: return "null";
        case jbvString: return "string";
        case jbvNumeric: return "number";
        case jbvBool: return "boolean";
        case jbvBinary: return JsonContainerIsArray(v.val.binary.data) ? "array" : "object";
        default: return "object";
    }
}

// "a string", "an array": for messages.
const char *with_article(const char *type) { return type[0] == 'a' || type[0] == 'o' ? "an" : "a"; }

bool is_null_type(const char *type) { return strcmp(type, "null") == 0; }

struct SeenKey {
    const char *type;         // a static name from json_type_name
    std::string document_id;  // the first document with this type
};

// One statement's keys, then the catalogue's answer.
struct StatementKeys {
    std::unordered_map<std::string, SeenKey> seen;
    std::vector<std::string> keys;  // sorted (the order rows are written and locked in)
    std::vector<const char *> types;
    std::vector<bool> known;  // scratch of compare_with_catalogue, per key
};

// A conflict found inside C++ code, reported once its frames are gone.
struct Conflict {
    char key[160];
    char first_type[16], second_type[16];
    char first_document[160], second_document[160];
    bool found;
    bool too_long;  // key over kMaxMetadataKeyBytes (first_document names the document)
    bool too_many;  // more than kMaxMetadataKeys distinct keys in one statement
};

void copy_text(char *out, size_t size, std::string_view s) {
    size_t n = std::min(s.size(), size - 4);
    memcpy(out, s.data(), n);
    if (n < s.size()) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

[[noreturn]] void report_conflict(const Conflict &c, bool with_catalogue) {
    if (c.too_long)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("metadata key \"%s\" of document \"%s\" is longer than %d bytes", c.key,
                               c.first_document, clara::pg::kMaxMetadataKeyBytes),
                        errhint("Top-level metadata keys become columns of the exported dataset: use a short name.")));
    if (c.too_many)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("metadata of one statement has more than %d distinct top-level keys",
                               clara::pg::kMaxMetadataKeys),
                        errhint("Every top-level metadata key becomes a column of each exported line; nest open-ended "
                                "fields in one object key (docs/training.md#stable-types).")));
    if (with_catalogue)
        ereport(ERROR, (errcode(ERRCODE_CHECK_VIOLATION),
                        errmsg("metadata key \"%s\" of document \"%s\" is %s %s, but the stored documents have %s %s",
                               c.key, c.second_document, with_article(c.second_type), c.second_type,
                               with_article(c.first_type), c.first_type),
                        errdetail("clara_metadata_types() lists the JSON type of every stored metadata key."),
                        errhint("Store %s %s or null under \"%s\", or use another key: one key has one JSON type in "
                                "every exported line (docs/training.md#stable-types).",
                                with_article(c.first_type), c.first_type, c.key)));
    ereport(ERROR, (errcode(ERRCODE_CHECK_VIOLATION),
                    errmsg("metadata key \"%s\" is %s %s in document \"%s\" but %s %s in document \"%s\"", c.key,
                           with_article(c.first_type), c.first_type, c.first_document, with_article(c.second_type),
                           c.second_type, c.second_document),
                    errhint("One key has one JSON type in every exported line (docs/training.md#stable-types): store "
                            "the same type, or null.")));
}

// Adds one document's keys to work; a conflict with an earlier row of the
// statement goes into *conflict.
void observe_document(StatementKeys *work, Jsonb *metadata, std::string_view document_id, Conflict *conflict) {
    if (!JB_ROOT_IS_OBJECT(metadata)) return;
    JsonbIterator *it = JsonbIteratorInit(&metadata->root);
    JsonbValue v;
    JsonbIteratorToken tok;
    std::string_view key;
    while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
        if (tok == WJB_KEY) {
            key = std::string_view(v.val.string.val, v.val.string.len);
            continue;
        }
        if (tok != WJB_VALUE) continue;
        const char *type = json_type_name(v);
        clara::pg::run_cpp("checking metadata types", [&] {
            if (key.size() > static_cast<size_t>(clara::pg::kMaxMetadataKeyBytes)) {
                conflict->too_long = conflict->found = true;
                copy_text(conflict->key, sizeof conflict->key, key);
                copy_text(conflict->first_document, sizeof conflict->first_document, document_id);
                return;
            }
            auto found = work->seen.find(std::string(key));
            if (found == work->seen.end()) {
                if (work->seen.size() >= static_cast<size_t>(clara::pg::kMaxMetadataKeys)) {
                    conflict->too_many = conflict->found = true;
                    return;
                }
                work->seen.emplace(std::string(key), SeenKey{type, std::string(document_id)});
                return;
            }
            SeenKey &s = found->second;
            if (is_null_type(type) || strcmp(s.type, type) == 0) return;
            if (is_null_type(s.type)) {
                s = SeenKey{type, std::string(document_id)};
                return;
            }
            conflict->found = true;
            copy_text(conflict->key, sizeof conflict->key, key);
            snprintf(conflict->first_type, sizeof conflict->first_type, "%s", s.type);
            snprintf(conflict->second_type, sizeof conflict->second_type, "%s", type);
            copy_text(conflict->first_document, sizeof conflict->first_document, s.document_id);
            copy_text(conflict->second_document, sizeof conflict->second_document, document_id);
        });
        if (conflict->found) return;
    }
}

// Compares the catalogue rows in SPI_tuptable (key, json_type) with work.
// Collects into to_write the keys to add or to type (when to_write is not
// null).
void compare_with_catalogue(StatementKeys *work, Conflict *conflict, std::vector<std::string> *to_write) {
    clara::pg::run_cpp("checking metadata types", [&] { work->known.assign(work->keys.size(), false); });
    for (uint64 i = 0; i < SPI_processed && !conflict->found; i++) {
        char *key = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
        char *stored = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
        if (key == nullptr || stored == nullptr) continue;
        clara::pg::run_cpp("checking metadata types", [&] {
            auto at = std::lower_bound(work->keys.begin(), work->keys.end(), std::string_view(key));
            if (at == work->keys.end() || *at != key) return;
            const size_t index = static_cast<size_t>(at - work->keys.begin());
            work->known[index] = true;
            const char *type = work->types[index];
            if (is_null_type(type) || strcmp(type, stored) == 0) return;
            if (is_null_type(stored)) {
                if (to_write != nullptr) to_write->push_back(*at);
                return;
            }
            const SeenKey &s = work->seen.at(*at);
            conflict->found = true;
            copy_text(conflict->key, sizeof conflict->key, *at);
            snprintf(conflict->first_type, sizeof conflict->first_type, "%s", stored);
            snprintf(conflict->second_type, sizeof conflict->second_type, "%s", type);
            copy_text(conflict->second_document, sizeof conflict->second_document, s.document_id);
        });
    }
    if (to_write == nullptr || conflict->found) return;
    clara::pg::run_cpp("checking metadata types", [&] {
        for (size_t i = 0; i < work->known.size(); i++)
            if (!work->known[i]) to_write->push_back(work->keys[i]);
        std::sort(to_write->begin(), to_write->end());
    });
}

// The catalogue's rows of the keys $1: read by every writing statement
// with metadata, planned once per backend (plans.hpp).
clara::pg::KeptPlan g_read_keys;

Datum key_array(const std::vector<std::string> &keys) {
    return clara::pg::varlena_array(TEXTOID, static_cast<int>(keys.size()),
                                    [&](int i) { return std::string_view(keys[static_cast<size_t>(i)]); });
}

}  // namespace

namespace clara::pg {

const std::vector<std::string> *load_metadata_keys(const char *schema, MemoryContext owner) {
    auto *keys = make_owned<std::vector<std::string>>(owner);
    SavedUser caller = as_index_owner();
    // jsonb's key order: shorter keys first, then bytewise.
    int rc = SPI_execute(psprintf("SELECT key FROM %s.clara_metadata_keys ORDER BY pg_catalog.octet_length(key), key "
                                  "COLLATE \"C\"",
                                  schema),
                         true, 0);
    restore_user(caller);
    if (rc != SPI_OK_SELECT) elog(ERROR, "clara: could not read the metadata keys");
    for (uint64 i = 0; i < SPI_processed; i++) {
        char *key = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
        if (key != nullptr) run_cpp("reading the metadata keys", [&] { keys->emplace_back(key); });
    }
    return keys;
}

}  // namespace clara::pg

extern "C" {
PG_FUNCTION_INFO_V1(clara_documents_catalogue);
PG_FUNCTION_INFO_V1(clara_metadata_types);
}

extern "C" Datum clara_documents_catalogue(PG_FUNCTION_ARGS) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("clara_documents_catalogue must be called as a trigger")));
    auto *trig = reinterpret_cast<TriggerData *>(fcinfo->context);
    if (!TRIGGER_FIRED_AFTER(trig->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event) ||
        trig->tg_newtable == nullptr)
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("clara_documents_catalogue must be an AFTER INSERT or UPDATE ... FOR EACH STATEMENT "
                               "trigger with a NEW TABLE")));
    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "clara metadata keys", ALLOCSET_DEFAULT_SIZES);
    MemoryContext row_cxt = AllocSetContextCreate(cxt, "clara metadata keys row", ALLOCSET_DEFAULT_SIZES);
    StatementKeys *work = clara::pg::make_owned<StatementKeys>(cxt);
    auto *conflict = static_cast<Conflict *>(MemoryContextAllocZero(cxt, sizeof(Conflict)));

    TupleDesc desc = RelationGetDescr(trig->tg_relation);
    const int id_col = SPI_fnumber(desc, "document_id"), metadata_col = SPI_fnumber(desc, "metadata");
    if (id_col <= 0 || metadata_col <= 0)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("clara_documents has no document_id or metadata")));
    TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
    Tuplestorestate *store = trig->tg_newtable;
    int reader = tuplestore_alloc_read_pointer(store, 0);
    tuplestore_select_read_pointer(store, reader);
    tuplestore_rescan(store);
    while (!conflict->found && tuplestore_gettupleslot(store, true, false, slot)) {
        CHECK_FOR_INTERRUPTS();
        MemoryContext old = MemoryContextSwitchTo(row_cxt);
        bool id_null, metadata_null;
        Datum id = slot_getattr(slot, id_col, &id_null);
        Datum metadata = slot_getattr(slot, metadata_col, &metadata_null);
        if (!metadata_null) {
            text *t = id_null ? nullptr : DatumGetTextPP(id);
            std::string_view document_id = t == nullptr ? std::string_view()
                                                        : std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
            observe_document(work, DatumGetJsonbP(metadata), document_id, conflict);
        }
        MemoryContextSwitchTo(old);
        MemoryContextReset(row_cxt);
    }
    ExecDropSingleTupleTableSlot(slot);
    if (conflict->found) report_conflict(*conflict, false);
    if (work->seen.empty()) {
        MemoryContextDelete(cxt);
        return PointerGetDatum(nullptr);
    }
    clara::pg::run_cpp("checking metadata types", [&] {
        for (const auto &s : work->seen) work->keys.push_back(s.first);
        std::sort(work->keys.begin(), work->keys.end());
        for (const auto &k : work->keys) work->types.push_back(work->seen.at(k).type);
    });

    const char *schema = clara::pg::extension_schema();
    // As the index: the extension's owner keeps the catalogue.
    clara::pg::SavedUser caller = clara::pg::as_index_owner();
    int guc_level = clara::pg::spi_connect();
    Oid text_array = TEXTARRAYOID;
    Datum keys = key_array(work->keys);
    SPIPlanPtr read_keys = clara::pg::kept_plan(&g_read_keys, schema, 1, &text_array, 0, [&] {
        return psprintf("SELECT key, json_type FROM %s.clara_metadata_keys WHERE key = ANY($1::text[])", schema);
    });
    clara::pg::execute_kept(read_keys, &keys, SPI_OK_SELECT, "read the metadata keys");
    auto *to_write = clara::pg::make_owned<std::vector<std::string>>(cxt);
    compare_with_catalogue(work, conflict, to_write);
    if (conflict->found) report_conflict(*conflict, true);
    if (!to_write->empty()) {
        if (SPI_execute(psprintf("SELECT pg_catalog.count(*) FROM %s.clara_metadata_keys", schema), false, 0) !=
            SPI_OK_SELECT)
            elog(ERROR, "clara: could not count the metadata keys");
        bool isnull;
        const int64 stored = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
        // At most this many are new (some may only be typed: null -> a type).
        int64 added = static_cast<int64>(to_write->size());
        if (stored + added > clara::pg::kMaxMetadataKeys) {
            // Keys only re-typed (null -> a type) do not count: recount exactly.
            const char *count_sql = psprintf(
                "SELECT pg_catalog.count(*) FROM pg_catalog.unnest($1::text[]) AS u(k) WHERE NOT EXISTS "
                "(SELECT 1 FROM %s.clara_metadata_keys m WHERE m.key = u.k)",
                schema);
            Datum write_keys = key_array(*to_write);
            if (SPI_execute_with_args(count_sql, 1, &text_array, &write_keys, nullptr, false, 0) != SPI_OK_SELECT)
                elog(ERROR, "clara: could not count the metadata keys");
            added = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
            if (stored + added > clara::pg::kMaxMetadataKeys)
                ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                                errmsg("metadata would have %lld distinct top-level keys, more than %d",
                                       static_cast<long long>(stored + added), clara::pg::kMaxMetadataKeys),
                                errhint("Every top-level metadata key becomes a column of each exported line; nest "
                                        "open-ended fields in one object key (docs/training.md#stable-types).")));
        }
        // In key order, as every writer does: concurrent statements queue
        // rather than deadlock.
        std::vector<const char *> *types = clara::pg::make_owned<std::vector<const char *>>(cxt);
        clara::pg::run_cpp("checking metadata types", [&] {
            for (const std::string &k : *to_write)
                types->push_back(work->types[static_cast<size_t>(
                    std::lower_bound(work->keys.begin(), work->keys.end(), k) - work->keys.begin())]);
        });
        Oid arg_types[2] = {TEXTARRAYOID, TEXTARRAYOID};
        Datum args[2] = {key_array(*to_write),
                         clara::pg::varlena_array(TEXTOID, static_cast<int>(types->size()), [&](int i) {
                             return std::string_view((*types)[static_cast<size_t>(i)]);
                         })};
        const char *write_sql = psprintf(
            "INSERT INTO %s.clara_metadata_keys AS m (key, json_type) "
            "SELECT k, t FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS u(k, t) "
            "ORDER BY k "
            "ON CONFLICT (key) DO UPDATE SET json_type = EXCLUDED.json_type "
            "WHERE m.json_type = 'null' AND EXCLUDED.json_type <> 'null'",
            schema);
        if (SPI_execute_with_args(write_sql, 2, arg_types, args, nullptr, false, 0) != SPI_OK_INSERT)
            elog(ERROR, "clara: could not store the metadata keys");
        // A concurrent transaction may have filed one of them first, with
        // another type: read them again (a new snapshot, READ COMMITTED).
        clara::pg::execute_kept(read_keys, &args[0], SPI_OK_SELECT, "read the metadata keys");
        compare_with_catalogue(work, conflict, nullptr);
        if (conflict->found) report_conflict(*conflict, true);
    }
    clara::pg::spi_finish(guc_level);
    clara::pg::restore_user(caller);
    MemoryContextDelete(cxt);
    return PointerGetDatum(nullptr);
}

// clara_metadata_types(): the catalogue, in the order exports write the keys.
extern "C" Datum clara_metadata_types(PG_FUNCTION_ARGS) {
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    InitMaterializedSRF(fcinfo, 0);
    const char *schema = clara::pg::extension_schema();
    clara::pg::SavedUser caller = clara::pg::as_index_owner();
    int guc_level = clara::pg::spi_connect();
    int rc = SPI_execute(psprintf("SELECT key, json_type FROM %s.clara_metadata_keys "
                                  "ORDER BY pg_catalog.octet_length(key), key COLLATE \"C\"",
                                  schema),
                         true, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "clara: could not read the metadata keys");
    for (uint64 i = 0; i < SPI_processed; i++) {
        Datum values[2];
        bool nulls[2];
        values[0] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &nulls[0]);
        values[1] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &nulls[1]);
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    clara::pg::spi_finish(guc_level);
    clara::pg::restore_user(caller);
    return static_cast<Datum>(0);
}
