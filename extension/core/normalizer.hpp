// A Hugging Face tokenizer.json "normalizer": what the tokenizer does to a
// text before its pre-tokenizer sees it (Qwen 2: NFC), with where each
// output byte came from, so token ends map back to offsets in the text the
// user stored. Pure C++17 plus ICU (normalization forms, case mapping).
//
// Steps, as the tokenizers library defines them:
//   NFC, NFD, NFKC, NFKD   Unicode normalization forms (ICU's Normalizer2)
//   Lowercase              each code point's full lower-case mapping, no
//                          context (Rust's char::to_lowercase: "İ" -> "i̇")
//   Prepend {prepend}      the string before a non-empty text
//   Replace {pattern: {String}, content}
//                          every occurrence, left to right, not overlapping
//   Sequence {normalizers} the steps in order
// Anything else (BertNormalizer, Strip, a Regex pattern, ...) is refused with
// TokenizerError naming it: a step left out would change token counts
// silently.
#pragma once

#include "model_tokenizer.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

// A normalized text: its bytes and, for each byte, the offset in the
// original text where the original's part that became it ends (never
// decreasing). A token ending at normalized byte offset e (> 0) ends at
// original offset origin_end[e - 1]. A normalization form maps the
// characters between two normalization boundaries as a whole: offsets
// inside such a group map to its end.
struct NormalizedText {
    std::string text;
    std::vector<uint32_t> origin_end;

    uint32_t original_end(uint32_t normalized_end) const {
        return normalized_end == 0 ? 0 : origin_end[normalized_end - 1];
    }
};

class TextNormalizer {
public:
    enum class Step : uint8_t { kNfc, kNfd, kNfkc, kNfkd, kLowercase, kPrepend, kReplace };

    // The identity (no normalizer).
    TextNormalizer() = default;
    // tokenizer.json's "normalizer" value (null: the identity). Throws
    // TokenizerError for a type Clara does not implement, naming it.
    static TextNormalizer from_json(const nlohmann::json &node);

    bool identity() const { return steps_.empty(); }
    // "NFC", "Sequence[Prepend, Replace]": what the file asked for.
    const std::string &description() const { return description_; }

    // True when every step is a normalization form and text is already in
    // each (ICU's check, no copy): most stored text is NFC, so Qwen's
    // tokenizer reads it as it is.
    bool leaves_unchanged(std::string_view text) const;
    // text normalized; out is overwritten.
    void apply(std::string_view text, NormalizedText &out) const;
    // Only the bytes (count and encode need no offsets).
    std::string apply(std::string_view text) const;

private:
    struct Op {
        Step step;
        std::string a, b;  // Prepend: a; Replace: a -> b
    };
    void add(const nlohmann::json &node, int depth);

    std::vector<Op> steps_;
    std::string description_;
};

}  // namespace clara
