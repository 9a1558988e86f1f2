// Command-line values -> the JSON / list arguments of clara_stream_jsonl and
// clara_stats. Pure C++ (nlohmann/json only): unit-tested without a server.
//
// The client does not know the valid filter keys or search types: the
// extension checks them (one source of truth) and answers with a clear error.
// The client only turns flags into well-formed values.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace clara::cli {

// A flag value that cannot be turned into an argument (exit code 2).
class ArgumentError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The filters object from `--domain D` and repeated `--filter key=value`.
// A value is read as JSON when it parses as JSON (numbers, true, arrays,
// objects, "quoted strings"), else taken as a plain string, so
// `--filter domain=baurecht` and `--filter 'domain=["baurecht","umweltrecht"]'`
// both work. `--domain D` is `--filter domain=D` with D always a string.
// A key given twice is an error. Returns the object as JSON text ("{}" when
// there are no filters).
std::string build_filters_json(const std::optional<std::string> &domain, const std::vector<std::string> &filter_args);

// `keyword,vector,graph` -> "keyword,vector,graph": elements trimmed, none
// empty or repeated. The server splits it into text[] with string_to_array.
std::string normalize_search_types(const std::string &list);

// `keyword=1,vector=0.5` -> {"keyword":1.0,"vector":0.5}: every value a
// finite number, no key twice.
std::string build_weights_json(const std::string &spec);

// "512MB", "1G", "64KiB", "1000000" -> bytes (K/M/G/T are powers of 1024,
// with or without "B" / "iB"); at least 1. Throws ArgumentError.
unsigned long long parse_byte_size(const std::string &text);

}  // namespace clara::cli
