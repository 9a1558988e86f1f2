// Settings: clara.streaming_enabled and clara.streaming_batch_size, the
// seed's STREAMING_ENABLED and STREAMING_BATCH_SIZE.
#pragma once

#include "batch_size.hpp"  // its range and default

#include <cstdint>

namespace clara::pg {

void define_settings();
bool streaming_enabled();
int streaming_batch_size();
// Postings a loading statement buffers before writing them out.
int index_flush_postings();
// Blocks of one term (or gram) at which a statement merges some (0: never).
int index_merge_blocks();
// Pending list (docs/limits.md): a statement adding at most this many
// documents stores each as one pending row (0: never).
int pending_max_docs();
// Bytes of pending rows past which the statement that crossed it moves
// them into the index.
int64_t pending_list_limit_bytes();
// Bytes of pending rows at which a writing statement starts the background
// flush (flush_worker.hpp; 0: never).
int64_t pending_background_limit_bytes();
// Keyword search: weight of the title field's BM25 score (0 = textbook BM25).
double title_weight();

// Hybrid retrieval (search_types other than keyword alone).
enum class FusionMethodSetting { kRrf = 0, kWeighted = 1 };
FusionMethodSetting fusion_method();
int vector_candidates();         // first depth of the vector retriever
double vector_min_similarity();  // a vector match has a similarity above this
int graph_seeds();               // strong hits the graph expands from
const char *graph_edges();       // the edges relation, "" = the extension's clara_edges
// Exports fill the catalogued metadata keys a document lacks with null.
bool uniform_metadata();

}  // namespace clara::pg
