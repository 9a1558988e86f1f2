// clara_register_eval_set, clara_unregister_eval_set, and the gram sets of
// an export with decontaminate. See eval_sets.hpp.
//
// The texts are read as the caller (their privileges and row-level security
// apply); the grams are written to clara_eval_grams as the extension's
// owner, like the other index tables: nobody else may forge or remove them.
// Texts and grams go batch by batch (kRegisterBatch texts), so registering
// takes memory for one batch, whatever the size of the set.
#include "eval_sets.hpp"

#include "catalog.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "utils/regproc.h"
}

#include <string>

namespace clara::pg {
namespace {

constexpr int kRegisterBatch = 1000;  // texts per batch while registering
constexpr long kLoadBatch = 50000;    // grams per fetch while loading a set

const char *name_arg(FunctionCallInfo fcinfo, int i, const char *what) {
    if (PG_ARGISNULL(i)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
    return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

uint32_t gram_length_arg(FunctionCallInfo fcinfo, int i) {
    if (PG_ARGISNULL(i)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("n must not be NULL")));
    const int32 n = PG_GETARG_INT32(i);
    if (n < 1 || n > static_cast<int32>(clara::kMaxGramWords))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("n must be between 1 and %u words, not %d", clara::kMaxGramWords, n),
                        errhint("13 words is the usual decontamination gram (GPT-3, NeMo Curator).")));
    return static_cast<uint32_t>(n);
}

// A registration in progress: the grams of the current batch (C++ heap,
// owned by a memory context) and the counts so far.
struct Registration {
    const char *schema;
    const char *name;
    uint32_t n;
    int64 texts = 0;
    std::vector<uint64_t> grams, one, words;  // batch, one text, scratch
};

// Creates the set's row (as the index owner); 42710 when the name is taken.
void create_set(Registration *r, const char *source) {
    if (r->name[0] == '\0')
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("evaluation set name must not be empty")));
    const char *caller = GetUserNameFromId(GetUserId(), false);
    SavedUser saved = as_index_owner();
    Oid types[4] = {TEXTOID, INT4OID, TEXTOID, TEXTOID};
    Datum args[4] = {CStringGetTextDatum(r->name), Int32GetDatum(static_cast<int32>(r->n)), CStringGetTextDatum(caller),
                     CStringGetTextDatum(source)};
    char *sql = psprintf(
        "INSERT INTO %s.clara_eval_sets (name, n, texts, grams, registered_by, source) "
        "VALUES ($1, $2, 0, 0, $3, $4) ON CONFLICT (name) DO NOTHING",
        r->schema);
    if (SPI_execute_with_args(sql, 4, types, args, nullptr, false, 0) != SPI_OK_INSERT)
        elog(ERROR, "clara: could not write clara_eval_sets");
    const bool created = SPI_processed == 1;
    restore_user(saved);
    if (!created)
        ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT), errmsg("evaluation set \"%s\" already exists", r->name),
                        errhint("Drop it first with clara_unregister_eval_set('%s') (clara-stream eval-set drop), "
                                "or register under another name.",
                                r->name)));
}

