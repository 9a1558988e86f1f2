#include "fetch.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_am.h"
#include "catalog/namespace.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/regproc.h"
}

namespace clara::pg {

struct DocumentReader {
    Oid heap_oid;
    Oid index_oid;
    BufferAccessStrategy strategy;  // BAS_BULKREAD: a ring of 256 kB
    TupleDesc desc;                 // ord, then the columns
    int ncolumns;
    AttrNumber key_attnum;  // doc_key
    AttrNumber *attnums;    // the table's attribute number of each column
    Datum *table_values;    // a table row, deformed (one slot per table attribute)
    bool *table_nulls;
    Datum *values;  // a result row (ord + columns)
    bool *nulls;
};

namespace {

// The relation schema.name (schema quoted as extension_schema() gives it),
// or InvalidOid.
Oid relation_in(const char *schema, const char *name) {
    List *qualified = stringToQualifiedNameList(psprintf("%s.%s", schema, name));
    return RangeVarGetRelid(makeRangeVarFromNameList(qualified), NoLock, true);
}

}  // namespace

DocumentReader *open_document_reader(const char *schema, const char *const *names, int ncolumns, MemoryContext owner) {
    const Oid heap_oid = relation_in(schema, "clara_documents");
    const Oid index_oid = relation_in(schema, "clara_documents_doc_key_idx");
    if (!OidIsValid(heap_oid) || !OidIsValid(index_oid)) return nullptr;
    // What the SQL read would allow: the whole table, every row.
    if (pg_class_aclcheck(heap_oid, GetUserId(), ACL_SELECT) != ACLCHECK_OK) return nullptr;
    if (check_enable_rls(heap_oid, InvalidOid, true) == RLS_ENABLED) return nullptr;

    MemoryContext old = MemoryContextSwitchTo(owner);
    auto *r = static_cast<DocumentReader *>(palloc0(sizeof(DocumentReader)));
    Relation heap = table_open(heap_oid, AccessShareLock);
    Relation index = index_open(index_oid, AccessShareLock);
    TupleDesc table_desc = RelationGetDescr(heap);
    // heap_hot_search_buffer reads heap pages: the table must be one (ALTER
    // TABLE ... SET ACCESS METHOD could make it something else).
    bool usable = heap->rd_rel->relam == HEAP_TABLE_AM_OID && index->rd_rel->relam == BTREE_AM_OID &&
                  index->rd_index->indnkeyatts == 1 &&
                  index->rd_index->indkey.values[0] == get_attnum(heap_oid, "doc_key") &&
                  TupleDescAttr(table_desc, index->rd_index->indkey.values[0] - 1)->atttypid == INT4OID;
    r->heap_oid = heap_oid;
    r->key_attnum = index->rd_index->indkey.values[0];
    r->index_oid = index_oid;
    r->ncolumns = ncolumns;
    r->attnums = static_cast<AttrNumber *>(palloc(sizeof(AttrNumber) * ncolumns));
    r->desc = CreateTemplateTupleDesc(ncolumns + 1);
    TupleDescInitEntry(r->desc, 1, "ord", INT8OID, -1, 0);
    for (int i = 0; i < ncolumns && usable; i++) {
        r->attnums[i] = get_attnum(heap_oid, names[i]);
        if (r->attnums[i] == InvalidAttrNumber) {
            usable = false;
            break;
        }
        Form_pg_attribute a = TupleDescAttr(table_desc, r->attnums[i] - 1);
        TupleDescInitEntry(r->desc, static_cast<AttrNumber>(i + 2), names[i], a->atttypid, a->atttypmod, 0);
    }
    r->table_values = static_cast<Datum *>(palloc(sizeof(Datum) * table_desc->natts));
    r->table_nulls = static_cast<bool *>(palloc(sizeof(bool) * table_desc->natts));
    r->values = static_cast<Datum *>(palloc(sizeof(Datum) * (ncolumns + 1)));
    r->nulls = static_cast<bool *>(palloc(sizeof(bool) * (ncolumns + 1)));
    r->strategy = GetAccessStrategy(BAS_BULKREAD);
    // The locks stay until the end of the transaction, as a query's would.
    index_close(index, NoLock);
    table_close(heap, NoLock);
    MemoryContextSwitchTo(old);
    return usable ? r : nullptr;
}

TupleDesc reader_desc(const DocumentReader *reader) { return reader->desc; }

namespace {

struct KeyAt {
    int32 key;
    uint32 at;  // position in the caller's array
};

int compare_keys(const void *a, const void *b) {
    const int32 x = static_cast<const KeyAt *>(a)->key, y = static_cast<const KeyAt *>(b)->key;
    return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace

bool locate_documents(DocumentReader *r, const int32 *keys, size_t n, ItemPointerData *tids) {
    // A pass reads every entry between the smallest and the largest key: it
    // costs less than a descent per key only when the keys are a good part
    // of those entries (an entry on a leaf is about a sixteenth of a
    // descent). Their number: at most the keys' span (doc_keys are unique),
    // at most the index's entries (reltuples, -1 before the first VACUUM).
    if (n == 0) return false;
    int32 low = keys[0], high = keys[0];
    for (size_t i = 1; i < n; i++) {
        low = Min(low, keys[i]);
        high = Max(high, keys[i]);
    }
    Relation index = index_open(r->index_oid, AccessShareLock);
    double entries_estimate = static_cast<double>(high) - low + 1;
    if (index->rd_rel->reltuples >= 0) entries_estimate = Min(entries_estimate, index->rd_rel->reltuples);
    index_close(index, NoLock);
    if (static_cast<double>(n) * 16 < entries_estimate) return false;
    for (size_t i = 0; i < n; i++) ItemPointerSetInvalid(&tids[i]);
    auto *sorted = static_cast<KeyAt *>(palloc_extended(sizeof(KeyAt) * n, MCXT_ALLOC_HUGE));
    for (size_t i = 0; i < n; i++) sorted[i] = KeyAt{keys[i], static_cast<uint32>(i)};
    qsort(sorted, n, sizeof(KeyAt), compare_keys);

    Relation heap = table_open(r->heap_oid, AccessShareLock);
    index = index_open(r->index_oid, AccessShareLock);
    IndexScanDesc scan = index_beginscan(heap, index, GetActiveSnapshot(), 1, 0);
    scan->xs_want_itup = true;  // the entries' keys
    ScanKeyData from;
    ScanKeyInit(&from, 1, BTGreaterEqualStrategyNumber, F_INT4GE, Int32GetDatum(sorted[0].key));
    index_rescan(scan, &from, 1, nullptr, 0);
    // One merge of the index's entries (in key order) with the sorted keys.
    // Of several entries of one key (dead versions not yet vacuumed) the
    // first is kept; read_documents() descends when it is not the visible one.
    size_t next = 0;
    uint64 entries = 0;
    ItemPointer tid;
    while (next < n && (tid = index_getnext_tid(scan, ForwardScanDirection)) != nullptr) {
        if ((++entries & 4095) == 0) CHECK_FOR_INTERRUPTS();
        bool isnull;
        const int32 key = DatumGetInt32(index_getattr(scan->xs_itup, 1, scan->xs_itupdesc, &isnull));
        while (next < n && sorted[next].key < key) next++;
        for (size_t j = next; j < n && sorted[j].key == key; j++)
            if (!ItemPointerIsValid(&tids[sorted[j].at])) tids[sorted[j].at] = *tid;
    }
    index_endscan(scan);
    index_close(index, NoLock);
    table_close(heap, NoLock);
    pfree(sorted);
    return true;
}

namespace {

// The visible member of the HOT chain at tid, if it is the document with
// doc_key key, as a result row for position i (copied out while the page is
// still pinned: the deformed values point into it); nullptr if not.
HeapTuple read_chain(DocumentReader *r, Relation heap, Snapshot snapshot, ItemPointerData tid, int32 key, size_t i) {
    TupleDesc table_desc = RelationGetDescr(heap);
    Buffer buffer = ReadBufferExtended(heap, MAIN_FORKNUM, ItemPointerGetBlockNumber(&tid), RBM_NORMAL, r->strategy);
    LockBuffer(buffer, BUFFER_LOCK_SHARE);
    HeapTupleData tuple;
    bool all_dead = false;
    bool found = heap_hot_search_buffer(&tid, heap, buffer, snapshot, &tuple, &all_dead, true);
    // The pin keeps the tuple in place once the lock is gone.
    LockBuffer(buffer, BUFFER_LOCK_UNLOCK);
    if (found) {
        heap_deform_tuple(&tuple, table_desc, r->table_values, r->table_nulls);
        found = !r->table_nulls[r->key_attnum - 1] && DatumGetInt32(r->table_values[r->key_attnum - 1]) == key;
    }
    HeapTuple row = nullptr;
    if (found) {
        r->values[0] = Int64GetDatum(static_cast<int64>(i) + 1);
        r->nulls[0] = false;
        for (int c = 0; c < r->ncolumns; c++) {
            r->values[c + 1] = r->table_values[r->attnums[c] - 1];
            r->nulls[c + 1] = r->table_nulls[r->attnums[c] - 1];
        }
        row = heap_form_tuple(r->desc, r->values, r->nulls);  // copies the values
    }
    ReleaseBuffer(buffer);
    return row;
}

}  // namespace

void read_documents(DocumentReader *r, const int32 *keys, const ItemPointerData *tids, size_t n, HeapTuple *rows) {
    Relation heap = table_open(r->heap_oid, AccessShareLock);
    Relation index = index_open(r->index_oid, AccessShareLock);
    Snapshot snapshot = GetActiveSnapshot();
    IndexScanDesc scan = nullptr;
    for (size_t i = 0; i < n; i++) {
        rows[i] = nullptr;
        // Where locate_documents() found the key: no descent.
        if (tids != nullptr && ItemPointerIsValid(&tids[i]))
            rows[i] = read_chain(r, heap, snapshot, tids[i], keys[i], i);
        if (rows[i] == nullptr) {
            if (scan == nullptr) scan = index_beginscan(heap, index, snapshot, 1, 0);
            ScanKeyData key;
            ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(keys[i]));
            index_rescan(scan, &key, 1, nullptr, 0);
            // The index may hold dead versions of the key: the first visible
            // member of a HOT chain it points to is the document.
            ItemPointer tid;
            while (rows[i] == nullptr && (tid = index_getnext_tid(scan, ForwardScanDirection)) != nullptr)
                rows[i] = read_chain(r, heap, snapshot, *tid, keys[i], i);
        }
    }
    if (scan != nullptr) index_endscan(scan);
    index_close(index, NoLock);
    table_close(heap, NoLock);
}

}  // namespace clara::pg
