// The BM25 index: AFTER ... FOR EACH STATEMENT triggers on clara_documents
// turn the statement's transition tables into postings blocks, document
// frequency deltas and corpus statistics, once per statement (so concurrent
// loaders do not serialise on a row per document). clara_compact() rebuilds
// the postings from the live documents. The same statements keep the
// character 4-gram postings of each document's lead in clara_gram_postings
// (vector.hpp). A statement that adds at most clara.pending_max_docs
// documents writes one clara_pending row per document instead (like GIN's
// fastupdate); the statement that fills the list past
// clara.pending_list_limit indexes it all (pending.hpp).
#include "bm25.hpp"
#include "catalog.hpp"
#include "flush_worker.hpp"
#include "guc.hpp"
#include "merge.hpp"
#include "pending.hpp"
#include "pending_row.hpp"
#include "pg.hpp"
#include "plans.hpp"
#include "vector.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "storage/lmgr.h"
#include "tsearch/ts_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
}

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>
#include <algorithm>

namespace {

struct TermDelta {
    std::string block;   // packed clara::Posting entries to insert
    int32_t df = 0;      // change in document frequency
    int32_t blocks = 0;  // blocks written, not yet counted in clara_terms.blocks
};

struct IndexDelta {
    std::unordered_map<std::string, TermDelta> terms;
    clara::GramPostingsBuilder grams;
    std::vector<clara::GramBlock> gram_blocks;  // scratch: one flush's blocks
    bool merge_grams = false;                   // clara_compact(): merges the grams at its end
    // The terms in byte order: concurrent loaders lock clara_terms rows in
    // the same order, so their upserts queue instead of deadlocking.
    std::vector<std::pair<const std::string *, TermDelta *>> sorted;
    std::unordered_set<uint32_t> old_keys;
    std::unordered_set<uint32_t> new_keys;
    std::vector<clara::GramCount> doc_grams;  // scratch: one document's grams
    std::string key;                          // scratch: one term
    struct MergeScratch {
        std::vector<ItemPointerData> rows;        // the blocks chosen to merge
        std::vector<ItemPointerData> group_rows;  // one key's blocks and sizes
        std::vector<uint64_t> group_sizes;
        std::string group_key;
        std::vector<std::string> group_blocks;  // one key's chosen blocks, read back
        std::vector<std::string_view> views;
        std::vector<std::string> merged;
        // The merged blocks to insert and, per key, blocks removed in all.
        std::vector<std::string> out_keys, out_blocks, count_keys;
        std::vector<int32_t> out_counts, removed;
        size_t out_bytes = 0;
    } merge;
    size_t pending_postings = 0;        // word postings not yet written
    MemoryContext flush_cxt = nullptr;  // one flush's pallocs, reset after it
    bool defer_df = true;               // document frequencies only at the last flush (see flush_in)
    bool count_blocks = true;           // clara_terms has its blocks column (not while updating from 0.4.0)

    int64_t n_docs = 0;
    int64_t total_length = 0;
    int64_t gram_length = 0;
    int64_t dead_postings = 0;
    int64_t pending_bytes = 0;  // change in clara_corpus.pending_bytes
    bool has_pending = false;   // clara_pending and clara_corpus.pending_bytes exist
};

// Attribute numbers of the columns the index reads.
struct IndexColumns {
    int doc_key, tsv, term_tfs, doc_length, title, content;
};

IndexColumns index_columns(TupleDesc desc) {
    return IndexColumns{SPI_fnumber(desc, "doc_key"),    SPI_fnumber(desc, "tsv"),   SPI_fnumber(desc, "term_tfs"),
                        SPI_fnumber(desc, "doc_length"), SPI_fnumber(desc, "title"), SPI_fnumber(desc, "content")};
}

// One document as stored: its key, length, lexemes and their frequencies.
struct StoredDocument {
    uint32_t doc_key;
    int32 doc_length;
    TSVector tsv;
    int32 *tfs;
    int ntfs;
    std::string_view title, content;  // read only for documents being added
};

std::string_view text_view(TupleTableSlot *slot, int attnum) {
    bool isnull;
    Datum d = slot_getattr(slot, attnum, &isnull);
    if (isnull) return {};
    text *t = DatumGetTextPP(d);
    return std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

bool read_document(TupleTableSlot *slot, const IndexColumns &col, StoredDocument *doc, bool with_text) {
    bool null_key, null_len, null_tsv, null_tfs;
    Datum key = slot_getattr(slot, col.doc_key, &null_key);
    Datum len = slot_getattr(slot, col.doc_length, &null_len);
    Datum tsv = slot_getattr(slot, col.tsv, &null_tsv);
    Datum tfs = slot_getattr(slot, col.term_tfs, &null_tfs);
    if (null_key || null_len || null_tsv || null_tfs) return false;
    doc->doc_key = static_cast<uint32_t>(DatumGetInt32(key));
    doc->doc_length = DatumGetInt32(len);
    doc->tsv = DatumGetTSVector(tsv);
    ArrayType *arr = DatumGetArrayTypeP(tfs);
    doc->tfs = reinterpret_cast<int32 *>(ARR_DATA_PTR(arr));
    doc->ntfs = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
    if (with_text) {
        doc->title = text_view(slot, col.title);
        doc->content = text_view(slot, col.content);
    }
    if (doc->ntfs != doc->tsv->size || ARR_HASNULL(arr))
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("clara document %u has %d term frequencies for %d lexemes", doc->doc_key, doc->ntfs,
                               doc->tsv->size),
                        errhint("Update the document's content to recompute its derived columns.")));
    return true;
}

// How often a lexeme occurs in the title: its positions of weight A (the
// title's come first, so tsvector's cap of 256 positions never drops them).
uint32_t title_frequency(WordEntry *entry, TSVector tsv) {
    if (!entry->haspos) return 0;
    WordEntryPos *pos = POSDATAPTR(tsv, entry);
    const int npos = POSDATALEN(tsv, entry);
    uint32_t n = 0;
    for (int i = 0; i < npos; i++) n += WEP_GETWEIGHT(pos[i]) == 3;
    return n;
}

// Adds (sign +1) or removes (sign -1) a document's contribution.
void account_document(IndexDelta *delta, const StoredDocument &doc, int sign) {
    WordEntry *entries = ARRPTR(doc.tsv);
    char *strings = STRPTR(doc.tsv);
    clara::pg::run_cpp("indexing a document", [&] {
        for (int i = 0; i < doc.tsv->size; i++) {
            // One reused key buffer: a term already in the map costs no allocation.
            delta->key.assign(strings + entries[i].pos, entries[i].len);
            auto it = delta->terms.find(delta->key);
            if (it == delta->terms.end()) it = delta->terms.emplace(delta->key, TermDelta{}).first;
            TermDelta &t = it->second;
            t.df += sign;
            if (sign > 0)
                clara::append_posting(t.block, clara::Posting{doc.doc_key, static_cast<uint32_t>(doc.tfs[i]),
                                                              static_cast<uint32_t>(doc.doc_length),
                                                              title_frequency(&entries[i], doc.tsv)});
        }
        // The lead's grams: postings for a new document; for a removed one
        // only its length leaves the statistics (its postings stay until
        // clara_compact(), like the word postings).
        uint32_t length = clara::pg::gram_extractor().document(doc.title, doc.content, delta->doc_grams);
        delta->gram_length += sign * static_cast<int64_t>(clara::gram_stored_length(length));
        if (sign > 0) {
            delta->grams.add_document(doc.doc_key, length, delta->doc_grams);
            delta->pending_postings += doc.tsv->size;
        } else {
            delta->dead_postings += doc.tsv->size + delta->doc_grams.size();
        }
    });
    delta->n_docs += sign;
    delta->total_length += sign * static_cast<int64_t>(doc.doc_length);
}

