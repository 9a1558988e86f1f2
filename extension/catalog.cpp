#include "catalog.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "utils/fmgroids.h"
#include "commands/extension.h"
#include "utils/rel.h"
}

#include <cstring>

namespace clara::pg {

namespace {

// The namespace clara was created in (PostgreSQL 15 exports no helper).
char *extension_namespace_name() {
    Oid ext = get_extension_oid("clara", true);
    if (!OidIsValid(ext))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("extension \"clara\" is not installed"),
                        errhint("Run CREATE EXTENSION clara.")));
    Relation rel = table_open(ExtensionRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ext));
    SysScanDesc scan = systable_beginscan(rel, ExtensionOidIndexId, true, nullptr, 1, &key);
    HeapTuple tuple = systable_getnext(scan);
    if (!HeapTupleIsValid(tuple)) elog(ERROR, "clara: extension %u vanished", ext);
    Oid nsp = reinterpret_cast<Form_pg_extension>(GETSTRUCT(tuple))->extnamespace;
    // The SQL objects must be the ones this library was built for: an older
    // version's tables lack what the code reads and writes.
    bool isnull;
    Datum version = heap_getattr(tuple, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);
    char *installed = isnull ? pstrdup("?") : TextDatumGetCString(version);
    if (strcmp(installed, kExtensionVersion) != 0)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("the clara extension in this database is version %s, its library is %s", installed,
                               kExtensionVersion),
                        errhint("Run ALTER EXTENSION clara UPDATE.")));
    systable_endscan(scan);
    table_close(rel, AccessShareLock);
    return get_namespace_name(nsp);
}

}  // namespace

const char *extension_schema() { return quote_identifier(extension_namespace_name()); }


}  // namespace clara::pg
