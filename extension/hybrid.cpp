// Hybrid ranking: keyword (BM25), vector (character 4-grams) and graph (citations)
// lists fused by RRF or weighted scores (core/fusion.hpp), then the same
// checks as keyword search: filters, min_quality and visibility inside the
// ranking, ties by document_id.
//
//  * keyword: every document containing a query term, BM25 with the title
//    boost.
//  * vector: the clara.vector_candidates (at least 2 x top_k) documents of
//    highest similarity above clara.vector_min_similarity. If the checks
//    leave fewer than top_k results and more documents were similar, the
//    list is deepened four-fold (from the same scores) and the fusion
//    redone, so the result is exactly min(top_k, documents some retriever
//    matched that pass the checks).
//  * graph: documents citing or cited by the clara.graph_seeds best
//    documents of keyword + vector fused (seeds pass the same checks), scored
//    by core/fusion.hpp's graph_scores (noisy-or of 0.5 x seed score).
//    The edges come from clara.graph_edges (a table, view or foreign table
//    with src_id, dst_id text), by default the extension's clara_edges, in
//    one query per search.
#include "catalog.hpp"
#include "guc.hpp"
#include "rank.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "utils/regproc.h"
}

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace clara::pg {

namespace {

clara::FusionOptions fusion_options(const clara::FusionWeights &weights) {
    clara::FusionOptions o;
    o.method = fusion_method() == FusionMethodSetting::kRrf ? clara::FusionMethod::kRrf
                                                            : clara::FusionMethod::kWeighted;
    o.weights = weights;
    o.rrf_k = 60.0;
    o.normalisation = clara::ScoreNormalisation::kDivideByMax;
    o.ordered = 0;  // select_results orders as far as it reads
    return o;
}

// The edges relation, schema-qualified and quoted: clara.graph_edges or the
// extension's clara_edges (*own set: read as the index owner, so searchers
// need no privilege on it). The name is resolved to an existing relation
// before it is used in a query, and checked for its two columns; a relation
// of the caller's choice is read with the caller's privileges.
const char *edges_relation(const char *schema, bool *own) {
    const char *setting = graph_edges();
    *own = setting[0] == '\0';
    if (*own) return psprintf("%s.clara_edges", schema);
    List *names = stringToQualifiedNameList(setting);
    Oid relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
    if (!OidIsValid(relid))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                        errmsg("relation \"%s\" named by clara.graph_edges does not exist", setting),
                        errhint("Set clara.graph_edges to a table, view or foreign table with src_id and dst_id "
                                "text columns, or RESET it to use clara_edges.")));
    for (const char *column : {"src_id", "dst_id"})
        if (get_attnum(relid, column) == InvalidAttrNumber)
            ereport(ERROR,
                    (errcode(ERRCODE_UNDEFINED_COLUMN),
                     errmsg("relation \"%s\" named by clara.graph_edges has no column \"%s\"", setting, column),
                     errhint("The edges relation needs src_id (the citing document) and dst_id (the cited one).")));
    return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

// document_id of each key in keys (visible documents only), and back.
struct IdMap {
    std::unordered_map<std::string, uint32_t> key_of;
    std::vector<std::string> ids;  // of the seeds, for the edges query
};

// Runs sql ($1 = array param of the given type) and records
// (doc_key, document_id) rows in map.
void read_ids(IdMap *map, const char *sql, Oid type, Datum arg, bool seeds) {
    if (SPI_execute_with_args(sql, 1, &type, &arg, nullptr, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not read document ids");
    for (uint64 i = 0; i < SPI_processed; i++) {
        bool isnull;
        uint32_t key = static_cast<uint32_t>(
            DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)));
        text *id = DatumGetTextPP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
        std::string_view view(VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id));
        run_cpp("graph search", [&] {
            map->key_of.emplace(std::string(view), key);
            if (seeds) map->ids.emplace_back(view);
        });
    }
    SPI_freetuptable(SPI_tuptable);
}

