// What a dataset directory needs to know about one training line without
// parsing it into a tree: its split and chunk fields, which Clara writes
// into the line's top-level "metadata" object. A scan over the bytes (string
// escapes and nesting only), so routing lines into shards costs far less
// than producing them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clara::cli {

struct LineFacts {
    std::string split = "train";         // metadata.split, "train" without one
    std::optional<int64_t> chunk_index;  // metadata.chunk_index (chunked exports)
    std::optional<int64_t> token_count;  // metadata.token_count (chunked exports)
};

// False when line is not a JSON object (then facts are the defaults). Keys
// other than metadata's own top-level ones are skipped, however nested.
bool scan_line(std::string_view line, LineFacts &facts);

}  // namespace clara::cli
