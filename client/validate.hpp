// `clara-stream validate FILE|DIR`: checks that a JSONL dataset (one file,
// or an --output-dir directory with its .gz / .zst shards and manifest) has
// one shape on every line (core/line_schema.hpp), before a trainer finds
// out. No server needed.
#pragma once

#include <string>

namespace clara::cli {

struct ValidateOptions {
    std::string path;   // a .jsonl[.gz|.zst] file, - for stdin, or a dataset directory
    bool json = false;  // the verdict as one JSON object on stdout
    bool quiet = false;
};

// Returns when the dataset is uniform; throws Failure (invalid_dataset with
// "FILE:LINE: reason", io when it cannot be read) otherwise.
void run_validate(const ValidateOptions &options);

}  // namespace clara::cli
