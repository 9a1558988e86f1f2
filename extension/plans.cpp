#include "plans.hpp"

namespace clara::pg {

SPIPlanPtr keep_plan(KeptPlan *slot, const char *schema, const char *sql, int nargs, Oid *types, int cursor_options) {
    if (strlen(schema) >= sizeof slot->schema) elog(ERROR, "clara: schema name \"%s\" too long", schema);
    SPIPlanPtr plan = SPI_prepare_cursor(sql, nargs, types, cursor_options);
    if (plan == nullptr) elog(ERROR, "clara: could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
    // Into CacheMemoryContext: from here on it outlives SPI_finish and the
    // transaction, and an error below leaves the slot as it was.
    if (SPI_keepplan(plan) != 0) elog(ERROR, "clara: could not keep the plan of \"%s\"", sql);
    slot->plan = plan;
    strlcpy(slot->schema, schema, sizeof slot->schema);
    return plan;
}

void execute_kept(SPIPlanPtr plan, Datum *args, int expected, const char *what, bool read_only) {
    const int rc = SPI_execute_plan(plan, args, nullptr, read_only, 0);
    if (rc != expected) elog(ERROR, "clara: could not %s: %s", what, SPI_result_code_string(rc));
}

}  // namespace clara::pg