// ---- the index's statements, planned once per backend (plans.hpp) ---------
// Statements whose arguments are whole arrays run as generic plans: the
// arrays stay parameters read at execution, instead of being copied into a
// custom plan as constants.
using clara::pg::KeptPlan;
KeptPlan g_insert_postings, g_insert_gram_postings, g_count_terms, g_count_terms_without_blocks, g_update_corpus;

// Appends word postings blocks: $1 terms, $2 blocks.
void insert_postings(const char *schema, Datum *args, const char *what) {
    Oid types[2] = {TEXTARRAYOID, BYTEAARRAYOID};
    SPIPlanPtr plan = clara::pg::kept_plan(&g_insert_postings, schema, 2, types, CURSOR_OPT_GENERIC_PLAN, [&] {
        return psprintf(
            "INSERT INTO %s.clara_postings (term, postings) "
            "SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))",
            schema);
    });
    clara::pg::execute_kept(plan, args, SPI_OK_INSERT, what);
}

// Appends gram postings blocks: $1 grams, $2 postings per block, $3 blocks.
void insert_gram_postings(const char *schema, Datum *args, const char *what) {
    Oid types[3] = {INT4ARRAYOID, INT4ARRAYOID, BYTEAARRAYOID};
    SPIPlanPtr plan = clara::pg::kept_plan(&g_insert_gram_postings, schema, 3, types, CURSOR_OPT_GENERIC_PLAN, [&] {
        return psprintf(
            "INSERT INTO %s.clara_gram_postings (gram, documents, postings) "
            "SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3))",
            schema);
    });
    clara::pg::execute_kept(plan, args, SPI_OK_INSERT, what);
}

// Writes the pending gram postings: one block per gram (more where keys did
// not ascend), appended; nothing is updated, so concurrent loaders never wait
// for each other here.
void flush_grams(IndexDelta *delta, const char *schema) {
    // In gram order: the index on gram is then filled left to right, not at
    // random pages.
    clara::pg::run_cpp("flushing the index", [&] { delta->grams.take_blocks(delta->gram_blocks); });
    int n = static_cast<int>(delta->gram_blocks.size());
    if (n == 0) return;
    const std::vector<clara::GramBlock> &blocks = delta->gram_blocks;
    auto *grams = static_cast<Datum *>(palloc(sizeof(Datum) * n));
    auto *counts = static_cast<Datum *>(palloc(sizeof(Datum) * n));
    for (int i = 0; i < n; i++) {
        uint32_t count = 0;
        const auto *bytes = reinterpret_cast<const unsigned char *>(blocks[i].bytes.data());
        if (!clara::gram_block_count(bytes, blocks[i].bytes.size(), &count)) elog(ERROR, "clara: malformed gram block");
        grams[i] = Int32GetDatum(static_cast<int32>(blocks[i].gram));
        counts[i] = Int32GetDatum(static_cast<int32>(count));
    }
    clara::pg::run_cpp("flushing the index", [&] {});
    Datum args[3] = {clara::pg::int4_array(grams, n), clara::pg::int4_array(counts, n),
                     clara::pg::varlena_array(BYTEAOID, n, [&](int i) { return std::string_view(blocks[i].bytes); })};
    clara::pg::run_cpp("flushing the index", [&] { delta->gram_blocks.clear(); });
    insert_gram_postings(schema, args, "write gram postings");
    pfree(grams);
    pfree(counts);
    for (Datum a : args) pfree(DatumGetPointer(a));
}

// ---- merging on write (core/merge.hpp) ------------------------------------
// The statements of merge_blocks() for one table (plans.hpp).
struct MergePlans {
    KeptPlan sizes, read, remove, count;
};
MergePlans g_word_merge, g_gram_merge;

// One postings table whose blocks are merged: the table, its key column,
// the table counting each key's blocks and the statements reading them.
struct MergeTable {
    const char *postings;
    const char *key;
    const char *counters;  // nullptr: blocks are counted when needed
    bool grams;            // gram blocks (ngram.hpp), else concatenated word postings
    MergePlans *plans;
    Oid keys_type;  // an array of the key column's type
};
const MergeTable kWordTable{"clara_postings", "term", "clara_terms", false, &g_word_merge, TEXTARRAYOID};
const MergeTable kGramTable{"clara_gram_postings", "gram", nullptr, true, &g_gram_merge, INT4ARRAYOID};

// A key is merged once it has this many blocks (never with the setting 0;
// fewer than two blocks cannot merge).
int merge_threshold() {
    const int blocks = clara::pg::index_merge_blocks();
    return blocks == 0 ? INT_MAX : Max(blocks, 2);
}

// Merged blocks are written once this many bytes wait.
constexpr size_t kMergeWriteBytes = size_t(16) << 20;

// Inserts the merged blocks waiting in delta->merge.
void write_merged(IndexDelta *delta, const MergeTable &t, const char *schema) {
    IndexDelta::MergeScratch &m = delta->merge;
    const int n = static_cast<int>(m.out_blocks.size());
    if (n == 0) return;
    Datum blocks = clara::pg::varlena_array(BYTEAOID, n, [&](int i) { return std::string_view(m.out_blocks[i]); });
    if (t.grams) {
        auto *grams = static_cast<Datum *>(palloc(sizeof(Datum) * n));
        auto *counts = static_cast<Datum *>(palloc(sizeof(Datum) * n));
        for (int i = 0; i < n; i++) {
            grams[i] = Int32GetDatum(pg_strtoint32(m.out_keys[i].c_str()));
            counts[i] = Int32GetDatum(m.out_counts[i]);
        }
        Datum args[3] = {clara::pg::int4_array(grams, n), clara::pg::int4_array(counts, n), blocks};
        insert_gram_postings(schema, args, "write merged gram postings");
    } else {
        Datum args[2] = {clara::pg::varlena_array(TEXTOID, n, [&](int i) { return std::string_view(m.out_keys[i]); }),
                         blocks};
        insert_postings(schema, args, "write merged postings");
    }
    clara::pg::run_cpp("merging postings", [&] {
        m.out_keys.clear();
        m.out_blocks.clear();
        m.out_counts.clear();
        m.out_bytes = 0;
    });
}

