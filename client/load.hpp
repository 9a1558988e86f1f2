// `clara-stream load`: JSONL documents -> clara_documents (+ clara_edges),
// validated in the client, streamed with COPY FROM STDIN into a staging
// table, upserted in one transaction.
#pragma once

#include "core/connection_target.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace clara::cli {

enum class OnError { abort, skip };

struct LoadOptions {
    std::string input;  // a path, or "-" for stdin
    OnError on_error = OnError::abort;
    size_t max_line_bytes = size_t{64} << 20;  // a longer line is a bad line
    ConnectionTarget connection;               // --dsn, -h, -p, -U, -d
    bool quiet = false;
    std::chrono::steady_clock::time_point started;
};

// Throws Failure; nothing is loaded unless it returns.
void run_load(const LoadOptions &options);

}  // namespace clara::cli
