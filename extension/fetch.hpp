// Reading a batch of ranked documents by doc_key without SQL, through a
// small ring of shared buffers, as a sequential scan reads.
//
// Why: an export reads one heap page per document, in an order no scan
// would take. Through SQL every one of those pages goes through the whole
// shared buffer pool, so a fresh backend first faults in every buffer of it
// (about 30,000 minor page faults at 128 MB, a quarter of the export's
// backend CPU at 100K documents), and the export evicts pages others need.
// A BAS_BULKREAD ring (256 kB) keeps it to a few dozen buffers, like the
// COPY floor's sequential scan (docs/benchmarks.md, Export against the
// floor). Skipping the executor and SPI per batch saves the rest.
//
// Reads as the caller: used only when the caller may SELECT the whole table
// and no row-level security applies; otherwise open_document_reader()
// returns nullptr and the export reads by SQL, as before.
#pragma once

#include "pg.hpp"

namespace clara::pg {

struct DocumentReader;

// A reader of schema.clara_documents (schema quoted, as extension_schema()
// gives it) whose rows carry the columns names, in that order, after the
// key's position in the batch (column 1, int8, as the SQL batch query's ord).
// nullptr when the direct read may not be used (see above). Allocated in
// owner; holds no relation or buffer between calls.
DocumentReader *open_document_reader(const char *schema, const char *const *names, int ncolumns, MemoryContext owner);

// The row shape: ord, then the named columns.
TupleDesc reader_desc(const DocumentReader *reader);

// Where the documents of keys[0, n) are: tids[i] for keys[i], from one
// pass over the doc_key index in key order (invalid where the index has no
// entry). For an export of a large part of the table, where a btree descent
// per document was a fifth of the backend's CPU (docs/benchmarks.md). False,
// with tids untouched, when the keys are too few for a pass to pay.
bool locate_documents(DocumentReader *reader, const int32 *keys, size_t n, ItemPointerData *tids);

// Reads the visible documents of keys[0, n) under the active snapshot into
// rows[i] (for keys[i]; nullptr where no visible document has the key), as
// tuples of reader_desc in the current memory context. tids (or nullptr):
// where locate_documents() found the keys; a key without one, or whose
// document is not there any more, is looked up in the index. Keys (or
// tids) in ascending order read the heap in about its physical order.
void read_documents(DocumentReader *reader, const int32 *keys, const ItemPointerData *tids, size_t n, HeapTuple *rows);

}  // namespace clara::pg