// Merges the blocks read back for one key (m.group_key, m.group_blocks)
// into the blocks to write.
void merge_group(IndexDelta *delta, const MergeTable &t) {
    IndexDelta::MergeScratch &m = delta->merge;
    bool ok = true;
    clara::pg::run_cpp("merging postings", [&] {
        if (m.group_blocks.empty()) return;
        m.merged.clear();
        if (t.grams) {
            m.views.assign(m.group_blocks.begin(), m.group_blocks.end());
            ok = clara::merge_gram_blocks(m.views, m.merged);
        } else {
            std::string all;
            for (const std::string &b : m.group_blocks)
                all += b;  // fixed-size postings: a block is their concatenation
            m.merged.push_back(std::move(all));
        }
        if (!ok) return;
        for (std::string &b : m.merged) {
            uint32_t count = 0;
            if (t.grams) clara::gram_block_count(reinterpret_cast<const unsigned char *>(b.data()), b.size(), &count);
            m.out_bytes += b.size();
            m.out_keys.push_back(m.group_key);
            m.out_counts.push_back(static_cast<int32_t>(count));
            m.out_blocks.push_back(std::move(b));
        }
        m.count_keys.push_back(m.group_key);
        m.removed.push_back(static_cast<int32_t>(m.group_blocks.size() - m.merged.size()));
        m.group_blocks.clear();
    });
    if (!ok)
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("clara_gram_postings holds a malformed block (gram %s)", m.group_key.c_str()),
                        errhint("Run clara_compact() to rebuild the index.")));
}

// The keys (an array of the key column's type) reached the merge threshold
// in this statement, which holds their counter rows locked (its upsert):
// no other statement merges them now. Chooses blocks by size
// (clara::blocks_to_merge), reads them back key by key, writes each key's
// merged block, deletes the merged ones and lowers the counters. Memory:
// one key's chosen blocks and kMergeWriteBytes of merged ones.
void merge_blocks(IndexDelta *delta, const MergeTable &t, const char *schema, Datum keys) {
    IndexDelta::MergeScratch &m = delta->merge;
    clara::pg::run_cpp("merging postings", [&] {
        m.rows.clear();
        m.count_keys.clear();
        m.removed.clear();
    });
    Oid keys_type = t.keys_type;
    SPIPlanPtr sizes = clara::pg::kept_plan(&t.plans->sizes, schema, 1, &keys_type, 0, [&] {
        return psprintf(
            "SELECT %2$s, ctid, pg_catalog.octet_length(postings) FROM %1$s.%3$s "
            "WHERE %2$s = ANY($1) ORDER BY %2$s, ctid",
            schema, t.key, t.postings);
    });
    clara::pg::execute_kept(sizes, &keys, SPI_OK_SELECT, "read the blocks to merge");
    SPITupleTable *found = SPI_tuptable;
    auto choose = [&] {
        clara::pg::run_cpp("merging postings", [&] {
            for (size_t i : clara::blocks_to_merge(m.group_sizes)) m.rows.push_back(m.group_rows[i]);
            m.group_rows.clear();
            m.group_sizes.clear();
        });
    };
    for (uint64 r = 0; r < SPI_processed; r++) {
        char *key = SPI_getvalue(found->vals[r], found->tupdesc, 1);
        bool null_tid, null_size;
        auto *tid = reinterpret_cast<ItemPointer>(
            DatumGetPointer(SPI_getbinval(found->vals[r], found->tupdesc, 2, &null_tid)));
        int32 size = DatumGetInt32(SPI_getbinval(found->vals[r], found->tupdesc, 3, &null_size));
        if (key == nullptr || null_tid || null_size) elog(ERROR, "clara: unexpected NULL in the index");
        if (r > 0 && m.group_key != key) choose();
        clara::pg::run_cpp("merging postings", [&] {
            m.group_key = key;
            m.group_rows.push_back(*tid);
            m.group_sizes.push_back(static_cast<uint64_t>(size));
        });
        pfree(key);
    }
    choose();
    SPI_freetuptable(found);
    const int nrows = static_cast<int>(m.rows.size());
    if (nrows == 0) return;

    auto *tids = static_cast<Datum *>(palloc(sizeof(Datum) * nrows));
    for (int i = 0; i < nrows; i++) tids[i] = PointerGetDatum(&m.rows[i]);
    Datum rows = PointerGetDatum(construct_array(tids, nrows, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
    Oid rows_type = TIDARRAYOID;

    // Read back key by key (a key's blocks follow each other).
    SPIPlanPtr read = clara::pg::kept_plan(&t.plans->read, schema, 1, &rows_type, 0, [&] {
        return psprintf("SELECT %2$s, postings FROM %1$s.%3$s WHERE ctid = ANY($1) ORDER BY %2$s", schema, t.key,
                        t.postings);
    });
    Portal portal = SPI_cursor_open(nullptr, read, &rows, nullptr, false);
    bool first = true;
    for (;;) {
        SPI_cursor_fetch(portal, true, 64);
        SPITupleTable *batch = SPI_tuptable;
        const uint64 n = SPI_processed;
        if (n == 0) break;
        for (uint64 r = 0; r < n; r++) {
            CHECK_FOR_INTERRUPTS();
            char *key = SPI_getvalue(batch->vals[r], batch->tupdesc, 1);
            bool isnull;
            Datum stored = SPI_getbinval(batch->vals[r], batch->tupdesc, 2, &isnull);
            if (key == nullptr || isnull) elog(ERROR, "clara: unexpected NULL in the index");
            bytea *block = DatumGetByteaPP(stored);
            if (!first && m.group_key != key) {
                merge_group(delta, t);
                if (m.out_bytes >= kMergeWriteBytes) write_merged(delta, t, schema);
            }
            first = false;
            clara::pg::run_cpp("merging postings", [&] {
                m.group_key = key;
                m.group_blocks.emplace_back(VARDATA_ANY(block), VARSIZE_ANY_EXHDR(block));
            });
            if (PointerGetDatum(block) != stored) pfree(block);  // detoasted: copied above
            pfree(key);
        }
        SPI_freetuptable(batch);
    }
    SPI_cursor_close(portal);
    merge_group(delta, t);
    write_merged(delta, t, schema);

    SPIPlanPtr remove = clara::pg::kept_plan(&t.plans->remove, schema, 1, &rows_type, 0, [&] {
        return psprintf("DELETE FROM %s.%s WHERE ctid = ANY($1)", schema, t.postings);
    });
    if (SPI_execute_plan(remove, &rows, nullptr, false, 0) != SPI_OK_DELETE ||
        SPI_processed != static_cast<uint64>(nrows))
        ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                        errmsg("clara: %s changed while its blocks were merged", t.postings),
                        errhint("Retry the statement.")));

    if (t.counters == nullptr) return;
    const int nkeys = static_cast<int>(m.count_keys.size());
    auto *removed = static_cast<Datum *>(palloc(sizeof(Datum) * Max(nkeys, 1)));
    for (int i = 0; i < nkeys; i++) removed[i] = Int32GetDatum(m.removed[i]);
    Datum key_array;
    Oid types[2] = {t.grams ? Oid(INT4ARRAYOID) : Oid(TEXTARRAYOID), INT4ARRAYOID};
    if (t.grams) {
        auto *grams = static_cast<Datum *>(palloc(sizeof(Datum) * Max(nkeys, 1)));
        for (int i = 0; i < nkeys; i++) grams[i] = Int32GetDatum(pg_strtoint32(m.count_keys[i].c_str()));
        key_array = clara::pg::int4_array(grams, nkeys);
    } else {
        key_array = clara::pg::varlena_array(TEXTOID, nkeys, [&](int i) { return std::string_view(m.count_keys[i]); });
    }
    Datum args[2] = {key_array, clara::pg::int4_array(removed, nkeys)};
    SPIPlanPtr count = clara::pg::kept_plan(&t.plans->count, schema, 2, types, CURSOR_OPT_GENERIC_PLAN, [&] {
        return psprintf(
            "UPDATE %1$s.%2$s AS c SET blocks = c.blocks - d.n "
            "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS d (k, n) "
            "WHERE c.%3$s = d.k",
            schema, t.counters, t.key);
    });
    clara::pg::execute_kept(count, args, SPI_OK_UPDATE, "count merged blocks");
}

