#include "model_tokenizer.hpp"

#include "bpe.hpp"
#include "sentencepiece.hpp"

namespace clara {

namespace {

// Text files (tokenizer.json, tiktoken) have no control characters but
// white space; a protobuf has them within its first bytes (field keys,
// lengths, the scores' float bytes).
bool looks_binary(std::string_view file) {
    const size_t n = std::min<size_t>(file.size(), 4096);
    for (size_t i = 0; i < n; i++) {
        const auto c = static_cast<unsigned char>(file[i]);
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return true;
    }
    return false;
}

}  // namespace

std::unique_ptr<ModelTokenizer> load_tokenizer(std::string_view file) {
    size_t i = 0;
    while (i < file.size() && (file[i] == ' ' || file[i] == '\n' || file[i] == '\r' || file[i] == '\t')) i++;
    if (i == file.size()) throw TokenizerError("the file is empty");
    if (file[i] == '{') return BpeTokenizer::from_hf_json(file);
    if (looks_binary(file)) {
        if (sentencepiece_model_type(file) == nullptr)
            throw TokenizerError(
                "a binary file that is not a SentencePiece model (no serialized ModelProto); not a tokenizer.json "
                "(no JSON object) nor a tiktoken rank file (text lines) either");
        return SentencePieceTokenizer::from_model(file);
    }
    try {
        return BpeTokenizer::from_tiktoken(file);
    } catch (const TokenizerError &e) {
        // A text file that is none of the formats: say what was tried.
        throw TokenizerError(std::string("not a tokenizer.json (no JSON object), not a SentencePiece model (a text "
                                         "file), and as a ") +
                             e.what());
    }
}

}  // namespace clara
