// SentencePiece .model files (Llama 2, Mistral, Gemma, T5, ALBERT ...):
// BPE and unigram models, encoded by Google's own library (Debian's
// libsentencepiece-dev), so ids are the library's, normalization
// (nmt_nfkc, identity, ...), byte fallback and the dummy "▁" prefix
// included. Pure C++17 behind ModelTokenizer; no PostgreSQL headers.
#pragma once

#include "model_tokenizer.hpp"

#include <memory>
#include <string_view>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace clara {

class SentencePieceTokenizer : public ModelTokenizer {
public:
    // A serialized ModelProto (the .model file's bytes). Throws
    // TokenizerError with the library's reason when it cannot load it.
    static std::unique_ptr<SentencePieceTokenizer> from_model(std::string_view file);
    ~SentencePieceTokenizer() override;

    size_t count(std::string_view text) const override;
    // Where each piece's surface ends in text (the library aligns pieces
    // with the original, before its normalization). Byte-fallback pieces of
    // one character share its surface: all but the last end one byte
    // further into it, as byte-level BPE tokens do, so ends never fall on a
    // character boundary the piece does not reach.
    void token_ends(std::string_view text, std::vector<uint32_t> &ends) const override;
    void encode(std::string_view text, std::vector<uint32_t> &ids) const override;

    const char *kind() const override { return "sentencepiece"; }
    // The model type in the file's trainer_spec: "unigram", "bpe", "word", "char".
    const char *pattern() const override { return model_type_; }
    size_t vocabulary_size() const override { return vocabulary_; }

private:
    SentencePieceTokenizer();
    std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
    const char *model_type_ = "unigram";
    size_t vocabulary_ = 0;
};

// The model type a serialized ModelProto names (trainer_spec.model_type;
// "unigram" when absent, as in the library); nullptr if the bytes are no
// protobuf message at all (how load_tokenizer tells formats apart).
const char *sentencepiece_model_type(std::string_view file);

}  // namespace clara
