// `clara-stream generate`: the deterministic sample corpus
// (tools/generator/corpus_generator.hpp) as `load` input.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace clara::cli {

struct GenerateOptions {
    uint64_t docs = 0;
    uint64_t seed = 42;
    std::string output = "-";
    // Ground truth of the same documents as TSV (empty: none), see docs/cli.md.
    std::string truth;
    bool quiet = false;
    std::chrono::steady_clock::time_point started;
};

void run_generate(const GenerateOptions &options);

}  // namespace clara::cli