// The graph list from r->seeds: their edges, in one query, and the graph
// score of every document at the other end.
void expand_graph(Ranking *r, const SearchRequest *req, const char *schema, MemoryContext scratch) {
    MemoryContext old = MemoryContextSwitchTo(scratch);
    IdMap *map = make_owned<IdMap>(scratch);
    run_cpp("graph search", [&] {
        r->graph.clear();
        r->edges.clear();
    });
    int nseeds = static_cast<int>(r->seeds.size());
    if (nseeds == 0) {
        MemoryContextSwitchTo(old);
        return;
    }
    auto *keys = static_cast<Datum *>(palloc(sizeof(Datum) * nseeds));
    for (int i = 0; i < nseeds; i++) keys[i] = Int32GetDatum(static_cast<int32>(r->seeds[i].doc_key));
    read_ids(map, psprintf("SELECT doc_key, document_id FROM %s.clara_documents WHERE doc_key = ANY($1)", schema),
             INT4ARRAYOID, int4_array(keys, nseeds), true);

    // One query for all edges touching a seed (postgres_fdw ships the
    // whole condition to a foreign edges table). The ends are cast to text:
    // a relation whose columns are of another type (name, varchar, a
    // foreign table's) is read as text, never reinterpreted.
    const bool own_edges = req->own_edges;
    char *sql = psprintf(
        "SELECT e.src_id::text, e.dst_id::text FROM %s e "
        "WHERE e.src_id::text = ANY($1) OR e.dst_id::text = ANY($1)",
        req->edges);
    Oid type = TEXTARRAYOID;
    auto **ids = static_cast<char **>(palloc(sizeof(char *) * Max(map->ids.size(), (size_t)1)));
    for (size_t i = 0; i < map->ids.size(); i++) ids[i] = const_cast<char *>(map->ids[i].c_str());
    Datum arg = text_array(ids, static_cast<int>(map->ids.size()));
    SavedUser caller{};
    if (own_edges) caller = as_index_owner();
    if (SPI_execute_with_args(sql, 1, &type, &arg, nullptr, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "clara: could not read the citation graph");
    if (own_edges) restore_user(caller);
    SPITupleTable *edges = SPI_tuptable;
    uint64 nedges = SPI_processed;
    // The other ends' keys (visible documents only).
    auto *others = static_cast<Datum *>(palloc(sizeof(Datum) * Max(nedges * 2, (uint64)1)));
    int nothers = 0;
    for (uint64 i = 0; i < nedges; i++) {
        for (int col = 1; col <= 2; col++) {
            bool isnull;
            Datum d = SPI_getbinval(edges->vals[i], edges->tupdesc, col, &isnull);
            if (!isnull) others[nothers++] = d;
        }
    }
    read_ids(map, psprintf("SELECT doc_key, document_id FROM %s.clara_documents WHERE document_id = ANY($1)", schema),
             TEXTARRAYOID, PointerGetDatum(construct_array(others, nothers, TEXTOID, -1, false, TYPALIGN_INT)), false);
    for (uint64 i = 0; i < nedges; i++) {
        CHECK_FOR_INTERRUPTS();
        bool null_src, null_dst;
        Datum src_datum = SPI_getbinval(edges->vals[i], edges->tupdesc, 1, &null_src);
        Datum dst_datum = SPI_getbinval(edges->vals[i], edges->tupdesc, 2, &null_dst);
        if (null_src || null_dst) continue;  // an edge with a missing end links nothing
        text *src = DatumGetTextPP(src_datum);
        text *dst = DatumGetTextPP(dst_datum);
        std::string_view s(VARDATA_ANY(src), VARSIZE_ANY_EXHDR(src));
        std::string_view d(VARDATA_ANY(dst), VARSIZE_ANY_EXHDR(dst));
        run_cpp("graph search", [&] {
            auto a = map->key_of.find(std::string(s));
            auto b = map->key_of.find(std::string(d));
            if (a != map->key_of.end() && b != map->key_of.end()) r->edges.push_back(clara::Edge{a->second, b->second});
        });
    }
    SPI_freetuptable(edges);
    run_cpp("graph search", [&] { r->graph = clara::graph_scores(r->seeds, r->edges); });
    MemoryContextSwitchTo(old);
    MemoryContextReset(scratch);
}

// The graph's seeds: the best graph_seeds documents of keyword + vector
// fused that pass the checks, with their fused scores (0..1).
void choose_seeds(Ranking *r, const SearchRequest *req, const char *schema) {
    clara::FusionWeights w;
    w.keyword = req->searches(clara::SearchType::kKeyword) ? req->weights.keyword : 1.0;
    w.vector = req->searches(clara::SearchType::kVector) ? req->weights.vector : 1.0;
    w.graph = 0.0;
    if (w.keyword == 0.0 && w.vector == 0.0) w.keyword = w.vector = 1.0;
    clara::FusionLists lists{&r->keyword, &r->vector, nullptr};
    run_cpp("fusion", [&] { clara::fuse(lists, fusion_options(w), r->fusion, r->candidates); });
    int64 n = graph_seeds();
    select_results(r, schema, req, false, n);
    break_ties(r, schema, n);
    run_cpp("fusion", [&] {
        r->seeds.clear();
        for (size_t i = 0; i < r->keys.size(); i++)
            r->seeds.push_back(clara::ScoredDoc{static_cast<uint32_t>(r->keys[i]), r->scores[i]});
        r->keys.clear();
        r->scores.clear();
    });
}

}  // namespace

