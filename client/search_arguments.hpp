// The arguments clara_stream_jsonl and clara_stats share, as the command
// line gave them (already checked and turned into JSON by client/core).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace clara::cli {

struct SearchArguments {
    std::string query;
    int top_k = 1000;
    double min_quality = 0.5;
    std::string filters_json = "{}";
    std::optional<std::string> search_types;  // "keyword,vector"; nullopt: the server's default
    std::optional<std::string> weights_json;  // nullopt: the server's default
    // Token-budget chunks (export only): a registered tokenizer's name.
    std::optional<std::string> tokenizer;
    std::optional<int> chunk_tokens;
    int chunk_overlap = 0;
    // The line's shape (export only): raw, text, messages, prompt-completion, alpaca.
    std::string format = "raw";
    std::optional<std::string> prompt_template;
    std::optional<std::string> text_template;
    // Splits (export only): "validation=0.02,test=0.01", their seed.
    std::optional<std::string> split;
    long long split_seed = 0;
    std::optional<long long> token_budget;  // tokens of --tokenizer for the whole export
    // Duplicates (export only): exact, near or none; nullopt: none.
    std::optional<std::string> dedup;
    // The export ledger (export only): record under NAME; keep out NAME or
    // NAME:split; keep earlier validation/test documents out of train.
    std::optional<std::string> record;
    std::vector<std::string> exclude;
    bool exclude_held_out = true;
    // Decontamination (export only): registered evaluation sets; report
    // keeps their documents and writes metadata.eval_overlap instead.
    std::vector<std::string> decontaminate;
    bool decontaminate_report = false;
};

// A double as text that reads back to the same value.
std::string exact_double(double v);

}  // namespace clara::cli
