#include "guc.hpp"

#include "pg.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace clara::pg {

namespace {
bool g_streaming_enabled = true;
int g_streaming_batch_size = 100;
int g_index_flush_postings = 4 << 20;
}  // namespace

void define_settings() {
    DefineCustomBoolVariable(
        "clara.streaming_enabled",
        "Stream clara_stream rows from a cursor batch by batch.",
        "When off, clara_stream computes its whole result first, like clara_search.",
        &g_streaming_enabled, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "clara.streaming_batch_size",
        "Rows fetched from the cursor per batch when streaming.",
        "Larger batches mean fewer round trips inside the server and more memory per batch.",
        &g_streaming_batch_size, 100, kMinBatchSize, kMaxBatchSize, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "clara.index_flush_postings",
        "Postings a loading statement buffers before writing them to clara_postings.",
        "Each posting takes 12 bytes plus its term's share; lower it to bound loader memory.",
        &g_index_flush_postings, 4 << 20, 1, INT_MAX / 2, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("clara");
}

bool streaming_enabled() { return g_streaming_enabled; }
int streaming_batch_size() { return g_streaming_batch_size; }
int index_flush_postings() { return g_index_flush_postings; }

}  // namespace clara::pg
