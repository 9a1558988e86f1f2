// The background flush of the pending list (README, Maintenance): a
// transaction whose statements leave the list at or past
// clara.pending_background_limit (and below clara.pending_list_limit, where
// a statement flushes the list itself) starts, as it commits, a dynamic
// background worker for the database unless one runs. The worker moves the
// list into the index in transactions of its own, on another core, whenever
// it reaches that size (it reads the size every 50 ms), and exits after 2 s
// without a flush. So single-row INSERTs do not wait for flushes, and
// searches, which read every pending row, read a short list. A dynamic
// worker needs no shared_preload_libraries; without a free
// max_worker_processes slot the list grows to clara.pending_list_limit as
// before.
#pragma once

#include "pg.hpp"

namespace clara::pg {

// Moves every pending document into the index (index.cpp), as the index
// owner, holding clara_documents in ROW EXCLUSIVE mode, if the list holds
// at least at_least bytes. Returns the number of documents moved, -1 if
// the list was smaller. The caller checks privileges.
int64_t flush_pending_list(int64_t at_least);

// Asks for the worker: it is started when the transaction commits (one
// start per transaction, however many statements asked; a transaction that
// adds documents row by row would otherwise start a worker that cannot see
// its rows yet). Not if one runs already, or this backend started one less
// than 1 s ago; without a free slot the list is flushed at
// clara.pending_list_limit.
void request_background_flush();

// The transaction callback that starts it (_PG_init).
void register_flush_callback();

}  // namespace clara::pg

extern "C" {
// The worker's entry point (bgw_function_name); its argument is the database.
PGDLLEXPORT void clara_flush_worker_main(Datum database);
}
