// Reading a Hugging Face tokenizer.json without a DOM of its bulk: the
// vocabulary and the merges (Llama 3's file: 128K and 280K entries, 9 MB)
// go straight into two lists as the parser meets them; the rest (model
// type, normalizer, pre-tokenizer, decoder, added tokens) becomes a small
// nlohmann::json document. A DOM of the whole file costs about 60 MB of
// std::map nodes and strings and most of the time to read it. Pure C++17.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clara {

struct TokenizerJson {
    TokenizerJson() = default;
    TokenizerJson(const TokenizerJson &) = delete;  // megabytes: filled in place, never copied
    TokenizerJson &operator=(const TokenizerJson &) = delete;

    // The file without the entries of model.vocab (when an object) and
    // model.merges (when an array): those two are empty here.
    nlohmann::json doc = nlohmann::json::value_t::null;  // (not the noexcept default: clang-tidy)
    // model.vocab's entries in file order (ids below 2^31), when it is an object.
    bool has_vocab = false;
    // model.merges' entries, "a b" or ["a", "b"] alike, when it is an array.
    bool has_merges = false;

    struct Text {
        uint32_t offset, length;  // in strings
    };
    struct VocabEntry {
        Text token;
        uint32_t id;
    };
    struct Merge {
        Text left, right;
    };
    std::vector<VocabEntry> vocab;
    std::vector<Merge> merges;
    std::string strings;  // the bytes of every Text, one after another

    std::string_view text(Text t) const { return std::string_view(strings).substr(t.offset, t.length); }
    Text add(std::string_view s) {
        Text t{static_cast<uint32_t>(strings.size()), static_cast<uint32_t>(s.size())};
        strings.append(s.data(), s.size());
        return t;
    }
};

// Parses a tokenizer.json into out (a new TokenizerJson). Throws TokenizerError for invalid JSON, nesting
// deeper than 64 levels (a tokenizer.json has about 6), a vocab id that is
// no number below 2^31, a merge that is neither "a b" nor [a, b], and
// more than 4 GB of vocabulary and merge strings.
void read_tokenizer_json(std::string_view file, TokenizerJson &out);

}  // namespace clara
