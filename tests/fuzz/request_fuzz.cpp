// libFuzzer target: the parsers of requests and flags that reach
// clara_stream_jsonl / clara_search / clara_stats (client/core/http_request
// and client/core/arguments). The first byte picks the parser:
//   D  POST /api/datasets/{stream,search} body (parse_dataset_request)
//   S  GET /api/datasets/stats parameters, "key=value" pairs split at '&'
//   L  --listen HOST:PORT             F  --domain / --filter lines (build_filters_json)
//   T  --search-types                 W  --weights
//   N  names and messages: attachment_filename, field_for_server_message, http_status_for_sqlstate
// A parser may refuse its input only with its own error type (RequestError,
// ArgumentError); anything else, and a result the server could not take
// (JSON that does not parse, a NUL in a text parameter), aborts.
#include "core/arguments.hpp"
#include "core/http_request.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace clara::cli;
using nlohmann::json;

namespace {

void check(bool ok, const char *what) {
    if (ok) return;
    std::fprintf(stderr, "request fuzz: invariant broken: %s\n", what);
    std::abort();
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> parts;
    for (;;) {
        size_t at = s.find(sep);
        parts.emplace_back(s.substr(0, at));
        if (at == std::string_view::npos) return parts;
        s.remove_prefix(at + 1);
    }
}

bool is_json_object(const std::string &text) {
    json v = json::parse(text, nullptr, false);
    return !v.is_discarded() && v.is_object();
}

// What libpq sends as text parameters must be NUL-free, JSON parameters valid objects.
void check_search(const SearchArguments &s) {
    check(s.query.find('\0') == std::string::npos, "query without NUL");
    check(s.query.find_first_not_of(" \t\r\n") != std::string::npos, "query not blank");
    check(s.top_k >= 1, "top_k >= 1");
    check(s.min_quality >= 0.0 && s.min_quality <= 1.0, "min_quality in [0, 1]");
    check(is_json_object(s.filters_json), "filters_json is an object");
    if (s.weights_json) check(is_json_object(*s.weights_json), "weights_json is an object");
    if (s.search_types) {
        check(s.search_types->find('\0') == std::string::npos, "search_types without NUL");
        for (const std::string &t : split(*s.search_types, ',')) check(!t.empty(), "no empty search type");
    }
    for (const auto *t : {&s.tokenizer, &s.prompt_template, &s.text_template, &s.split})
        if (*t) check((*t)->find('\0') == std::string::npos, "training text without NUL");
}

void dataset_request(std::string_view body) {
    try {
        DatasetRequest r = parse_dataset_request(body);
        check_search(r.search);
        check(r.batch_size >= clara::kMinBatchSize && r.batch_size <= clara::kMaxBatchSize, "batch_size in range");
        check(r.name.find('\0') == std::string::npos, "name without NUL");
    } catch (const RequestError &) {
    }
}

void stats_parameters(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> params;
    for (const std::string &pair : split(query, '&')) {
        size_t eq = pair.find('=');
        params.emplace_back(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    }
    try {
        check_search(parse_stats_parameters(params));
    } catch (const RequestError &) {
    }
}

void listen_address(std::string_view text) {
    try {
        ListenAddress a = parse_listen_address(text);
        check(a.port >= 0 && a.port <= 65535, "port in range");
        check(!a.host.empty(), "host not empty");
    } catch (const RequestError &) {
    }
}

void filters(std::string_view text) {
    std::vector<std::string> lines = split(text, '\n');
    std::optional<std::string> domain;
    if (!lines.empty() && lines.front().rfind("domain:", 0) == 0) {
        domain = lines.front().substr(7);
        lines.erase(lines.begin());
    }
    try {
        check(is_json_object(build_filters_json(domain, lines)), "filters are an object");
    } catch (const ArgumentError &) {
    }
}

void search_types(std::string_view text) {
    try {
        for (const std::string &t : split(normalize_search_types(std::string(text)), ','))
            check(!t.empty(), "no empty search type");
    } catch (const ArgumentError &) {
    }
}

void weights(std::string_view text) {
    try {
        json w = json::parse(build_weights_json(std::string(text)), nullptr, false);
        check(w.is_object(), "weights are an object");
        for (const auto &[key, value] : w.items()) check(value.is_number(), "weights are numbers");
    } catch (const ArgumentError &) {
    }
}

void names(std::string_view text) {
    std::string file = attachment_filename(text);
    check(file.size() > 6 && file.size() <= 106 && file.front() != '.', "file name length, no leading dot");
    check(file.compare(file.size() - 6, 6, ".jsonl") == 0, "file name ends in .jsonl");
    for (char c : file.substr(0, file.size() - 6))
        check((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-',
              "file name bytes are [A-Za-z0-9._-]");
    (void)field_for_server_message(text);
    int status = http_status_for_sqlstate(text);
    check(status == 400 || status == 500 || status == 503, "status");
    (void)tokens_equal(text, "secret-token");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
    switch (data[0]) {
        case 'D': dataset_request(rest); break;
        case 'S': stats_parameters(rest); break;
        case 'L': listen_address(rest); break;
        case 'F': filters(rest); break;
        case 'T': search_types(rest); break;
        case 'W': weights(rest); break;
        case 'N': names(rest); break;
        default: break;
    }
    return 0;
}