// Runs a query that returns the keys to merge (one column; for the terms
// the upsert of their counters), and merges them.
void count_and_merge(IndexDelta *delta, const MergeTable &t, const char *schema, SPIPlanPtr due_keys, Datum *args) {
    clara::pg::execute_kept(due_keys, args, SPI_OK_SELECT, "count postings blocks");
    const uint64 n = SPI_processed;
    if (n == 0) return;
    SPITupleTable *due = SPI_tuptable;
    auto *keys = static_cast<Datum *>(palloc(sizeof(Datum) * n));
    for (uint64 i = 0; i < n; i++) {
        bool isnull;
        keys[i] = SPI_getbinval(due->vals[i], due->tupdesc, 1, &isnull);
        if (!t.grams) keys[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(keys[i]));
    }
    SPI_freetuptable(due);
    // In slices, so the chosen blocks' row ids stay few (a compaction may
    // merge most grams).
    constexpr uint64 kSlice = 8192;
    for (uint64 from = 0; from < n; from += kSlice) {
        const int len = static_cast<int>(Min(kSlice, n - from));
        Datum array = t.grams ? clara::pg::int4_array(keys + from, len)
                              : PointerGetDatum(construct_array(keys + from, len, TEXTOID, -1, false, TYPALIGN_INT));
        merge_blocks(delta, t, schema, array);
        pfree(DatumGetPointer(array));
    }
}

// At the end of clara_compact() (which holds clara_documents in SHARE mode,
// so nobody else writes): the grams with clara.index_merge_blocks blocks or
// more (it writes one per gram per flush: about 60 at 1M documents) are
// merged, found with one scan of clara_gram_postings (no block is read).
// Writing statements do not merge grams: a document writes about 380 gram
// blocks (3.4 times its terms), and counting them per statement, by an
// upsert like clara_terms.blocks or by a count over a quarter of them,
// doubled the cost of a single-row INSERT (README, Maintenance).
KeptPlan g_grams_due;
void merge_all_grams(IndexDelta *delta, const char *schema) {
    Oid type = INT4OID;
    Datum arg = Int32GetDatum(merge_threshold());
    SPIPlanPtr due = clara::pg::kept_plan(&g_grams_due, schema, 1, &type, CURSOR_OPT_GENERIC_PLAN, [&] {
        return psprintf("SELECT gram FROM %s.clara_gram_postings GROUP BY gram HAVING count(*) >= $1", schema);
    });
    count_and_merge(delta, kGramTable, schema, due, &arg);
}

// Writes the pending postings and df deltas, and with last set the corpus
// statistics (once per statement: the single clara_corpus row is the last
// lock a loading statement takes). SPI must be connected.
void flush_in(IndexDelta *delta, const char *schema, bool last);
void update_corpus_pending(IndexDelta *delta, const char *schema);
bool flush_due(const IndexDelta *delta);

constexpr size_t kMaxDeferredTerms = size_t(1) << 20;

// Everything a flush pallocs (statements, arrays) goes into one context,
// reset when it ends: after SPI_connect the current context is SPI's
// procedure context, which would keep it all until SPI_finish, so a long
// load or a compaction would grow with every flush.
void flush(IndexDelta *delta, const char *schema, bool last) {
    MemoryContext old = MemoryContextSwitchTo(delta->flush_cxt);
    flush_in(delta, schema, last);
    MemoryContextSwitchTo(old);
    MemoryContextReset(delta->flush_cxt);
}

void flush_in(IndexDelta *delta, const char *schema, bool last) {
    int nterms = static_cast<int>(delta->terms.size());
    // Indexes into delta->sorted: the terms with postings, those whose df changes.
    auto *with_block = static_cast<int *>(palloc(sizeof(int) * Max(nterms, 1)));
    auto *with_df = static_cast<int *>(palloc(sizeof(int) * Max(nterms, 1)));
    auto *dfs = static_cast<Datum *>(palloc(sizeof(Datum) * Max(nterms, 1)));
    auto *block_counts = static_cast<Datum *>(palloc(sizeof(Datum) * Max(nterms, 1)));
    int nblocks = 0, ndfs = 0;
    clara::pg::run_cpp("flushing the index", [&] {
        delta->sorted.clear();
        for (auto &kv : delta->terms) delta->sorted.emplace_back(&kv.first, &kv.second);
        std::sort(delta->sorted.begin(), delta->sorted.end(),
                  [](const auto &a, const auto &b) { return *a.first < *b.first; });
    });
    // Postings are appended (no row is updated, nobody waits on them) at
    // every flush. Document frequencies are upserts that lock their
    // clara_terms rows until commit: they are all written by the
    // statement's last flush, in one pass in term order, so two concurrent
    // statements lock terms in the same order and queue instead of
    // deadlocking (a statement that flushed several times took its terms
    // in several sorted passes, and two such statements could each hold
    // what the other waited for). The df map holds one entry per distinct
    // term of the statement, not its postings; past kMaxDeferredTerms of
    // them it is written anyway (a statement that large is a bulk load).
    // clara_compact() needs no deferring: it holds clara_documents in
    // SHARE mode, so no writer runs beside it.
    const bool write_df = last || !delta->defer_df || delta->terms.size() > kMaxDeferredTerms;
    // Each term's new blocks are counted with its df (clara_terms.blocks).
    for (int i = 0; i < nterms; i++) {
        TermDelta &t = *delta->sorted[i].second;
        if (!t.block.empty()) {
            with_block[nblocks++] = i;
            t.blocks++;
        }
        if (write_df && (t.df != 0 || t.blocks != 0)) {
            dfs[ndfs] = Int32GetDatum(t.df);
            block_counts[ndfs] = Int32GetDatum(t.blocks);
            with_df[ndfs++] = i;
        }
    }
    auto term = [&](const int *which) {
        return [delta, which](int i) { return std::string_view(*delta->sorted[which[i]].first); };
    };

    if (nblocks > 0) {
        Datum args[2] = {clara::pg::varlena_array(TEXTOID, nblocks, term(with_block)),
                         clara::pg::varlena_array(BYTEAOID, nblocks, [&](int i) {
                             return std::string_view(delta->sorted[with_block[i]].second->block);
                         })};
        insert_postings(schema, args, "write postings");
        pfree(DatumGetPointer(args[0]));
        pfree(DatumGetPointer(args[1]));
    }
    if (ndfs > 0 && !delta->count_blocks) {
        // A database being updated from before 0.5.0 (an update script
        // writing clara_documents before the blocks column exists).
        Oid types[2] = {TEXTARRAYOID, INT4ARRAYOID};
        Datum args[2] = {clara::pg::varlena_array(TEXTOID, ndfs, term(with_df)), clara::pg::int4_array(dfs, ndfs)};
        SPIPlanPtr plan = clara::pg::kept_plan(
            &g_count_terms_without_blocks, schema, 2, types, CURSOR_OPT_GENERIC_PLAN, [&] {
                return psprintf(
                    "INSERT INTO %s.clara_terms AS t (term, df) "
                    "SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) "
                    "ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df",
                    schema);
            });
        clara::pg::execute_kept(plan, args, SPI_OK_INSERT, "update document frequencies");
    } else if (ndfs > 0) {
        // The upsert returns the terms whose blocks reached the threshold
        // ($4, a parameter: the setting may change between statements):
        // this statement now holds their rows, so it merges them alone.
        Oid types[4] = {TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID, INT4OID};
        Datum args[4] = {clara::pg::varlena_array(TEXTOID, ndfs, term(with_df)), clara::pg::int4_array(dfs, ndfs),
                         clara::pg::int4_array(block_counts, ndfs), Int32GetDatum(merge_threshold())};
        SPIPlanPtr plan = clara::pg::kept_plan(&g_count_terms, schema, 4, types, CURSOR_OPT_GENERIC_PLAN, [&] {
            return psprintf(
                "WITH counted AS (INSERT INTO %s.clara_terms AS t (term, df, blocks) "
                "SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)) "
                "ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df, blocks = t.blocks + excluded.blocks "
                "RETURNING t.term, t.blocks) "
                "SELECT term FROM counted WHERE blocks >= $4",
                schema);
        });
        count_and_merge(delta, kWordTable, schema, plan, args);
    }
    flush_grams(delta, schema);
    if (last && delta->has_pending &&
        (delta->n_docs != 0 || delta->total_length != 0 || delta->gram_length != 0 || delta->dead_postings != 0 ||
         delta->pending_bytes != 0)) {
        update_corpus_pending(delta, schema);
    } else if (last && (delta->n_docs != 0 || delta->total_length != 0 || delta->gram_length != 0 ||
                        delta->dead_postings != 0)) {
        Oid types[4] = {INT8OID, INT8OID, INT8OID, INT8OID};
        Datum args[4] = {Int64GetDatum(delta->n_docs), Int64GetDatum(delta->total_length),
                         Int64GetDatum(delta->dead_postings), Int64GetDatum(delta->gram_length)};
        SPIPlanPtr plan = clara::pg::kept_plan(&g_update_corpus, schema, 4, types, 0, [&] {
            return psprintf(
                "UPDATE %s.clara_corpus SET n_docs = n_docs + $1, total_length = total_length + $2, "
                "dead_postings = dead_postings + $3, gram_length = gram_length + $4",
                schema);
        });
        clara::pg::execute_kept(plan, args, SPI_OK_UPDATE, "update corpus statistics");
    }
    if (last && delta->merge_grams) merge_all_grams(delta, schema);
    pfree(with_block);
    pfree(with_df);
    pfree(dfs);
    pfree(block_counts);
    clara::pg::run_cpp("flushing the index", [&] {
        delta->sorted.clear();
        if (write_df) {
            delta->terms.clear();
        } else {
            for (auto &kv : delta->terms) std::string().swap(kv.second.block);  // written; df and blocks stay
        }
        delta->pending_postings = 0;
    });
}

