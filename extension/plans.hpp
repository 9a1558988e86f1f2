// Statements the glue runs in every writing statement (the index trigger's
// postings, document frequencies and merges; the metadata catalogue's read),
// parsed, analysed and planned once per backend instead of at every call:
// parsing and planning them was about a tenth of a single-row INSERT's
// backend time (docs/benchmarks.md, Single-row INSERTs).
//
// A kept plan (SPI_keepplan) lives in the plan cache, which re-plans it
// from its text whenever a table it reads changes (ALTER EXTENSION UPDATE,
// DROP and CREATE EXTENSION, ANALYZE), as it does for PL/pgSQL's
// statements. The text names the extension's schema, so a slot holds the
// plan of one schema; the plan is executed as the role that runs it (the
// index owner, between as_index_owner() and restore_user()), with the
// search_path it was planned under (spi_connect()'s).
#pragma once

#include "pg.hpp"

#include <cstring>

namespace clara::pg {

// One statement's plan: a static of the file that runs it.
struct KeptPlan {
    char schema[2 * NAMEDATALEN + 3];  // quoted schema the plan's text names; "" before its first use
    SPIPlanPtr plan;
};

// Prepares sql with the argument types and cursor options, keeps the plan
// in *slot for schema and returns it. A plan kept for another schema stays
// allocated: an outer statement may still be running it.
SPIPlanPtr keep_plan(KeptPlan *slot, const char *schema, const char *sql, int nargs, Oid *types, int cursor_options);

// slot's plan for schema (the quoted name the statement's text uses),
// prepared from sql() (a psprintf'd text, built only then) at the first call
// of the backend or after the extension moved to another schema. SPI must
// be connected.
template <typename Sql>
SPIPlanPtr kept_plan(KeptPlan *slot, const char *schema, int nargs, Oid *types, int cursor_options, Sql &&sql) {
    if (slot->plan != nullptr && strcmp(slot->schema, schema) == 0) return slot->plan;
    return keep_plan(slot, schema, sql(), nargs, types, cursor_options);
}

// Runs plan with args (none NULL); an error unless SPI answers expected.
// read_only as SPI_execute_plan's.
void execute_kept(SPIPlanPtr plan, Datum *args, int expected, const char *what, bool read_only = false);

}  // namespace clara::pg
