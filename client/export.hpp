// The export: one COPY (SELECT clara_stream_jsonl(...)) TO STDOUT, bytes
// written to the output as they arrive.
#pragma once

#include "core/connection_target.hpp"
#include "search_arguments.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace clara::cli {

struct ExportOptions {
    SearchArguments search;
    int batch_size = 100;
    std::string output;                // a path, or "-" for stdout
    std::string output_dir;            // instead of output: a dataset directory (shards, manifest.json, README.md)
    std::string compression = "none";  // for output_dir: none, gzip, zstd (output: by its extension)
    unsigned long long shard_size = 512ull << 20;  // text bytes per shard (output_dir)
    bool resume = false;                           // continue the killed export that left output_dir.partial
    std::vector<std::string> argv;                 // the command line, for the manifest
    std::string version;                           // "clara-stream X.Y.Z", for the manifest
    ConnectionTarget connection;                   // --dsn, -h, -p, -U, -d
    bool quiet = false;
    std::chrono::steady_clock::time_point started;  // for time to first document
};

class Connection;

// --tokenizer PATH|NAME: a readable file is registered on the server under
// its sha256 and that name returned; anything else is a registered name.
std::optional<std::string> resolve_tokenizer(Connection &conn, const std::string &schema,
                                             const std::optional<std::string> &given);

// Throws Failure; on any failure the output path is left as it was.
void run_export(const ExportOptions &options);

}  // namespace clara::cli