// ---- the pending list (pending.hpp, core/pending_row.hpp) -----------------
// Lock order, the same in every statement: pending rows (ascending doc_key,
// FOR UPDATE), then clara_terms rows (term order, in the last flush), then
// the clara_corpus row. So a statement flushing the list and one removing
// pending documents queue instead of deadlocking; once a flush commits, a
// waiting statement skips the rows it took (READ COMMITTED re-checks them).
KeptPlan g_update_corpus_pending, g_insert_pending, g_remove_pending, g_take_pending, g_read_pending_bytes;

void update_corpus_pending(IndexDelta *delta, const char *schema) {
    Oid types[5] = {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID};
    Datum args[5] = {Int64GetDatum(delta->n_docs), Int64GetDatum(delta->total_length),
                     Int64GetDatum(delta->dead_postings), Int64GetDatum(delta->gram_length),
                     Int64GetDatum(delta->pending_bytes)};
    SPIPlanPtr plan = clara::pg::kept_plan(&g_update_corpus_pending, schema, 5, types, 0, [&] {
        return psprintf(
            "UPDATE %s.clara_corpus SET n_docs = n_docs + $1, total_length = total_length + $2, "
            "dead_postings = dead_postings + $3, gram_length = gram_length + $4, pending_bytes = pending_bytes + $5",
            schema);
    });
    clara::pg::execute_kept(plan, args, SPI_OK_UPDATE, "update corpus statistics");
}

// The pending rows of one statement's new documents, encoded before
// anything is written.
struct PendingRows {
    std::vector<uint32_t> keys;
    std::vector<std::string> rows;
    std::vector<int32> doc_lengths;
    std::vector<uint32_t> lead_lengths;
    int64_t bytes = 0;
    int64_t list_bytes = 0;                 // the list's size before this statement
    std::vector<clara::PendingTerm> terms;  // scratch: one document's
    std::unordered_set<uint32_t> removed;   // documents whose pending row this statement deleted
    std::unordered_set<uint32_t> gone;      // documents leaving in this statement
};

void encode_document(IndexDelta *delta, PendingRows *p, const StoredDocument &doc) {
    WordEntry *entries = ARRPTR(doc.tsv);
    char *strings = STRPTR(doc.tsv);
    bool ok = true;
    clara::pg::run_cpp("indexing a document", [&] {
        p->terms.clear();
        for (int i = 0; i < doc.tsv->size; i++)
            p->terms.push_back(clara::PendingTerm{std::string_view(strings + entries[i].pos, entries[i].len),
                                                  static_cast<uint32_t>(doc.tfs[i]),
                                                  title_frequency(&entries[i], doc.tsv)});
        const uint32_t lead = clara::pg::gram_extractor().document(doc.title, doc.content, delta->doc_grams);
        std::string row;
        ok = clara::encode_pending(p->terms, delta->doc_grams, static_cast<uint32_t>(doc.doc_length), lead, row);
        p->bytes += static_cast<int64_t>(row.size());
        p->keys.push_back(doc.doc_key);
        p->rows.push_back(std::move(row));
        p->doc_lengths.push_back(doc.doc_length);
        p->lead_lengths.push_back(lead);
    });
    if (!ok)
        ereport(ERROR,
                (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                 errmsg("clara document %u has a lexeme longer than %zu bytes", doc.doc_key, clara::kMaxPendingTerm),
                 errhint("Set clara.pending_max_docs to 0 for this statement.")));
}

// Writes the encoded rows and counts their documents in the corpus
// statistics (exact at once; only their postings wait).
void insert_pending(IndexDelta *delta, const PendingRows &p, const char *schema) {
    const int n = static_cast<int>(p.keys.size());
    if (n == 0) return;
    auto *keys = static_cast<Datum *>(palloc(sizeof(Datum) * n));
    for (int i = 0; i < n; i++) keys[i] = Int32GetDatum(static_cast<int32>(p.keys[i]));
    Oid types[2] = {INT4ARRAYOID, BYTEAARRAYOID};
    Datum args[2] = {clara::pg::int4_array(keys, n),
                     clara::pg::varlena_array(BYTEAOID, n, [&](int i) { return std::string_view(p.rows[i]); })};
    SPIPlanPtr plan = clara::pg::kept_plan(&g_insert_pending, schema, 2, types, CURSOR_OPT_GENERIC_PLAN, [&] {
        return psprintf(
            "INSERT INTO %s.clara_pending (doc_key, data) "
            "SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))",
            schema);
    });
    clara::pg::execute_kept(plan, args, SPI_OK_INSERT, "write pending documents");
    for (int i = 0; i < n; i++) {
        delta->n_docs++;
        delta->total_length += p.doc_lengths[i];
        delta->gram_length += static_cast<int64_t>(clara::gram_stored_length(p.lead_lengths[i]));
    }
    delta->pending_bytes += p.bytes;
}