// Adds one text's grams to the batch.
void add_text(Registration *r, text *t) {
    const std::string_view body(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
    run_cpp("computing evaluation grams", [&] {
        clara::gram_hashes(body, r->n, r->one, r->words);
        r->grams.insert(r->grams.end(), r->one.begin(), r->one.end());
    });
    r->texts++;
}

// Writes the batch's grams (as the index owner) and empties it.
void flush_grams(Registration *r) {
    if (r->grams.empty()) return;
    const size_t count = r->grams.size();
    auto *datums = static_cast<Datum *>(palloc(sizeof(Datum) * count));
    for (size_t i = 0; i < count; i++) datums[i] = Int64GetDatum(static_cast<int64>(r->grams[i]));
    ArrayType *array = construct_array(datums, static_cast<int>(count), INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
                                       TYPALIGN_DOUBLE);
    r->grams.clear();
    SavedUser saved = as_index_owner();
    Oid types[2] = {TEXTOID, INT8ARRAYOID};
    Datum args[2] = {CStringGetTextDatum(r->name), PointerGetDatum(array)};
    char *sql = psprintf(
        "INSERT INTO %s.clara_eval_grams (set_name, gram) SELECT $1, g FROM pg_catalog.unnest($2) g "
        "ON CONFLICT DO NOTHING",
        r->schema);
    if (SPI_execute_with_args(sql, 2, types, args, nullptr, false, 0) != SPI_OK_INSERT)
        elog(ERROR, "clara: could not write clara_eval_grams");
    restore_user(saved);
    pfree(array);
    pfree(datums);
}

// Stores the final counts; returns the set's description as jsonb.
Datum finish_set(Registration *r) {
    SavedUser saved = as_index_owner();
    Oid types[2] = {TEXTOID, INT8OID};
    Datum args[2] = {CStringGetTextDatum(r->name), Int64GetDatum(r->texts)};
    char *sql = psprintf(
        "UPDATE %s.clara_eval_sets SET texts = $2, "
        "grams = (SELECT pg_catalog.count(*) FROM %s.clara_eval_grams WHERE set_name = $1) WHERE name = $1 "
        "RETURNING pg_catalog.jsonb_build_object('name', name, 'n', n, 'texts', texts, 'grams', grams, "
        "'source', source)::text",
        r->schema, r->schema);
    if (SPI_execute_with_args(sql, 2, types, args, nullptr, false, 0) != SPI_OK_UPDATE_RETURNING || SPI_processed != 1)
        elog(ERROR, "clara: could not write clara_eval_sets");
    restore_user(saved);
    return CStringGetTextDatum(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
}

}  // namespace

EvalGrams *load_eval_sets(ArrayType *names, MemoryContext owner) {
    Datum *items;
    bool *nulls;
    int count;
    deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &count);
    EvalGrams *sets = make_owned<EvalGrams>(owner);
    const char *schema = extension_schema();
    for (int i = 0; i < count; i++) {
        if (nulls[i])
            ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("decontaminate must not contain NULL")));
        const char *name = TextDatumGetCString(items[i]);
        SavedUser saved = as_index_owner();
        Oid types[1] = {TEXTOID};
        Datum args[1] = {items[i]};
        char *sql = psprintf("SELECT n FROM %s.clara_eval_sets WHERE name = $1", schema);
        if (SPI_execute_with_args(sql, 1, types, args, nullptr, true, 1) != SPI_OK_SELECT)
            elog(ERROR, "clara: could not read clara_eval_sets");
        if (SPI_processed == 0)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("evaluation set \"%s\" is not registered", name),
                            errhint("Register it with clara_register_eval_set(name, relation) or clara-stream "
                                    "eval-set register NAME FILE.jsonl; clara_eval_sets lists the sets.")));
        bool isnull;
        const auto n = static_cast<uint32_t>(
            DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)));
        clara::GramSet *set = nullptr;
        run_cpp("loading evaluation sets", [&] {
            for (auto &s : sets->by_length)
                if (s.first == n) set = &s.second;
            if (set == nullptr) {
                sets->by_length.emplace_back(n, clara::GramSet{});
                set = &sets->by_length.back().second;
            }
        });
        // The grams come in fetches of kLoadBatch, so only the set itself grows.
        char *grams_sql = psprintf("SELECT gram FROM %s.clara_eval_grams WHERE set_name = $1", schema);
        Portal portal = SPI_cursor_open_with_args(nullptr, grams_sql, 1, types, args, nullptr, true, 0);
        for (;;) {
            SPI_cursor_fetch(portal, true, kLoadBatch);
            const uint64 got = SPI_processed;
            if (got == 0) break;
            SPITupleTable *tt = SPI_tuptable;
            run_cpp("loading evaluation sets", [&] {
                for (uint64 r = 0; r < got; r++) {
                    bool null;
                    set->add(static_cast<uint64_t>(DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &null))));
                }
            });
            SPI_freetuptable(tt);
            CHECK_FOR_INTERRUPTS();
        }
        SPI_cursor_close(portal);
        restore_user(saved);
    }
    run_cpp("loading evaluation sets", [&] {
        for (auto &s : sets->by_length) s.second.finish();
    });
    return sets;
}

