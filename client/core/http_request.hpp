// The HTTP API's requests -> the arguments of clara_stream_jsonl,
// clara_search and clara_stats, and the small decisions `serve` makes about
// a request (file name, token, status for a server error). Pure C++
// (nlohmann/json only): unit-tested without a server or a socket.
//
// Like the CLI, the client side only checks types and ranges; which filter
// keys and search types exist is the extension's business (one list, in the
// server), and its errors come back as 400 with the field they are about.
#pragma once

#include "batch_size.hpp"
#include "search_arguments.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clara::cli {

// A request that cannot be served as sent: HTTP 400 with
// {"error": what(), "field": field()} (field "" when it is about the whole body).
class RequestError : public std::invalid_argument {
public:
    RequestError(const std::string &field, const std::string &message)
        : std::invalid_argument(message), field_(field) {}
    const std::string &field() const { return field_; }

private:
    std::string field_;
};

// The defaults of the seed's DatasetSearchQuery (the CLI's --top-k is 1000).
constexpr int kDefaultTopK = 100;
constexpr double kDefaultMinQuality = 0.5;
// JSON in a request (body, filters/weights parameters) nests at most this
// deep; the seed's deepest request is 4 levels.
constexpr int kMaxJsonDepth = 64;

struct DatasetRequest {
    std::string name = "dataset";
    SearchArguments search;
    int batch_size = kDefaultBatchSize;
    bool training = false;  // a "training" object was given (stream only)
};

// The seed's body for POST /api/datasets/stream and /search:
//   {"name": "...", "description": "...",
//    "search_query": {"query_text": "...", "top_k": 5000, "min_quality_score": 0.6,
//                     "filters": {...}, "search_types": [...], "weights": {...}},
//    "export_formats": ["jsonl"], "batch_size": 100,
//    "training": {"tokenizer": "llama3", "chunk_tokens": 2048, "chunk_overlap": 128, "format": "messages",
//                 "prompt_template": "...", "text_template": "...", "split": "validation=0.02",
//                 "split_seed": 7, "token_budget": 1000000, "dedup": "near",
//                 "decontaminate": ["mmlu-de"], "decontaminate_mode": "drop"}}   (the stream endpoint only)
// Only search_query.query_text is required. Unknown keys are errors (a
// misspelt "min_quality" must not silently become the default 0.5).
// Throws RequestError.
DatasetRequest parse_dataset_request(std::string_view body);

// GET /api/datasets/stats?query=...&top_k=...&min_quality_score=...&domain=...
//   &filters={json}&search_types=a,b&weights={json}
//   &tokenizer=...&chunk_tokens=N&...&decontaminate_mode=drop   (the stream body's "training" names, less
//   record; exclude and decontaminate: a JSON array of names, or one name)
// Throws RequestError.
SearchArguments parse_stats_parameters(const std::vector<std::pair<std::string, std::string>> &params);

// The Content-Disposition file name for a dataset name: "<name>.jsonl" with
// every byte outside [A-Za-z0-9._-] replaced by '_', no leading dot, at most
// 100 characters before ".jsonl"; "dataset.jsonl" when nothing is left.
std::string attachment_filename(std::string_view name);

// Compares a presented token with the expected one in time that depends
// only on the expected token's length, not on where they differ.
bool tokens_equal(std::string_view given, std::string_view expected);

// "127.0.0.1:45681", "[::1]:8080", "localhost:0" (0: any free port).
// Throws RequestError (field "--listen").
struct ListenAddress {
    std::string host;
    int port = 0;
};
ListenAddress parse_listen_address(std::string_view text);

// The HTTP status for an error the server raised while running a request:
// 400 for bad arguments (SQLSTATE classes 22, 0A, 54, 42), 503 when the
// database cannot serve it now (08, 40, 53, 57, 58), 500 otherwise.
int http_status_for_sqlstate(std::string_view sqlstate);

// Which request field a server error message is about ("search_query.filters"
// for "unknown filter key ..."), "" when it cannot tell.
std::string field_for_server_message(std::string_view message);

}  // namespace clara::cli
