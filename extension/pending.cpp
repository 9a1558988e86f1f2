#include "pending.hpp"

#include "bm25.hpp"
#include "catalog.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "utils/lsyscache.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
}

#include <algorithm>

#include "pending_row.hpp"

#include <string_view>

namespace clara::pg {

namespace {

// Calls visit(doc_key, view) for every pending row the caller's snapshot
// sees, in doc_key order. Through the primary key's index, not SPI: SPI
// would copy every row's bytes into its tuple table first (a sixth of a
// keyword query's time with a full 4 MB list, and a sort node for an ORDER
// BY took 50 ms more); here each row is read in place from its buffer page
// (clara_pending keeps rows inline, STORAGE MAIN). Not a heap scan either:
// every flush deletes the whole list, and after many flushes by concurrent
// writers the heap held 35 MB of mostly empty pages for 169 rows, which a
// heap scan read in every search (keyword queries 35 ms instead of 12);
// the index visits only the rows' pages, and the dead entries a flush left
// are marked dead by the first scan that meets them. Per row, what
// DatumGetByteaPP allocates goes into a context reset per row. A row is
// opened, not parsed: visit checks the parts it reads and returns false if
// they are damaged (core/pending_row.hpp).
template <typename Visit>
void scan_pending(const char *schema, Visit &&visit) {
    Relation rel = table_open(get_relname_relid("clara_pending", get_namespace_oid(schema, false)), AccessShareLock);
    TupleDesc desc = RelationGetDescr(rel);
    const int key_att = SPI_fnumber(desc, "doc_key"), data_att = SPI_fnumber(desc, "data");
    const Oid pkey = RelationGetPrimaryKeyIndex(rel);
    if (key_att <= 0 || data_att <= 0 || !OidIsValid(pkey))
        elog(ERROR, "clara: clara_pending lacks its columns or its primary key");
    Relation index = index_open(pkey, AccessShareLock);
    IndexScanDesc scan = index_beginscan(rel, index, GetActiveSnapshot(), 0, 0);
    index_rescan(scan, nullptr, 0, nullptr, 0);
    TupleTableSlot *slot = table_slot_create(rel, nullptr);
    MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext, "clara pending row", ALLOCSET_SMALL_SIZES);
    while (index_getnext_slot(scan, ForwardScanDirection, slot)) {
        CHECK_FOR_INTERRUPTS();
        MemoryContext old = MemoryContextSwitchTo(row_cxt);
        bool null_key, null_data;
        const auto key = static_cast<uint32_t>(DatumGetInt32(slot_getattr(slot, key_att, &null_key)));
        Datum data = slot_getattr(slot, data_att, &null_data);
        if (null_key || null_data) malformed_pending_row(key);
        bytea *bytes = DatumGetByteaPP(data);
        clara::PendingView view;
        if (!view.open(reinterpret_cast<const unsigned char *>(VARDATA_ANY(bytes)), VARSIZE_ANY_EXHDR(bytes)) ||
            !visit(key, view))
            malformed_pending_row(key);
        MemoryContextSwitchTo(old);
        MemoryContextReset(row_cxt);
    }
    MemoryContextDelete(row_cxt);
    ExecDropSingleTupleTableSlot(slot);
    index_endscan(scan);
    index_close(index, AccessShareLock);
    table_close(rel, AccessShareLock);
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
        bool intact = true;
        run_cpp("ranking", [&] {
            intact = view.match_terms(m->terms, [&](size_t q, uint32_t tf, uint32_t title_tf) {
                clara::append_posting(m->blocks[q], clara::Posting{key, tf, view.doc_length(), title_tf});
                m->dfs[q]++;
            });
        });
        return intact;
    });
}

void pending_gram_postings(const char *schema, const std::vector<clara::GramCount> &grams, PendingMatches *m) {
    run_cpp("vector search", [&] {
        m->grams.clear();
        for (const clara::GramCount &g : grams) m->grams.push_back(g.gram);
        m->dfs.assign(grams.size(), 0);
        m->blocks.assign(grams.size(), std::string());
        m->postings.assign(grams.size(), std::vector<clara::GramPosting>());
    });
    scan_pending(schema, [&](uint32_t key, const clara::PendingView &view) {
        run_cpp("vector search", [&] {
            view.match_grams(m->grams, [&](size_t q, uint32_t tf) {
                m->postings[q].push_back(clara::GramPosting{key, tf, view.lead_length()});
                m->dfs[q]++;
            });
        });
        return true;  // open() checked the grams
    });
    // A block's keys ascend, as scan_pending() visits the rows (doc_key order).
    run_cpp("vector search", [&] {
        clara::GramBlockWriter writer;
        for (size_t q = 0; q < m->postings.size(); q++) {
            const std::vector<clara::GramPosting> &p = m->postings[q];
            if (p.empty()) continue;
            for (const clara::GramPosting &g : p) writer.add(g);
            writer.finish(m->blocks[q]);
        }
        m->postings.clear();
    });
}

}  // namespace clara::pg
