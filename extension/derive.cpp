// BEFORE INSERT OR UPDATE row trigger on clara_documents: computes the
// derived columns (doc_key, tsv, term_tfs, doc_length, quality_score,
// quality_signals, content_hash) so that loading a row is all it takes.
#include "catalog.hpp"
#include "dedup.hpp"
#include "pg.hpp"
#include "quality.hpp"
#include "terms.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "utils/rel.h"
}

#include <string>

namespace {

// Column positions in clara_documents, looked up by name for each row.
struct DocumentColumns {
    int title, content, domain, document_type, source, created_at, metadata;
    int doc_key, tsv, term_tfs, doc_length, quality_score, quality_signals, content_hash, dedup;
};

int column(TupleDesc desc, const char *name) {
    int attnum = SPI_fnumber(desc, name);
    if (attnum <= 0)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("clara_documents has no column \"%s\"", name),
                        errhint("Reinstall the clara extension.")));
    return attnum;
}

DocumentColumns document_columns(TupleDesc desc) {
    return DocumentColumns{column(desc, "title"), column(desc, "content"), column(desc, "domain"),
                           column(desc, "document_type"), column(desc, "source"), column(desc, "created_at"),
                           column(desc, "metadata"), column(desc, "doc_key"), column(desc, "tsv"),
                           column(desc, "term_tfs"), column(desc, "doc_length"), column(desc, "quality_score"),
                           column(desc, "quality_signals"), column(desc, "content_hash"),
                           // 0.5.0's column: a database not yet updated
                           // (ALTER EXTENSION clara UPDATE) has none.
                           SPI_fnumber(desc, "dedup")};
}

// A text column's bytes (detoasted), or len -1 when NULL.
struct TextValue {
    const char *data = nullptr;
    int len = -1;
};

TextValue text_value(HeapTuple tuple, TupleDesc desc, int attnum) {
    bool isnull;
    Datum d = heap_getattr(tuple, attnum, desc, &isnull);
    TextValue v;
    if (isnull) return v;
    text *t = DatumGetTextPP(d);
    v.data = VARDATA_ANY(t);
    v.len = VARSIZE_ANY_EXHDR(t);
    return v;
}

bool same_text(TextValue a, TextValue b) {
    return a.len == b.len && (a.len <= 0 || memcmp(a.data, b.data, a.len) == 0);
}

bool present(TextValue v) { return v.len > 0; }

Datum sha256(TextValue v) {
    pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
    auto *out = static_cast<bytea *>(palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH));
    SET_VARSIZE(out, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
    if (pg_cryptohash_init(ctx) < 0 ||
        pg_cryptohash_update(ctx, reinterpret_cast<const uint8 *>(v.data), Max(v.len, 0)) < 0 ||
        pg_cryptohash_final(ctx, reinterpret_cast<uint8 *>(VARDATA(out)), PG_SHA256_DIGEST_LENGTH) < 0)
        elog(ERROR, "clara: could not compute SHA-256: %s", pg_cryptohash_error(ctx));
    pg_cryptohash_free(ctx);
    return PointerGetDatum(out);
}

// The duplicate signature of a text (dedup.hpp), palloc'd.
Datum dedup_signature(TextValue v) {
    auto *out = static_cast<bytea *>(palloc(VARHDRSZ + clara::kDedupBytes));
    SET_VARSIZE(out, VARHDRSZ + clara::kDedupBytes);
    clara::pg::run_cpp("computing a duplicate signature", [&] {
        thread_local std::string bytes;
        bytes.clear();
        clara::encode_signature(clara::dedup_signature(std::string_view(v.data, Max(v.len, 0))), bytes);
        memcpy(VARDATA(out), bytes.data(), bytes.size());
    });
    return PointerGetDatum(out);
}

// The quality signals JSON of the current row; a backend-lifetime buffer so
// that an error while it is in use leaks nothing.
std::string g_signals_json;

Oid doc_key_sequence(Relation rel) {
    Oid seq = get_relname_relid("clara_doc_key_seq", RelationGetNamespace(rel));
    if (!OidIsValid(seq))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("sequence clara_doc_key_seq does not exist"),
                        errhint("Reinstall the clara extension.")));
    return seq;
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(clara_documents_derive);
}

