// The tokenizer of a user's model, whatever its file: what token counts and
// token-budget chunks (chunk.hpp) need from it. Pure C++17, no PostgreSQL
// headers. Implementations: BpeTokenizer (bpe.hpp: tokenizer.json with a
// byte-level BPE, tiktoken rank files) and SentencePieceTokenizer
// (sentencepiece.hpp: SentencePiece .model files, through the library).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

// A tokenizer file Clara cannot use, with the reason (one line).
struct TokenizerError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ModelTokenizer {
public:
    virtual ~ModelTokenizer() = default;

    // Number of tokens of text (no BOS/EOS).
    virtual size_t count(std::string_view text) const = 0;
    // Byte offset in text where each token ends, in order, never decreasing
    // (appended): one per token, count(text) of them. A token may end inside
    // a UTF-8 character (a byte token).
    virtual void token_ends(std::string_view text, std::vector<uint32_t> &ends) const = 0;
    // Token ids (appended).
    virtual void encode(std::string_view text, std::vector<uint32_t> &ids) const = 0;

    // "tokenizer.json", "tiktoken" or "sentencepiece" (a static string).
    virtual const char *kind() const = 0;
    // What splits the text first: the pre-tokenizer ("cl100k", "qwen2", ...)
    // or SentencePiece's model type ("bpe", "unigram"); a static string.
    virtual const char *pattern() const = 0;
    virtual size_t vocabulary_size() const = 0;
};

// The tokenizer in a file, its format told by the content, not the name:
// '{' first (after white space) is a tokenizer.json; bytes no text file has
// (control characters, NUL) a SentencePiece model (a protobuf); anything
// else must be a tiktoken rank file. Throws TokenizerError naming the format
// tried and what is wrong.
std::unique_ptr<ModelTokenizer> load_tokenizer(std::string_view file);

}  // namespace clara
