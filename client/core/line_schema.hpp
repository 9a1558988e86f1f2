// `clara-stream validate`: do all lines of a JSONL dataset have one shape?
// Arrow-based loaders (Hugging Face `datasets`, pyarrow) infer one column
// type per path and fail when a later line (or shard) disagrees. Pure C++
// (standard library and nlohmann/json's SAX parser): unit-tested without a
// server or files.
//
// The shape of the first line that shows a path fixes it:
//   - every value at a path has one JSON type (string, number, boolean,
//     array, object); null fits every type, so a path first seen as null is
//     fixed by its first other value;
//   - every object at a path has the same set of keys (order is free);
//   - an array's elements are one path, "PATH[]": one type, and objects
//     with one key set, across all arrays at PATH.
// Memory grows with the number of distinct paths, not with the lines (a
// new key is itself a finding, so a file cannot add paths line by line
// unnoticed); nesting deeper than kMaxSchemaDepth is refused while parsing,
// so no recursion grows with the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace clara::cli {

inline constexpr size_t kMaxSchemaDepth = 256;

class LineSchema {
public:
    // Checks one line against the lines before it; where names the line in
    // messages about an earlier one ("train-00000-of-00002.jsonl:17").
    // Returns "" when it fits (its new paths are then remembered), else one
    // sentence naming the JSON path ("$.metadata.year") and what changed.
    std::string check(std::string_view line, const std::string &where);
    size_t paths() const { return types_.size(); }

private:
    struct Seen {
        uint8_t type;       // JSON type, or kUnknown while only null was seen
        std::string where;  // the line that fixed it
    };
    struct KeySet {
        std::vector<std::string> keys;  // sorted
        std::string where;
    };
    std::unordered_map<std::string, Seen> types_;
    std::unordered_map<std::string, KeySet> key_sets_;
    friend class LineSchemaHandler;
};

// "$.metadata.year", "$.metadata[\"odd key\"]": a path and one more key.
std::string schema_path_child(const std::string &parent, std::string_view key);

}  // namespace clara::cli
