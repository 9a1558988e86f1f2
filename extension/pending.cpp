#include "pending.hpp"

#include "bm25.hpp"
#include "catalog.hpp"
#include "plans.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "utils/lsyscache.h"
}

#include "pending_row.hpp"

#include <string_view>

namespace clara::pg {

namespace {

KeptPlan g_read_pending;

// Calls visit(doc_key, view) for every pending row the caller's snapshot
// sees, in doc_key order (gram blocks need ascending keys). Each row is read
// in a memory context reset per row.
template <typename Visit>
void scan_pending(const char *schema, Visit &&visit) {
    SPIPlanPtr plan = kept_plan(&g_read_pending, schema, 0, nullptr, 0, [&] {
        return psprintf("SELECT doc_key, data FROM %s.clara_pending ORDER BY doc_key", schema);
    });
    if (SPI_execute_plan(plan, nullptr, nullptr, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not read the pending list");
    SPITupleTable *rows = SPI_tuptable;
    const uint64 nrows = SPI_processed;
    MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext, "clara pending row", ALLOCSET_SMALL_SIZES);
    for (uint64 i = 0; i < nrows; i++) {
        CHECK_FOR_INTERRUPTS();
        MemoryContext old = MemoryContextSwitchTo(row_cxt);
        bool null_key, null_data;
        const auto key = static_cast<uint32_t>(
            DatumGetInt32(SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &null_key)));
        Datum data = SPI_getbinval(rows->vals[i], rows->tupdesc, 2, &null_data);
        if (null_key || null_data) malformed_pending_row(key);
        bytea *bytes = DatumGetByteaPP(data);
        clara::PendingView view;
        if (!view.parse(reinterpret_cast<const unsigned char *>(VARDATA_ANY(bytes)), VARSIZE_ANY_EXHDR(bytes)))
            malformed_pending_row(key);
        visit(key, view);
        MemoryContextSwitchTo(old);
        MemoryContextReset(row_cxt);
    }
    MemoryContextDelete(row_cxt);
    SPI_freetuptable(rows);
}

}  // namespace

void malformed_pending_row(uint32_t doc_key) {
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("clara_pending holds a malformed row (doc_key %d)", static_cast<int32>(doc_key)),
                    errhint("Run SELECT clara_compact() to rebuild the index.")));
}

bool pending_list_exists(const char *schema) {
    Oid nsp = get_namespace_oid(schema, true);
    return OidIsValid(nsp) && OidIsValid(get_relname_relid("clara_pending", nsp));
}

void pending_term_postings(const char *schema, char **lexemes, int n, PendingMatches *m) {
    run_cpp("ranking", [&] {
        m->terms.clear();
        for (int i = 0; i < n; i++) m->terms.emplace_back(lexemes[i]);
        m->dfs.assign(n, 0);
        m->blocks.assign(n, std::string());
    });
    scan_pending(schema, [&](uint32_t key, const clara::PendingView &view) {
        run_cpp("ranking", [&] {
            view.match_terms(m->terms, [&](size_t q, uint32_t tf, uint32_t title_tf) {
                clara::append_posting(m->blocks[q], clara::Posting{key, tf, view.doc_length(), title_tf});
                m->dfs[q]++;
            });
        });
    });
}

void pending_gram_postings(const char *schema, const std::vector<clara::GramCount> &grams, PendingMatches *m) {
    run_cpp("vector search", [&] {
        m->grams.clear();
        for (const clara::GramCount &g : grams) m->grams.push_back(g.gram);
        m->dfs.assign(grams.size(), 0);
        m->blocks.assign(grams.size(), std::string());
        m->writers.assign(grams.size(), clara::GramBlockWriter());
    });
    scan_pending(schema, [&](uint32_t key, const clara::PendingView &view) {
        run_cpp("vector search", [&] {
            view.match_grams(m->grams, [&](size_t q, uint32_t tf) {
                m->writers[q].add(clara::GramPosting{key, tf, view.lead_length()});
                m->dfs[q]++;
            });
        });
    });
    run_cpp("vector search", [&] {
        for (size_t q = 0; q < m->writers.size(); q++)
            if (!m->writers[q].empty()) m->writers[q].finish(m->blocks[q]);
        m->writers.clear();
    });
}

}  // namespace clara::pg
