#include "flush_worker.hpp"

#include "guc.hpp"

extern "C" {
#include "access/xact.h"
#include "commands/extension.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace clara::pg {

namespace {

// A backend starts a worker at most this often: one that fails, say on a
// damaged pending row, is not restarted by every INSERT. A working one
// stays while there is work and 2 s after, so this costs no flush.
constexpr int kStartIntervalMs = 1000;

// The worker waits at most this long for a lock, far less than
// deadlock_timeout: a flush takes pending rows, clara_terms rows and the
// clara_corpus row in that order, and a transaction that wrote documents in
// an earlier statement holds the clara_corpus row already. Should such a
// transaction then wait for a pending row the worker holds, the worker
// gives up first (the list stays; its next round tries again) instead of
// the deadlock detector cancelling the transaction.
constexpr const char *kWorkerLockTimeout = "200ms";

// Held by the running worker for its session: one worker per database.
// Advisory, in a key space no SQL function reaches (field 4 is 1 or 2 for
// pg_advisory_lock's keys).
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
    snprintf(worker.bgw_name, sizeof worker.bgw_name, "clara flush of the pending list of database %u", MyDatabaseId);
    snprintf(worker.bgw_type, sizeof worker.bgw_type, "clara flush");
    worker.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
    const int64 limit = pending_background_limit_bytes();
    memcpy(worker.bgw_extra, &limit, sizeof limit);
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
// visible; should it be quicker, a later round of it finds the rows.
void on_transaction_end(XactEvent event, void *) {
    const bool start = event == XACT_EVENT_PRE_COMMIT && g_requested;
    g_requested = false;  // whatever the end: commit, abort or prepare
    if (start) start_background_flush();
}

}  // namespace

void request_background_flush() { g_requested = true; }

void register_flush_callback() { RegisterXactCallback(on_transaction_end, nullptr); }

}  // namespace clara::pg

namespace {

constexpr long kPollMs = 50;        // how often the worker reads the list's size
constexpr long kIdleExitMs = 2000;  // it exits after this long without a flush
// After giving way: a bulk load holds its clara_terms rows until it
// commits, and every try redoes the flush's work up to that lock.
constexpr long kGaveWayMs = 1000;

enum class Round { kStop, kFlushed, kIdle, kGaveWay };

bool g_locked = false;  // this worker holds its lock (take_worker_lock)

// One transaction of the worker: takes its lock first (kStop if another
// worker has it), then flushes the list if it holds limit bytes. A lock it
// waited for too long (kWorkerLockTimeout) ends the transaction only
// (kGaveWay): a later round tries again.
Round flush_round(int64 limit) {
    MemoryContext outer = CurrentMemoryContext;
    volatile Round result = Round::kIdle;
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
    PG_TRY();
    {
        if (!g_locked) g_locked = clara::pg::take_worker_lock();
        if (!g_locked || !OidIsValid(get_extension_oid("clara", true))) {
            result = Round::kStop;
        } else {
            const int64 moved = clara::pg::flush_pending_list(limit);
            if (moved >= 0) {
                result = Round::kFlushed;
                elog(DEBUG1, "clara: the background flush moved %lld documents into the index",
                     static_cast<long long>(moved));
            }
        }
        PopActiveSnapshot();
        CommitTransactionCommand();
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(outer);
        ErrorData *error = CopyErrorData();
        if (error->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE) PG_RE_THROW();
        FlushErrorState();
        AbortCurrentTransaction();
        elog(DEBUG1, "clara: the background flush gave way to a writer (%s)", error->message);
        FreeErrorData(error);
        result = Round::kGaveWay;
    }
    PG_END_TRY();
    return result;
}

}  // namespace

// Connects to the database as the bootstrap superuser (as autovacuum
// does: the extension's owner need not be able to log in); the flushes run
// as the index owner, like every statement's (catalog.hpp). The limit is
// that of the session that started the worker (bgw_extra).
void clara_flush_worker_main(Datum database) {
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(database), InvalidOid, 0);
    int64 limit;
    memcpy(&limit, MyBgworkerEntry->bgw_extra, sizeof limit);
    pgstat_report_appname("clara flush");
    SetConfigOption("lock_timeout", clara::pg::kWorkerLockTimeout, PGC_SUSET, PGC_S_OVERRIDE);
    TimestampTz last_flush = GetCurrentTimestamp();
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        pgstat_report_activity(STATE_RUNNING, "clara: flushing the pending list");
        const Round round = flush_round(limit);
        pgstat_report_activity(STATE_IDLE, nullptr);
        if (round == Round::kStop) break;
        const TimestampTz now = GetCurrentTimestamp();
        if (round == Round::kFlushed) {
            last_flush = now;
        } else if (TimestampDifferenceExceeds(last_flush, now, kIdleExitMs)) {
            break;
        }
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
                        round == Round::kGaveWay ? kGaveWayMs : kPollMs, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
    }
    proc_exit(0);
}
