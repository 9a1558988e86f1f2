#include "flush_worker.hpp"

extern "C" {
#include "access/xact.h"
#include "commands/extension.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace clara::pg {

namespace {

// A backend starts the worker at most this often (a worker that fails,
// say on a damaged pending row, is not restarted by every INSERT).
constexpr int kStartIntervalMs = 100;

// The worker waits at most this long for a lock, far less than
// deadlock_timeout: a flush takes pending rows, clara_terms rows and the
// clara_corpus row in that order, and a transaction that wrote documents in
// an earlier statement holds the clara_corpus row already. Should such a
// transaction then wait for a pending row the worker holds, the worker
// gives up first (its list stays; the next writing statement starts it
// again) instead of the deadlock detector cancelling the transaction.
constexpr const char *kWorkerLockTimeout = "200ms";

// Held by the running worker for its session, per database: one flush at a
// time. Advisory, in a key space no SQL function reaches (field 4 is 1 or 2
// for pg_advisory_lock's keys).
LOCKTAG worker_tag(Oid database) {
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, database, 0x434c4152 /* CLAR */, 0x464c5348 /* FLSH */, 3);
    return tag;
}

bool worker_running() {
    LOCKTAG tag = worker_tag(MyDatabaseId);
    if (LockAcquire(&tag, ShareLock, false, true) == LOCKACQUIRE_NOT_AVAIL) return true;
    LockRelease(&tag, ShareLock, false);
    return false;
}

// The worker's lock; a backend's check holds it in SHARE mode for a moment,
// hence the second try.
bool take_worker_lock() {
    LOCKTAG tag = worker_tag(MyDatabaseId);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL) return true;
        pg_usleep(10 * 1000L);
    }
    return false;
}

BackgroundWorkerHandle *g_handle = nullptr;  // the worker this backend started last (TopMemoryContext)
TimestampTz g_started = 0;
bool g_requested = false;  // by a statement of the current transaction

void start_background_flush() {
    if (g_handle != nullptr) {
        pid_t pid;
        const BgwHandleStatus status = GetBackgroundWorkerPid(g_handle, &pid);
        if (status == BGWH_STARTED || status == BGWH_NOT_YET_STARTED) return;
        pfree(g_handle);
        g_handle = nullptr;
    }
    const TimestampTz now = GetCurrentTimestamp();
    if (g_started != 0 && !TimestampDifferenceExceeds(g_started, now, kStartIntervalMs)) return;
    if (worker_running()) return;
    BackgroundWorker worker;
    memset(&worker, 0, sizeof worker);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    snprintf(worker.bgw_library_name, sizeof worker.bgw_library_name, "$libdir/clara");
    snprintf(worker.bgw_function_name, sizeof worker.bgw_function_name, "clara_flush_worker_main");
    snprintf(worker.bgw_name, sizeof worker.bgw_name, "clara flush of the pending list of database %u",
             MyDatabaseId);
    snprintf(worker.bgw_type, sizeof worker.bgw_type, "clara flush");
    worker.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
    worker.bgw_notify_pid = 0;
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    if (RegisterDynamicBackgroundWorker(&worker, &g_handle)) {
        g_started = now;
    } else {
        g_handle = nullptr;
        elog(DEBUG1, "clara: no free background worker slot for the flush (max_worker_processes)");
    }
    MemoryContextSwitchTo(old);
}

// Before the commit (an error here still aborts the transaction cleanly):
// the worker needs a few milliseconds to start, by when the commit is
// visible; should it be quicker, it flushes the rest and the next
// statement past the limit asks again.
void on_transaction_end(XactEvent event, void *) {
    const bool start = event == XACT_EVENT_PRE_COMMIT && g_requested;
    g_requested = false;  // whatever the end: commit, abort or prepare
    if (start) start_background_flush();
}

}  // namespace

void request_background_flush() { g_requested = true; }

void register_flush_callback() { RegisterXactCallback(on_transaction_end, nullptr); }

}  // namespace clara::pg

// Connects to the database as the bootstrap superuser (as autovacuum
// does: the extension's owner need not be able to log in); the flush itself
// runs as the index owner, like every statement's (catalog.hpp). One
// transaction, then the worker exits.
void clara_flush_worker_main(Datum database) {
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(database), InvalidOid, 0);
    pgstat_report_appname("clara flush");
    SetConfigOption("lock_timeout", clara::pg::kWorkerLockTimeout, PGC_SUSET, PGC_S_OVERRIDE);
    MemoryContext top = CurrentMemoryContext;
    int64 moved = -1;
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, "clara: flushing the pending list");
    PG_TRY();
    {
        if (OidIsValid(get_extension_oid("clara", true)) && clara::pg::take_worker_lock())
            moved = clara::pg::flush_pending_list();
        PopActiveSnapshot();
        CommitTransactionCommand();
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(top);
        ErrorData *error = CopyErrorData();
        if (error->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE) PG_RE_THROW();
        FlushErrorState();
        AbortCurrentTransaction();
        elog(DEBUG1, "clara: the background flush gave way to a writer (%s)", error->message);
    }
    PG_END_TRY();
    pgstat_report_activity(STATE_IDLE, nullptr);
    if (moved >= 0) elog(DEBUG1, "clara: the background flush moved %lld documents into the index", (long long)moved);
    proc_exit(0);
}
