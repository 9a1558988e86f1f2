#include "catalog.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "utils/fmgroids.h"
#include "commands/extension.h"
#include "access/xact.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/rel.h"
}

#include <cstring>

namespace clara::pg {

namespace {

struct ExtensionRow {
    Oid oid;
    Oid nsp;           // the namespace clara was created in
    Oid owner;         // the role that created it, owner of its tables
    char version[64];  // pg_extension's extversion ("?" if null), for the mismatch error
};

// The row last read, and the (transaction, command) it was read in: each
// trigger of a single-row INSERT asks for the schema and the owner once
// each (six catalog reads per statement, 3 % of its backend CPU), and
// nothing can change pg_extension in between without a new command.
struct CachedRow {
    LocalTransactionId lxid = InvalidLocalTransactionId;
    CommandId cid = InvalidCommandId;
    ExtensionRow row{};
};
CachedRow g_cached;

// clara's row of pg_extension (PostgreSQL 15 exports no helper), read by
// name in one index scan.
ExtensionRow read_extension_row() {
    Relation rel = table_open(ExtensionRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ, CStringGetDatum("clara"));
    SysScanDesc scan = systable_beginscan(rel, ExtensionNameIndexId, true, nullptr, 1, &key);
    HeapTuple tuple = systable_getnext(scan);
    if (!HeapTupleIsValid(tuple))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("extension \"clara\" is not installed"),
                        errhint("Run CREATE EXTENSION clara.")));
    auto *form = reinterpret_cast<Form_pg_extension>(GETSTRUCT(tuple));
    bool isnull;
    Datum version = heap_getattr(tuple, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);
    ExtensionRow row{form->oid, form->extnamespace, form->extowner, {}};
    strlcpy(row.version, isnull ? "?" : TextDatumGetCString(version), sizeof(row.version));
    systable_endscan(scan);
    table_close(rel, AccessShareLock);
    return row;
}

ExtensionRow extension_row() {
    const CommandId cid = GetCurrentCommandId(false);
    if (g_cached.lxid != MyProc->lxid || g_cached.cid != cid) {
        g_cached.lxid = InvalidLocalTransactionId;  // an error below leaves no half-read row
        g_cached.row = read_extension_row();
        g_cached.lxid = MyProc->lxid;
        g_cached.cid = cid;
    }
    const ExtensionRow &row = g_cached.row;
    // The SQL objects must be the ones this library was built for: an older
    // version's tables lack what the code reads and writes. clara's own
    // update scripts are the exception: a step may index the stored
    // documents (clara_compact()) once its tables have their current shape,
    // while pg_extension still names that step's version.
    const bool own_script = creating_extension && CurrentExtensionObject == row.oid;
    if (!own_script && strcmp(row.version, kExtensionVersion) != 0)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("the clara extension in this database is version %s, its library is %s", row.version,
                               kExtensionVersion),
                        errhint("Run ALTER EXTENSION clara UPDATE.")));
    return row;
}

}  // namespace

const char *extension_schema() { return quote_identifier(get_namespace_name(extension_row().nsp)); }

SavedUser as_index_owner() {
    SavedUser saved;
    GetUserIdAndSecContext(&saved.user, &saved.sec_context);
    SetUserIdAndSecContext(extension_row().owner,
                           saved.sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
    return saved;
}

void restore_user(SavedUser saved) { SetUserIdAndSecContext(saved.user, saved.sec_context); }

Oid corpus_relid() {
    Oid relid = get_relname_relid("clara_documents", extension_row().nsp);
    if (!OidIsValid(relid))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("table clara_documents does not exist"),
                        errhint("Run CREATE EXTENSION clara.")));
    return relid;
}

void check_corpus_owner(const char *what) {
    if (!pg_class_ownercheck(corpus_relid(), GetUserId()))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("must be owner of table clara_documents to run %s", what),
                        errhint("It rewrites the index of every document, including those other roles cannot see.")));
}

int spi_connect() {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "clara: SPI_connect failed");
    int level = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                            false);
    return level;
}

void spi_finish(int guc_nest_level) {
    AtEOXact_GUC(true, guc_nest_level);
    SPI_finish();
}

}  // namespace clara::pg
