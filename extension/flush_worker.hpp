// The background flush of the pending list (docs/limits.md, "Pending
// list"): a writing statement that leaves the list at or past
// clara.pending_background_limit (and below clara.pending_list_limit, where
// it flushes the list itself) starts a dynamic background worker that moves
// the list into the index in a transaction of its own, on another core. So
// single-row INSERTs do not wait for the flush, and searches, which read
// every pending row, read a short list. A dynamic worker needs no
// shared_preload_libraries; without a free max_worker_processes slot the
// list simply grows to clara.pending_list_limit as before.
#pragma once

#include "pg.hpp"

namespace clara::pg {

// Moves every pending document into the index (index.cpp), as the index
// owner, holding clara_documents in ROW EXCLUSIVE mode. Returns the number
// of documents moved. The caller checks privileges.
int64_t flush_pending_list();

// Asks for the worker: it is started when the transaction commits (one
// start per transaction, however many statements asked; a transaction that
// adds documents row by row would otherwise start a worker that cannot see
// its rows yet). Not if one runs already, or this backend started one less
// than 100 ms ago; without a free slot the list is flushed at
// clara.pending_list_limit.
void request_background_flush();

// The transaction callback that starts it (_PG_init).
void register_flush_callback();

}  // namespace clara::pg

extern "C" {
// The worker's entry point (bgw_function_name); its argument is the database.
PGDLLEXPORT void clara_flush_worker_main(Datum database);
}
