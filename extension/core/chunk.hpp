// Token-budget chunks of a document for training files. Pure C++17.
//
// A document longer than the budget is cut into chunks of at most
// max_tokens tokens each, counted by the model's tokenizer on the chunk's
// own text (what the trainer will see). Cuts fall, in this order of
// preference, at a paragraph break (a blank line) or before a German legal
// heading line ("§ 3", "Art. 6", "Artikel 6", "Abs. 2"), at a line break or
// the end of a sentence, at white space, and only then between two tokens
// (never inside a UTF-8 character). A chunk is filled to at least half the
// budget before a better cut is preferred to a later one.
//
// Overlap: each chunk after the first starts about `overlap` tokens before
// the previous chunk's end (at a token boundary, white space preferred), so
// chunk[i + 1]'s text from chunk[i].end on is new: the new parts of all
// chunks concatenate to the whole text, nothing lost or repeated.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace clara {

struct TextChunk {
    uint32_t start;  // byte offsets into the text: [start, end)
    uint32_t end;
    uint32_t token_count;  // of text[start, end) tokenized alone
    uint32_t char_start;   // the same offsets in code points
    uint32_t char_end;
};

// The smallest budget accepted: below it a single character (up to four
// byte-level tokens) could not always fit with room to cut.
constexpr uint32_t kMinChunkTokens = 16;

// count(text) -> tokens of that text alone; ends(text, out) -> the byte
// offset where each token of the text ends, as many as count(text) (a text
// that fits the budget is tokenized once, by ends).
using TokenCounter = std::function<size_t(std::string_view)>;
using TokenEnds = std::function<void(std::string_view, std::vector<uint32_t> &)>;

// The chunks of text (one chunk, the whole text, when it fits; none for an
// empty text). Requires max_tokens >= kMinChunkTokens and overlap <
// max_tokens / 2.
std::vector<TextChunk> chunk_text(std::string_view text, uint32_t max_tokens, uint32_t overlap,
                                  const TokenCounter &count, const TokenEnds &ends);

// Code points in text[0, byte_offset): the chunk offsets users see.
uint32_t code_points_before(std::string_view text, uint32_t byte_offset);

}  // namespace clara