// The pending list's size, read without a lock: at worst two statements
// flush one after the other, the second finding little left.
int64_t pending_list_bytes(const char *schema) {
    SPIPlanPtr plan = clara::pg::kept_plan(&g_read_pending_bytes, schema, 0, nullptr, 0, [&] {
        return psprintf("SELECT pending_bytes FROM %s.clara_corpus", schema);
    });
    clara::pg::execute_kept(plan, nullptr, SPI_OK_SELECT, "read the pending list's size", true);
    int64_t bytes = 0;
    if (SPI_processed == 1) {
        bool isnull;
        Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
        if (!isnull) bytes = DatumGetInt64(d);
    }
    SPI_freetuptable(SPI_tuptable);
    return bytes;
}

// Takes pending rows out of the list (all of them, or those of `keys`) and
// calls visit(doc_key, view, bytes) for each, in doc_key order; the view is
// valid during the call only.
template <typename Visit>
void delete_pending(const char *schema, Datum *keys, Visit &&visit) {
    SPIPlanPtr plan;
    if (keys != nullptr) {
        Oid type = INT4ARRAYOID;
        plan = clara::pg::kept_plan(&g_remove_pending, schema, 1, &type, CURSOR_OPT_GENERIC_PLAN, [&] {
            return psprintf(
                "WITH taken AS (DELETE FROM %1$s.clara_pending p USING (SELECT doc_key FROM %1$s.clara_pending "
                "WHERE doc_key = ANY($1) ORDER BY doc_key FOR UPDATE) l WHERE p.doc_key = l.doc_key "
                "RETURNING p.doc_key, p.data) SELECT doc_key, data FROM taken ORDER BY doc_key",
                schema);
        });
    } else {
        plan = clara::pg::kept_plan(&g_take_pending, schema, 0, nullptr, 0, [&] {
            return psprintf(
                "WITH taken AS (DELETE FROM %1$s.clara_pending p USING (SELECT doc_key FROM %1$s.clara_pending "
                "ORDER BY doc_key FOR UPDATE) l WHERE p.doc_key = l.doc_key "
                "RETURNING p.doc_key, p.data) SELECT doc_key, data FROM taken ORDER BY doc_key",
                schema);
        });
    }
    clara::pg::execute_kept(plan, keys, SPI_OK_SELECT, "take documents from the pending list");
    SPITupleTable *rows = SPI_tuptable;
    const uint64 nrows = SPI_processed;
    MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext, "clara pending row", ALLOCSET_SMALL_SIZES);
    for (uint64 i = 0; i < nrows; i++) {
        CHECK_FOR_INTERRUPTS();
        MemoryContext old = MemoryContextSwitchTo(row_cxt);
        bool null_key, null_data;
        const auto key = static_cast<uint32_t>(
            DatumGetInt32(SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &null_key)));
        Datum data = SPI_getbinval(rows->vals[i], rows->tupdesc, 2, &null_data);
        if (null_key || null_data) clara::pg::malformed_pending_row(key);
        bytea *bytes = DatumGetByteaPP(data);
        clara::PendingView view;
        const size_t len = VARSIZE_ANY_EXHDR(bytes);
        if (!view.parse(reinterpret_cast<const unsigned char *>(VARDATA_ANY(bytes)), len))
            clara::pg::malformed_pending_row(key);
        visit(key, view, static_cast<int64_t>(len));
        MemoryContextSwitchTo(old);
        MemoryContextReset(row_cxt);
    }
    MemoryContextDelete(row_cxt);
    SPI_freetuptable(rows);
}

// A pending document leaves: only the corpus statistics knew it.
void forget_pending(IndexDelta *delta, const clara::PendingView &view, int64_t bytes) {
    delta->n_docs--;
    delta->total_length -= view.doc_length();
    delta->gram_length -= static_cast<int64_t>(clara::gram_stored_length(view.lead_length()));
    delta->pending_bytes -= bytes;
}

// A pending document enters the index: its postings, document frequencies
// and grams, as account_document() adds them (its corpus statistics are
// counted already).
void index_pending(IndexDelta *delta, uint32_t key, const clara::PendingView &view, int64_t bytes) {
    clara::pg::run_cpp("indexing a pending document", [&] {
        view.each_term([&](std::string_view term, uint32_t tf, uint32_t title_tf) {
            delta->key.assign(term);
            auto it = delta->terms.find(delta->key);
            if (it == delta->terms.end()) it = delta->terms.emplace(delta->key, TermDelta{}).first;
            it->second.df++;
            clara::append_posting(it->second.block, clara::Posting{key, tf, view.doc_length(), title_tf});
        });
        delta->doc_grams.clear();
        view.each_gram([&](uint32_t gram, uint32_t tf) { delta->doc_grams.push_back(clara::GramCount{gram, tf}); });
        delta->grams.add_document(key, view.lead_length(), delta->doc_grams);
        delta->pending_postings += view.term_count();
    });
    delta->pending_bytes -= bytes;
}

// Moves every pending row into delta (to be flushed by the caller), except
// those of documents in `gone` (leaving in this statement), which are
// forgotten. Returns the number of documents indexed.
int64 take_pending(IndexDelta *delta, const char *schema, const std::unordered_set<uint32_t> &gone,
                   std::unordered_set<uint32_t> *removed) {
    int64 indexed = 0;
    delete_pending(schema, nullptr, [&](uint32_t key, const clara::PendingView &view, int64_t bytes) {
        if (gone.count(key) > 0) {
            forget_pending(delta, view, bytes);
            clara::pg::run_cpp("indexing", [&] { removed->insert(key); });
            return;
        }
        index_pending(delta, key, view, bytes);
        indexed++;
        if (flush_due(delta)) flush(delta, schema, false);
    });
    return indexed;
}

// Deletes the pending rows of documents leaving in this statement.
void remove_pending(IndexDelta *delta, const char *schema, const std::unordered_set<uint32_t> &gone,
                    std::unordered_set<uint32_t> *removed) {
    const int n = static_cast<int>(gone.size());
    if (n == 0) return;
    auto *keys = static_cast<Datum *>(palloc(sizeof(Datum) * n));
    int i = 0;
    for (uint32_t key : gone) keys[i++] = Int32GetDatum(static_cast<int32>(key));
    Datum arg = clara::pg::int4_array(keys, n);
    delete_pending(schema, &arg, [&](uint32_t key, const clara::PendingView &view, int64_t bytes) {
        forget_pending(delta, view, bytes);
        clara::pg::run_cpp("indexing", [&] { removed->insert(key); });
    });
    pfree(keys);
}

