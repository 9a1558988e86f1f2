// Byte-level BPE tokenizers of the user's model, for token counts and
// token-budget chunks: tiktoken rank files (cl100k_base, o200k_base, Llama 3's
// tokenizer.model) and Hugging Face tokenizer.json files with a byte-level BPE
// model (Llama 3, Qwen 2, GPT-2 style). Pure C++17 plus ICU's character
// properties; no PostgreSQL headers.
//
// Encoding a text: a tokenizer.json's normalizer first (normalizer.hpp:
// Qwen 2's NFC), then the pre-tokenizer splits it into pieces with the model's
// regular expression (one of the known patterns below, implemented by hand
// with the regex's exact leftmost-first, greedy-with-backtracking
// semantics), then each piece's UTF-8 bytes are merged pairwise, lowest rank
// first, leftmost on ties:
//  - tiktoken: the rank of a pair is the rank of its concatenated bytes;
//  - tokenizer.json: the rank of a pair is its line in "merges"; with
//    "ignore_merges" a piece that is itself in the vocabulary is one token.
// Special tokens (<|endoftext|>, <|begin_of_text|>) in a document are plain
// text here, as in a tokenizer called without allowed special tokens.
#pragma once

#include "model_tokenizer.hpp"
#include "normalizer.hpp"
#include "piece_cache.hpp"
#include "token_tables.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

struct TokenizerJson;  // tokenizer_json.hpp

// The pre-tokenizer patterns Clara implements.
enum class BpePattern {
    kCl100k,  // cl100k_base, Llama 3: contractions, letters, numbers of 1-3 digits, ...
    kQwen2,   // the same with single digits
    kO200k,   // o200k_base: case-aware words with contractions
    kGpt2,    // GPT-2: 's|'t|..| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    kNone,    // no pre-tokenizer: the whole (normalized) text is one piece
};

const char *bpe_pattern_name(BpePattern p);

// Splits UTF-8 text into pre-tokenizer pieces: [start, end) byte ranges
// covering the text in order (appended to out).
void bpe_pre_tokenize(BpePattern pattern, std::string_view text, std::vector<std::pair<uint32_t, uint32_t>> &out);

// Not thread-safe: encoding uses the tokenizer's piece cache and scratch
// buffers (one tokenizer per thread; a PostgreSQL backend has one thread).
class BpeTokenizer : public ModelTokenizer {
public:
    // A tiktoken rank file: lines "<base64 token> <rank>". The pattern is
    // the encoding's, told by the number of ranks (100,256 cl100k_base,
    // 199,998 o200k_base, 128,000 Llama 3) unless given.
    static std::unique_ptr<BpeTokenizer> from_tiktoken(std::string_view file, const BpePattern *pattern = nullptr);
    // A Hugging Face tokenizer.json with model.type "BPE" over bytes
    // (a ByteLevel pre-tokenizer or decoder), a known Split pattern and a
    // normalizer Clara implements (or none); or a SentencePiece-style BPE
    // (Llama 2's tokenizer.json: no pre-tokenizer, merges over characters,
    // byte_fallback, spaces made U+2581 by the normalizer).
    static std::unique_ptr<BpeTokenizer> from_hf_json(std::string_view file);
    // Either, told apart by the first non-blank byte ('{' = tokenizer.json).
    static std::unique_ptr<BpeTokenizer> from_file(std::string_view file);

    size_t count(std::string_view text) const override;
    // With a normalizer, a token ending inside a group of characters it
    // rewrote ends at the group's end in text.
    void token_ends(std::string_view text, std::vector<uint32_t> &ends) const override;
    void encode(std::string_view text, std::vector<uint32_t> &ids) const override;

    BpePattern pre_tokenizer() const { return pattern_; }
    const char *pattern() const override { return bpe_pattern_name(pattern_); }
    const char *kind() const override { return hf_ ? "tokenizer.json" : "tiktoken"; }
    size_t vocabulary_size() const override { return vocab_.size(); }
    const TextNormalizer &normalizer() const { return normalizer_; }

    // The cache of merged pieces (piece_cache.hpp): its size (0 turns it
    // off; the ids never depend on it) and counters, for tests and tools.
    PieceCache &piece_cache() const { return cache_; }

private:
    BpeTokenizer() = default;
    static std::unique_ptr<BpeTokenizer> from_hf_char_level(const TokenizerJson &file_json,
                                                            std::unique_ptr<BpeTokenizer> t);
    void init_characters(std::string_view piece) const;
    // Merges one piece into merged_ends_ / merged_ids_ (ends in the piece).
    void merge_piece(std::string_view piece) const;
    // Calls emit(end_offset_in_piece, id) per token of piece: from the
    // cache, the vocabulary (a piece that is one token), or merged.
    template <typename Emit>
    void piece_tokens(std::string_view piece, Emit &&emit) const;
    // Pre-tokenizes text (already normalized) and calls emit(end, id) per
    // token, end a byte offset in text.
    template <typename Emit>
    void tokens(std::string_view text, Emit &&emit) const;
    // The merge of two adjacent symbols: rank and merged id, or false.
    bool pair_merge(std::string_view piece, uint32_t left, uint32_t mid, uint32_t right, uint32_t left_id,
                    uint32_t right_id, uint32_t *rank, uint32_t *merged_id) const;

    BpePattern pattern_ = BpePattern::kCl100k;
    bool hf_ = false;
    bool ignore_merges_ = false;
    bool char_level_ = false;      // SentencePiece-style: symbols start as characters, byte_ids_ are <0xXX>
    TextNormalizer normalizer_;    // tokenizer.json's "normalizer" (identity for tiktoken)
    TokenVocabulary vocab_;        // token bytes -> id (= rank for tiktoken)
    MergeTable merges_;            // (left id, right id) -> merge rank and merged id (HF)
    uint32_t byte_ids_[256] = {};  // id of each single byte

    // Encoding state (see the class comment).
    struct Candidate {
        uint32_t rank;
        uint32_t left, mid, right;  // left symbol [left, mid), right symbol [mid, right)
        uint32_t merged;
        bool operator>(const Candidate &o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
    };
    mutable PieceCache cache_;
    mutable std::vector<std::pair<uint32_t, uint32_t>> pieces_;
    mutable std::vector<uint32_t> end_, prev_, id_;  // symbols by their first byte: end, neighbour, id
    mutable std::vector<Candidate> heap_;
    mutable std::vector<uint32_t> merged_ends_, merged_ids_;
};

}  // namespace clara