int64 eval_overlap(EvalGrams *sets, std::string_view text) {
    int64 shared = 0;
    run_cpp("checking a document against evaluation sets", [&] {
        for (auto &s : sets->by_length) {
            if (s.second.empty()) continue;
            clara::gram_hashes(text, s.first, sets->doc_grams, sets->words);
            shared += static_cast<int64>(s.second.overlap(sets->doc_grams));
        }
    });
    return shared;
}

}  // namespace clara::pg

extern "C" {
PG_FUNCTION_INFO_V1(clara_register_eval_set_relation);
PG_FUNCTION_INFO_V1(clara_register_eval_set_texts);
PG_FUNCTION_INFO_V1(clara_unregister_eval_set);
}

using clara::pg::Registration;

// clara_register_eval_set(name, relation regclass, text_column name, n, source):
// every non-NULL value of the column, read as the caller.
extern "C" Datum clara_register_eval_set_relation(PG_FUNCTION_ARGS) {
    const char *name = clara::pg::name_arg(fcinfo, 0, "name");
    if (PG_ARGISNULL(1)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("relation must not be NULL")));
    const Oid relid = PG_GETARG_OID(1);
    if (PG_ARGISNULL(2))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("text_column must not be NULL")));
    const char *column = NameStr(*PG_GETARG_NAME(2));
    const uint32_t n = clara::pg::gram_length_arg(fcinfo, 3);
    const char *relname = get_rel_name(relid);
    if (relname == nullptr)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
    const char *qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), relname);
    if (get_attnum(relid, column) == InvalidAttrNumber)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                        errmsg("column \"%s\" of relation %s does not exist", column, qualified),
                        errhint("Name the column of evaluation texts: text_column => 'question'.")));
    const char *source = PG_NARGS() > 4 && !PG_ARGISNULL(4) ? text_to_cstring(PG_GETARG_TEXT_PP(4))
                                                            : psprintf("%s.%s", qualified, quote_identifier(column));

    MemoryContext outer = CurrentMemoryContext;
    int level = clara::pg::spi_connect();
    MemoryContext batch = AllocSetContextCreate(CurrentMemoryContext, "clara eval batch", ALLOCSET_DEFAULT_SIZES);
    auto *r = clara::pg::make_owned<Registration>(batch);
    r->schema = clara::pg::extension_schema();
    r->name = name;
    r->n = n;
    clara::pg::create_set(r, source);
    // Identifiers cannot be parameters: the relation comes from its OID and
    // the column is quoted, so no caller text reaches the SQL unquoted.
    char *sql = psprintf("SELECT %s::pg_catalog.text FROM %s WHERE %s IS NOT NULL", quote_identifier(column), qualified,
                         quote_identifier(column));
    Portal portal = SPI_cursor_open_with_args(nullptr, sql, 0, nullptr, nullptr, nullptr, true, 0);
    MemoryContext rows = AllocSetContextCreate(batch, "clara eval rows", ALLOCSET_DEFAULT_SIZES);
    for (;;) {
        SPI_cursor_fetch(portal, true, clara::pg::kRegisterBatch);
        const uint64 got = SPI_processed;
        if (got == 0) break;
        SPITupleTable *tt = SPI_tuptable;
        MemoryContext old = MemoryContextSwitchTo(rows);
        for (uint64 i = 0; i < got; i++) {
            bool isnull;
            Datum d = SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull);
            if (!isnull) clara::pg::add_text(r, DatumGetTextPP(d));
        }
        clara::pg::flush_grams(r);
        MemoryContextSwitchTo(old);
        MemoryContextReset(rows);
        SPI_freetuptable(tt);
        CHECK_FOR_INTERRUPTS();
    }
    SPI_cursor_close(portal);
    Datum description = clara::pg::finish_set(r);
    MemoryContext old = MemoryContextSwitchTo(outer);
    Datum result = DirectFunctionCall1(jsonb_in, CStringGetDatum(TextDatumGetCString(description)));
    MemoryContextSwitchTo(old);
    MemoryContextDelete(batch);
    clara::pg::spi_finish(level);
    PG_RETURN_DATUM(result);
}