// Reads every document of a transition table; keep(doc) decides whether it
// counts. Rows are read in a memory context reset per row.
template <typename Visit>
void scan_transition_table(Tuplestorestate *store, Relation rel, MemoryContext row_cxt, bool with_text, Visit &&visit) {
    TupleDesc desc = RelationGetDescr(rel);
    IndexColumns col = index_columns(desc);
    TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
    int reader = tuplestore_alloc_read_pointer(store, 0);
    tuplestore_select_read_pointer(store, reader);
    tuplestore_rescan(store);
    while (tuplestore_gettupleslot(store, true, false, slot)) {
        CHECK_FOR_INTERRUPTS();
        MemoryContext old = MemoryContextSwitchTo(row_cxt);
        StoredDocument doc;
        if (read_document(slot, col, &doc, with_text)) visit(doc);
        MemoryContextSwitchTo(old);
        MemoryContextReset(row_cxt);
    }
    ExecDropSingleTupleTableSlot(slot);
}

bool contains(const std::unordered_set<uint32_t> &set, uint32_t key) { return set.count(key) > 0; }

bool flush_due(const IndexDelta *delta) {
    // A gram posting takes 8 bytes here (16 while sorted), a word posting 12
    // and its term's share: the same budget for both.
    const size_t budget = static_cast<size_t>(clara::pg::index_flush_postings());
    return delta->pending_postings >= budget || delta->grams.postings() >= budget ||
           delta->grams.documents() >= clara::GramPostingsBuilder::kMaxDocuments - 1;
}

// A large statement's flush between documents: the word postings only when
// they reached the budget; when only the grams did (a document has about 3
// gram postings per word posting, so they fill it first), the grams alone.
// Flushing the words with them wrote every term of the statement twice per
// gram flush: twice the clara_postings rows (and blocks to merge later) for
// a 20K-document INSERT.
void flush_between_documents(IndexDelta *delta, const char *schema) {
    const size_t budget = static_cast<size_t>(clara::pg::index_flush_postings());
    if (delta->pending_postings >= budget) {
        flush(delta, schema, false);
        return;
    }
    MemoryContext old = MemoryContextSwitchTo(delta->flush_cxt);
    flush_grams(delta, schema);
    MemoryContextSwitchTo(old);
    MemoryContextReset(delta->flush_cxt);
}

// The gram postings a statement of rows documents will buffer (about 400 a
// document, at most the flush budget), reserved up front: growing the
// buffer by doubling copied it and touched fresh pages at every step.
void reserve_grams(IndexDelta *delta, int64 rows) {
    const size_t budget = static_cast<size_t>(clara::pg::index_flush_postings());
    const size_t want = Min(budget, static_cast<size_t>(Max(rows, int64(0))) * 400);
    clara::pg::run_cpp("indexing", [&] { delta->grams.reserve(want); });
}

// A statement adding at most clara.pending_max_docs documents: encodes
// them into p (nothing written yet) and returns true.
bool encode_small_statement(TriggerData *trig, Relation rel, MemoryContext row_cxt, IndexDelta *delta, PendingRows *p) {
    const int max_docs = clara::pg::pending_max_docs();
    if (trig->tg_newtable == nullptr || max_docs == 0 || tuplestore_tuple_count(trig->tg_newtable) > max_docs)
        return false;
    scan_transition_table(trig->tg_newtable, rel, row_cxt, true, [&](const StoredDocument &doc) {
        if (!contains(delta->old_keys, doc.doc_key)) encode_document(delta, p, doc);
    });
    return true;
}

// Before the statement's documents are accounted: a small statement that
// would fill the pending list past its limit takes every pending row into
// the index (and its own documents with them: *to_pending becomes false
// through the caller's check of p->keys); otherwise the pending rows of
// documents leaving in this statement are deleted. Either way p->removed
// names the leaving documents that were pending, so their document
// frequencies are not decremented (they were never counted).
void take_or_remove_pending(TriggerData *trig, Relation rel, MemoryContext row_cxt, IndexDelta *delta,
                            const char *schema, bool to_pending, PendingRows *p) {
    std::unordered_set<uint32_t> &gone = p->gone;
    if (trig->tg_oldtable)
        scan_transition_table(trig->tg_oldtable, rel, row_cxt, false, [&](const StoredDocument &doc) {
            if (!contains(delta->new_keys, doc.doc_key))
                clara::pg::run_cpp("indexing", [&] { gone.insert(doc.doc_key); });
        });
    if (to_pending) p->list_bytes = pending_list_bytes(schema);
    if (to_pending && p->list_bytes + p->bytes > clara::pg::pending_list_limit_bytes()) {
        take_pending(delta, schema, gone, &p->removed);
        clara::pg::run_cpp("indexing", [&] {
            p->keys.clear();
            p->rows.clear();
        });
        return;
    }
    remove_pending(delta, schema, gone, &p->removed);
}

// Whether clara_terms has its blocks column: not while an update from a
// version before 0.5.0 runs scripts that write clara_documents.
bool terms_count_blocks(const char *schema) {
    Oid relid = get_relname_relid("clara_terms", get_namespace_oid(schema, false));
    return OidIsValid(relid) && get_attnum(relid, "blocks") != InvalidAttrNumber;
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(clara_documents_index);
PG_FUNCTION_INFO_V1(clara_compact);
PG_FUNCTION_INFO_V1(clara_flush_pending);
}

extern "C" Datum clara_documents_index(PG_FUNCTION_ARGS) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("clara_documents_index must be called as a trigger")));
    auto *trig = reinterpret_cast<TriggerData *>(fcinfo->context);
    if (!TRIGGER_FIRED_AFTER(trig->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("clara_documents_index must be an AFTER ... FOR EACH STATEMENT trigger")));

    MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "clara index", ALLOCSET_DEFAULT_SIZES);
    MemoryContext row_cxt = AllocSetContextCreate(work, "clara index row", ALLOCSET_DEFAULT_SIZES);
    IndexDelta *delta = clara::pg::make_owned<IndexDelta>(work);
    delta->flush_cxt = AllocSetContextCreate(work, "clara index flush", ALLOCSET_DEFAULT_SIZES);
    Relation rel = trig->tg_relation;
    const char *schema = clara::pg::extension_schema();
    delta->count_blocks = terms_count_blocks(schema);
    delta->has_pending = clara::pg::pending_list_exists(schema);

    // The caller changed clara_documents (its privileges were checked for
    // that); the index follows as the extension's owner. The transition
    // tables hold only the statement's own rows.
    clara::pg::SavedUser caller = clara::pg::as_index_owner();
    int guc_level = clara::pg::spi_connect();
    // On UPDATE, a document whose text did not change keeps its doc_key and
    // appears in both tables with the same key: it changes nothing here.
    if (trig->tg_oldtable && trig->tg_newtable) {
        scan_transition_table(trig->tg_oldtable, rel, row_cxt, false, [&](const StoredDocument &doc) {
            clara::pg::run_cpp("indexing", [&] { delta->old_keys.insert(doc.doc_key); });
        });
        scan_transition_table(trig->tg_newtable, rel, row_cxt, false, [&](const StoredDocument &doc) {
            clara::pg::run_cpp("indexing", [&] { delta->new_keys.insert(doc.doc_key); });
        });
    }
    PendingRows *pending = clara::pg::make_owned<PendingRows>(work);
    const bool to_pending = delta->has_pending && encode_small_statement(trig, rel, row_cxt, delta, pending);
    if (delta->has_pending) take_or_remove_pending(trig, rel, row_cxt, delta, schema, to_pending, pending);
    if (trig->tg_oldtable)
        scan_transition_table(trig->tg_oldtable, rel, row_cxt, true, [&](const StoredDocument &doc) {
            if (!contains(delta->new_keys, doc.doc_key) && !contains(pending->removed, doc.doc_key))
                account_document(delta, doc, -1);
        });
    bool start_flush = false;
    if (to_pending && !pending->keys.empty()) {
        insert_pending(delta, *pending, schema);
        const int64_t background = clara::pg::pending_background_limit_bytes();
        start_flush = background > 0 && pending->list_bytes + pending->bytes >= background;
    } else if (trig->tg_newtable) {
        reserve_grams(delta, tuplestore_tuple_count(trig->tg_newtable));
        scan_transition_table(trig->tg_newtable, rel, row_cxt, true, [&](const StoredDocument &doc) {
            if (contains(delta->old_keys, doc.doc_key)) return;
            account_document(delta, doc, +1);
            if (flush_due(delta)) flush_between_documents(delta, schema);
        });
    }
    flush(delta, schema, true);
    clara::pg::spi_finish(guc_level);
    clara::pg::restore_user(caller);
    MemoryContextDelete(work);
    if (start_flush) clara::pg::request_background_flush();
    return PointerGetDatum(nullptr);
}

