#include "guc.hpp"

#include "merge.hpp"
#include "pg.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace clara::pg {

namespace {
bool g_streaming_enabled = true;
int g_streaming_batch_size = 100;
int g_index_flush_postings = 4 << 20;
int g_index_merge_blocks = kDefaultMergeBlocks;
double g_title_weight = 1.0;
int g_pending_max_docs = 16;
int g_pending_list_limit = 4096;        // kB
int g_pending_background_limit = 1024;  // kB
int g_fusion_method = static_cast<int>(FusionMethodSetting::kWeighted);
int g_vector_candidates = 1000;
double g_vector_min_similarity = 0.0;
int g_graph_seeds = 10;
char *g_graph_edges = nullptr;
bool g_uniform_metadata = true;

const struct config_enum_entry kFusionMethods[] = {
    {"rrf", static_cast<int>(FusionMethodSetting::kRrf), false},
    {"weighted", static_cast<int>(FusionMethodSetting::kWeighted), false},
    {nullptr, 0, false},
};
}  // namespace

void define_settings() {
    DefineCustomBoolVariable("clara.streaming_enabled",
                             "Stream clara_stream rows batch by batch, each batch one query over the next ranked keys.",
                             "When off, clara_stream computes its whole result first, like clara_search.",
                             &g_streaming_enabled, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("clara.streaming_batch_size", "Rows read per batch (one query each) when streaming.",
                            "Larger batches mean fewer round trips inside the server and more memory per batch.",
                            &g_streaming_batch_size, kDefaultBatchSize, kMinBatchSize, kMaxBatchSize, PGC_USERSET, 0,
                            nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "clara.index_flush_postings",
        "Postings (word and gram postings each) a loading statement buffers before writing them out.",
        "Each posting takes 12 bytes plus its term's share; lower it to bound loader memory.", &g_index_flush_postings,
        4 << 20, 1, INT_MAX / 2, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "clara.index_merge_blocks",
        "Blocks of one term's (or gram's) postings at which a writing statement merges some of them; 0 never merges.",
        "Each writing statement adds a block per term it touches; merging keeps a term's blocks below this number "
        "and rewrites a posting into a block at least twice as large only (docs/limits.md). clara_compact() still "
        "drops the postings of deleted documents.",
        &g_index_merge_blocks, kDefaultMergeBlocks, 0, 1000000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "clara.pending_max_docs",
        "Documents a writing statement may add at most to store them in the pending list instead of the index.",
        "Such a statement writes one clara_pending row per document instead of a postings row per term and gram; "
        "searches read the pending rows as if indexed; 0 indexes every statement at once (docs/limits.md).",
        &g_pending_max_docs, 16, 0, 1000000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "clara.pending_list_limit",
        "Size of the pending list at which the writing statement that crosses it moves it into the index.",
        "Like GIN's gin_pending_list_limit: every search reads the whole pending list, so a larger list makes "
        "small writes cheaper and searches slower; clara_flush_pending() and clara_compact() empty it too.",
        &g_pending_list_limit, 4096, 64, MAX_KILOBYTES, PGC_USERSET, GUC_UNIT_KB, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "clara.pending_background_limit",
        "Size of the pending list at which a writing statement starts a background worker that moves it into the "
        "index; 0 never does.",
        "The worker flushes in its own transaction on another core, so small writes do not pay the flush and "
        "searches read a short list; it needs a free slot of max_worker_processes. At or past "
        "clara.pending_list_limit the writing statement flushes the list itself (docs/limits.md).",
        &g_pending_background_limit, 1024, 0, MAX_KILOBYTES, PGC_USERSET, GUC_UNIT_KB, nullptr, nullptr, nullptr);
    DefineCustomRealVariable(
        "clara.title_weight",
        "Keyword search: weight of a query term's score in the document's title, added to its BM25 score.",
        "The title score is idf * tf (k1 + 1) / (tf + k1) over the title's occurrences; 0 gives textbook Okapi "
        "BM25. The default ranked best on the real evaluation sets (docs/hybrid.md).",
        &g_title_weight, 1.0, 0.0, 100.0, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomEnumVariable(
        "clara.fusion_method", "How hybrid search combines the keyword, vector and graph lists: rrf or weighted.",
        "rrf: sum of weight / (60 + rank); weighted: sum of weight * score / best score of the list. "
        "The default is the one that ranked best on the evaluation set (docs/hybrid.md).",
        &g_fusion_method, static_cast<int>(FusionMethodSetting::kWeighted), kFusionMethods, PGC_USERSET, 0, nullptr,
        nullptr, nullptr);
    DefineCustomIntVariable(
        "clara.vector_candidates", "Documents the vector retriever hands to fusion at first (at least 2 x top_k).",
        "When filters leave fewer than top_k results, the vector list is deepened four-fold until they do.",
        &g_vector_candidates, 1000, 1, 10000000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomRealVariable(
        "clara.vector_min_similarity", "Similarity (0..1) a document must exceed to be a vector match.",
        "The similarity is the share of the query's 4-gram weight a document matches; 0 keeps every document "
        "sharing a 4-gram with the query; a threshold such as 0.3 keeps words no document is about from "
        "returning documents that share only common grams with them.",
        &g_vector_min_similarity, 0.0, 0.0, 0.99, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("clara.graph_seeds", "Strongest keyword/vector hits the graph search expands from.",
                            "Documents citing or cited by these seeds get a graph score.", &g_graph_seeds, 10, 1, 10000,
                            PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable(
        "clara.graph_edges",
        "Relation with the citation graph (src_id text, dst_id text): a table, view or foreign table.",
        "Empty: the extension's clara_edges table.", &g_graph_edges, "", PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable(
        "clara.uniform_metadata", "Export every catalogued metadata key on every line, null where a document has none.",
        "Keeps one set of keys per export, as Hugging Face datasets and pyarrow need; off writes each "
        "document's stored keys only (docs/training.md#stable-types).",
        &g_uniform_metadata, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("clara");
}

bool streaming_enabled() { return g_streaming_enabled; }
int streaming_batch_size() { return g_streaming_batch_size; }
int index_flush_postings() { return g_index_flush_postings; }
int index_merge_blocks() { return g_index_merge_blocks; }
double title_weight() { return g_title_weight; }
int pending_max_docs() { return g_pending_max_docs; }
int64_t pending_list_limit_bytes() { return static_cast<int64_t>(g_pending_list_limit) * 1024; }
int64_t pending_background_limit_bytes() { return static_cast<int64_t>(g_pending_background_limit) * 1024; }
FusionMethodSetting fusion_method() { return static_cast<FusionMethodSetting>(g_fusion_method); }
int vector_candidates() { return g_vector_candidates; }
double vector_min_similarity() { return g_vector_min_similarity; }
int graph_seeds() { return g_graph_seeds; }
bool uniform_metadata() { return g_uniform_metadata; }
const char *graph_edges() { return g_graph_edges != nullptr ? g_graph_edges : ""; }

}  // namespace clara::pg