extern "C" Datum clara_documents_derive(PG_FUNCTION_ARGS) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("clara_documents_derive must be called as a trigger")));
    auto *trig = reinterpret_cast<TriggerData *>(fcinfo->context);
    if (!TRIGGER_FIRED_BEFORE(trig->tg_event) || !TRIGGER_FIRED_FOR_ROW(trig->tg_event))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("clara_documents_derive must be a BEFORE ROW trigger")));

    bool is_update = TRIGGER_FIRED_BY_UPDATE(trig->tg_event);
    Relation rel = trig->tg_relation;
    TupleDesc desc = RelationGetDescr(rel);
    DocumentColumns col = document_columns(desc);
    HeapTuple tuple = is_update ? trig->tg_newtuple : trig->tg_trigtuple;
    HeapTuple old_tuple = is_update ? trig->tg_trigtuple : nullptr;

    TextValue title = text_value(tuple, desc, col.title);
    TextValue content = text_value(tuple, desc, col.content);
    if (content.len < 0)
        ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION), errmsg("clara document content must not be null")));

    // Terms and keys change only with the text: an update of metadata keeps
    // the document's postings (and its doc_key) as they are.
    bool text_changed = true;
    if (is_update)
        text_changed = !same_text(title, text_value(old_tuple, desc, col.title)) ||
                       !same_text(content, text_value(old_tuple, desc, col.content));

    int replace_cols[9];
    Datum replace_vals[9];
    bool replace_nulls[9] = {false, false, false, false, false, false, false, false, false};
    int n = 0;

    if (text_changed) {
        clara::pg::AnalyzedText a = clara::pg::analyze_document(title.data, Max(title.len, 0), content.data,
                                                                content.len);
        replace_cols[n] = col.doc_key;
        replace_vals[n++] = Int32GetDatum(static_cast<int32>(nextval_internal(doc_key_sequence(rel), false)));
        replace_cols[n] = col.tsv;
        replace_vals[n++] = PointerGetDatum(a.tsv);
        replace_cols[n] = col.term_tfs;
        replace_vals[n++] = a.term_tfs;
        replace_cols[n] = col.doc_length;
        replace_vals[n++] = Int32GetDatum(a.doc_length);
        replace_cols[n] = col.content_hash;
        replace_vals[n++] = sha256(content);
    } else {
        // Derived columns are not the caller's to change.
        const int kept[] = {col.doc_key, col.tsv, col.term_tfs, col.doc_length, col.content_hash};
        for (int attnum : kept) {
            bool isnull;
            replace_cols[n] = attnum;
            replace_vals[n] = heap_getattr(old_tuple, attnum, desc, &isnull);
            replace_nulls[n++] = isnull;
        }
    }

    // The duplicate signature follows the content; a row stored before the
    // column existed gets one at its next update.
    if (col.dedup > 0) {
        bool old_dedup_null = true;
        Datum old_dedup = is_update ? heap_getattr(old_tuple, col.dedup, desc, &old_dedup_null) : 0;
        replace_cols[n] = col.dedup;
        replace_vals[n++] = text_changed || old_dedup_null ? dedup_signature(content) : old_dedup;
    }

    bool created_null;
    heap_getattr(tuple, col.created_at, desc, &created_null);
    clara::QualityInput in;
    in.title = std::string_view(title.data ? title.data : "", Max(title.len, 0));
    in.content = std::string_view(content.data, content.len);
    in.metadata_fields_present = present(title) + present(text_value(tuple, desc, col.domain)) +
                                 present(text_value(tuple, desc, col.document_type)) +
                                 present(text_value(tuple, desc, col.source)) + !created_null;
    double score = 0.0;
    clara::pg::run_cpp("quality scoring", [&] {
        clara::QualitySignals s = clara::assess_quality(in);
        score = s.score;
        g_signals_json.clear();
        clara::append_quality_signals_json(g_signals_json, s);
    });
    replace_cols[n] = col.quality_score;
    replace_vals[n++] = Float8GetDatum(score);
    replace_cols[n] = col.quality_signals;
    replace_vals[n++] = DirectFunctionCall1(jsonb_in, CStringGetDatum(g_signals_json.c_str()));

    HeapTuple result = heap_modify_tuple_by_cols(tuple, desc, n, replace_cols, replace_vals, replace_nulls);
    return PointerGetDatum(result);
}