// Rebuilds clara_postings, clara_terms, clara_gram_postings and
// clara_corpus from clara_documents: every document, as the index owner, so
// only the owner of clara_documents may run it.
extern "C" Datum clara_compact(PG_FUNCTION_ARGS) {
    (void)fcinfo;
    clara::pg::check_corpus_owner("clara_compact()");
    MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "clara compact", ALLOCSET_DEFAULT_SIZES);
    MemoryContext row_cxt = AllocSetContextCreate(work, "clara compact row", ALLOCSET_DEFAULT_SIZES);
    IndexDelta *delta = clara::pg::make_owned<IndexDelta>(work);
    delta->flush_cxt = AllocSetContextCreate(work, "clara compact flush", ALLOCSET_DEFAULT_SIZES);
    delta->defer_df = false;
    delta->merge_grams = true;
    const char *schema = clara::pg::extension_schema();
    delta->count_blocks = terms_count_blocks(schema);
    int64 documents = 0;

    clara::pg::SavedUser caller = clara::pg::as_index_owner();
    int guc_level = clara::pg::spi_connect();
    // DELETE, not TRUNCATE: TRUNCATE is not MVCC-safe, so a REPEATABLE READ
    // transaction whose snapshot predates the compaction would find the
    // index tables empty afterwards and every search would return nothing.
    // Deleted rows stay visible to older snapshots; VACUUM reclaims them.
    // The pending list's documents are indexed with all the others.
    char *reset = psprintf(
        "LOCK TABLE %1$s.clara_documents IN SHARE MODE; "
        "DELETE FROM %1$s.clara_postings; DELETE FROM %1$s.clara_terms; DELETE FROM %1$s.clara_gram_postings; "
        "UPDATE %1$s.clara_corpus SET n_docs = 0, total_length = 0, dead_postings = 0, gram_length = 0%2$s",
        schema,
        clara::pg::pending_list_exists(schema) ? psprintf(", pending_bytes = 0; DELETE FROM %s.clara_pending", schema)
                                               : "");
    if (SPI_execute(reset, false, 0) < 0) elog(ERROR, "clara: could not reset the index");
    char *scan = psprintf(
        "SELECT doc_key, doc_length, tsv, term_tfs, title, content FROM %s.clara_documents ORDER BY doc_key", schema);
    Portal portal = SPI_cursor_open_with_args(nullptr, scan, 0, nullptr, nullptr, nullptr, true, 0);
    for (;;) {
        SPI_cursor_fetch(portal, true, 1000);
        // flush() runs SPI statements of its own: keep this batch's table.
        SPITupleTable *batch = SPI_tuptable;
        uint64 nrows = SPI_processed;
        if (nrows == 0) break;
        IndexColumns col{1, 3, 4, 2, 5, 6};
        TupleTableSlot *slot = MakeSingleTupleTableSlot(batch->tupdesc, &TTSOpsHeapTuple);
        for (uint64 i = 0; i < nrows; i++) {
            CHECK_FOR_INTERRUPTS();
            ExecStoreHeapTuple(batch->vals[i], slot, false);
            MemoryContext old = MemoryContextSwitchTo(row_cxt);
            StoredDocument doc;
            if (read_document(slot, col, &doc, true)) {
                account_document(delta, doc, +1);
                documents++;
            }
            MemoryContextSwitchTo(old);
            MemoryContextReset(row_cxt);
            if (flush_due(delta)) flush_between_documents(delta, schema);
        }
        ExecDropSingleTupleTableSlot(slot);
        SPI_freetuptable(batch);
    }
    SPI_cursor_close(portal);
    flush(delta, schema, true);
    clara::pg::spi_finish(guc_level);
    clara::pg::restore_user(caller);
    MemoryContextDelete(work);
    PG_RETURN_INT64(documents);
}

// Moves every pending document into the index now (the statement that
// fills the list past clara.pending_list_limit does it by itself): for
// maintenance, and for tests comparing a search before and after. Only the
// owner of clara_documents may run it, as for clara_compact().
extern "C" Datum clara_flush_pending(PG_FUNCTION_ARGS) {
    (void)fcinfo;
    clara::pg::check_corpus_owner("clara_flush_pending()");
    const int64 moved = clara::pg::flush_pending_list(0);  // a list of 0 bytes or more: always
    PG_RETURN_INT64(Max(moved, int64(0)));
}

// The flush of clara_flush_pending() and of the background worker
// (flush_worker.cpp), if the list holds at least at_least bytes (-1 if it
// holds less). clara_documents is held in ROW EXCLUSIVE mode, as a writing
// statement would: clara_compact() (SHARE) deletes the whole index,
// clara_terms rows first and the pending rows last, the reverse of a
// flush's lock order, so the two must not run side by side.
int64_t clara::pg::flush_pending_list(int64_t at_least) {
    MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "clara flush pending", ALLOCSET_DEFAULT_SIZES);
    IndexDelta *delta = clara::pg::make_owned<IndexDelta>(work);
    PendingRows *pending = clara::pg::make_owned<PendingRows>(work);
    delta->flush_cxt = AllocSetContextCreate(work, "clara flush pending flush", ALLOCSET_DEFAULT_SIZES);
    const char *schema = clara::pg::extension_schema();
    delta->count_blocks = terms_count_blocks(schema);
    delta->has_pending = clara::pg::pending_list_exists(schema);
    int64 documents = -1;
    clara::pg::SavedUser caller = clara::pg::as_index_owner();
    int guc_level = clara::pg::spi_connect();
    if (delta->has_pending && pending_list_bytes(schema) >= at_least) {
        LockRelationOid(clara::pg::corpus_relid(), RowExclusiveLock);
        documents = take_pending(delta, schema, pending->gone, &pending->removed);
        flush(delta, schema, true);
    }
    clara::pg::spi_finish(guc_level);
    clara::pg::restore_user(caller);
    MemoryContextDelete(work);
    return documents;
}