// clara_register_eval_set(name, texts text[], n): texts given by the caller
// (clara-stream sends a file's texts through a temporary table instead).
extern "C" Datum clara_register_eval_set_texts(PG_FUNCTION_ARGS) {
    const char *name = clara::pg::name_arg(fcinfo, 0, "name");
    if (PG_ARGISNULL(1)) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("texts must not be NULL")));
    ArrayType *texts = PG_GETARG_ARRAYTYPE_P(1);
    const uint32_t n = clara::pg::gram_length_arg(fcinfo, 2);
    Datum *items;
    bool *nulls;
    int count;
    deconstruct_array(texts, TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &count);

    MemoryContext outer = CurrentMemoryContext;
    int level = clara::pg::spi_connect();
    MemoryContext batch = AllocSetContextCreate(CurrentMemoryContext, "clara eval batch", ALLOCSET_DEFAULT_SIZES);
    auto *r = clara::pg::make_owned<Registration>(batch);
    r->schema = clara::pg::extension_schema();
    r->name = name;
    r->n = n;
    clara::pg::create_set(r, psprintf("%d texts", count));
    MemoryContext rows = AllocSetContextCreate(batch, "clara eval rows", ALLOCSET_DEFAULT_SIZES);
    for (int i = 0; i < count; i++) {
        MemoryContext old = MemoryContextSwitchTo(rows);
        if (!nulls[i]) clara::pg::add_text(r, DatumGetTextPP(items[i]));
        if ((i + 1) % clara::pg::kRegisterBatch == 0 || i + 1 == count) {
            clara::pg::flush_grams(r);
            MemoryContextSwitchTo(old);
            MemoryContextReset(rows);
            CHECK_FOR_INTERRUPTS();
        } else {
            MemoryContextSwitchTo(old);
        }
    }
    Datum description = clara::pg::finish_set(r);
    MemoryContext old = MemoryContextSwitchTo(outer);
    Datum result = DirectFunctionCall1(jsonb_in, CStringGetDatum(TextDatumGetCString(description)));
    MemoryContextSwitchTo(old);
    MemoryContextDelete(batch);
    clara::pg::spi_finish(level);
    PG_RETURN_DATUM(result);
}

// clara_unregister_eval_set(name): true when a set was dropped. Only the
// role that registered it (or a superuser) may.
extern "C" Datum clara_unregister_eval_set(PG_FUNCTION_ARGS) {
    const char *name = clara::pg::name_arg(fcinfo, 0, "name");
    const char *caller = GetUserNameFromId(GetUserId(), false);
    const bool is_superuser = superuser();
    const char *schema = clara::pg::extension_schema();
    int level = clara::pg::spi_connect();
    clara::pg::SavedUser saved = clara::pg::as_index_owner();
    Oid types[1] = {TEXTOID};
    Datum args[1] = {CStringGetTextDatum(name)};
    char *sql = psprintf("SELECT registered_by::text FROM %s.clara_eval_sets WHERE name = $1 FOR UPDATE", schema);
    if (SPI_execute_with_args(sql, 1, types, args, nullptr, false, 1) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not read clara_eval_sets");
    bool deleted = false;
    if (SPI_processed == 1) {
        const char *owner = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        if (!is_superuser && strcmp(owner, caller) != 0)
            ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                            errmsg("evaluation set \"%s\" was registered by %s", name, owner),
                            errhint("Only that role or a superuser may drop it.")));
        // The grams go with the set (ON DELETE CASCADE).
        char *del = psprintf("DELETE FROM %s.clara_eval_sets WHERE name = $1", schema);
        if (SPI_execute_with_args(del, 1, types, args, nullptr, false, 0) != SPI_OK_DELETE)
            elog(ERROR, "clara: could not write clara_eval_sets");
        deleted = SPI_processed > 0;
    }
    clara::pg::restore_user(saved);
    clara::pg::spi_finish(level);
    PG_RETURN_BOOL(deleted);
}