void resolve_edges(SearchRequest *req) {
    req->edges = nullptr;
    req->own_edges = false;
    if (req->searches(clara::SearchType::kGraph)) req->edges = edges_relation(extension_schema(), &req->own_edges);
}

void rank_hybrid(Ranking *r, const SearchRequest *req, const char *schema) {
    const bool graph = req->searches(clara::SearchType::kGraph);
    const bool need_keyword = req->searches(clara::SearchType::kKeyword) || graph;
    const bool need_vector = req->searches(clara::SearchType::kVector) || graph;
    if (need_keyword && keyword_candidates(r, req, schema))
        run_cpp("ranking", [&] {
            r->keyword.swap(r->candidates);
            // RRF fuses ranks: the keyword list in order (weighted fusion needs none).
            if (fusion_method() == FusionMethodSetting::kRrf)
                std::sort(r->keyword.begin(), r->keyword.end(), clara::ranks_before);
        });

    MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "clara graph", ALLOCSET_DEFAULT_SIZES);
    const std::string_view query(req->query, req->query_len);
    size_t depth = static_cast<size_t>(
        Max(static_cast<int64>(vector_candidates()), 2 * static_cast<int64>(req->top_k)));
    for (;;) {
        bool truncated = false;
        if (need_vector) vector_candidates(&r->scan, query, depth, schema, &r->vector, &truncated);
        if (graph) {
            choose_seeds(r, req, schema);
            expand_graph(r, req, schema, scratch);
        }
        clara::FusionLists lists{req->searches(clara::SearchType::kKeyword) ? &r->keyword : nullptr,
                                 req->searches(clara::SearchType::kVector) ? &r->vector : nullptr,
                                 graph ? &r->graph : nullptr};
        run_cpp("fusion", [&] { clara::fuse(lists, fusion_options(req->weights), r->fusion, r->candidates); });
        select_results(r, schema, req, false, req->top_k);
        // Too few results pass the checks, and the vector list taking part in
        // the fusion was cut: deepen it. (Seeds come from the first hits, so
        // a deeper list would not change the graph.)
        const bool vector_counts = req->searches(clara::SearchType::kVector) && req->weights.vector > 0.0;
        if (static_cast<int64>(r->keys.size()) >= req->top_k || !truncated || !vector_counts) break;
        depth = depth > SIZE_MAX / 4 ? SIZE_MAX : depth * 4;
        run_cpp("ranking", [&] {
            r->keys.clear();
            r->scores.clear();
        });
    }
    MemoryContextDelete(scratch);
    break_ties(r, schema, req->top_k);
}

}  // namespace clara::pg
