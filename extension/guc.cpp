#include "guc.hpp"

#include "pg.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace clara::pg {

namespace {
bool g_streaming_enabled = true;
int g_streaming_batch_size = 100;
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
    MarkGUCPrefixReserved("clara");
}

bool streaming_enabled() { return g_streaming_enabled; }
int streaming_batch_size() { return g_streaming_batch_size; }

}  // namespace clara::pg
