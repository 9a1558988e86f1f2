#include "sentencepiece.hpp"

#include <sentencepiece_processor.h>

#include <algorithm>

namespace clara {

namespace {

// A protobuf varint at p (advanced); false past end or over 10 bytes.
bool read_varint(const unsigned char *&p, const unsigned char *end, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 70 && p < end; shift += 7) {
        unsigned char b = *p++;
        *v |= static_cast<uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) return true;
    }
    return false;
}

// Walks a protobuf message's fields; calls on_field(number, wire type,
// varint value, bytes of a length-delimited field). False if the bytes are
// no well-formed message.
template <typename OnField>
bool walk_message(std::string_view m, OnField &&on_field) {
    const auto *p = reinterpret_cast<const unsigned char *>(m.data());
    const auto *end = p + m.size();
    while (p < end) {
        uint64_t key, v = 0;
        if (!read_varint(p, end, &key) || (key >> 3) == 0) return false;
        std::string_view bytes;
        switch (key & 7) {
            case 0:
                if (!read_varint(p, end, &v)) return false;
                break;
            case 1:
                if (end - p < 8) return false;
                p += 8;
                break;
            case 2:
                if (!read_varint(p, end, &v) || v > static_cast<uint64_t>(end - p)) return false;
                bytes = std::string_view(reinterpret_cast<const char *>(p), v);
                p += v;
                break;
            case 5:
                if (end - p < 4) return false;
                p += 4;
                break;
            default: return false;  // groups (3, 4) are not in sentencepiece_model.proto
        }
        on_field(key >> 3, key & 7, v, bytes);
    }
    return true;
}

}  // namespace

const char *sentencepiece_model_type(std::string_view file) {
    // ModelProto: 1 pieces (repeated message), 2 trainer_spec { 3 model_type }.
    const char *type = "unigram";
    size_t pieces = 0;
    bool ok = walk_message(file, [&](uint64_t field, uint64_t wire, uint64_t, std::string_view bytes) {
        if (field == 1 && wire == 2) pieces++;
        if (field == 2 && wire == 2)
            walk_message(bytes, [&](uint64_t f, uint64_t w, uint64_t v, std::string_view) {
                if (f == 3 && w == 0) type = v == 2 ? "bpe" : v == 3 ? "word" : v == 4 ? "char" : "unigram";
            });
    });
    return ok && pieces > 0 ? type : nullptr;
}

SentencePieceTokenizer::SentencePieceTokenizer() = default;
SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_model(std::string_view file) {
    const char *type = sentencepiece_model_type(file);
    if (type == nullptr) throw TokenizerError("SentencePiece model: the file is not a serialized ModelProto");
    std::unique_ptr<SentencePieceTokenizer> t(new SentencePieceTokenizer());
    t->processor_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
    const auto status = t->processor_->LoadFromSerializedProto(file);
    if (!status.ok()) throw TokenizerError(std::string("SentencePiece model: ") + status.ToString());
    t->model_type_ = type;
    t->vocabulary_ = static_cast<size_t>(t->processor_->GetPieceSize());
    return t;
}

size_t SentencePieceTokenizer::count(std::string_view text) const {
    std::vector<int> ids;
    const auto status = processor_->Encode(text, &ids);
    if (!status.ok()) throw TokenizerError("SentencePiece: " + status.ToString());
    return ids.size();
}

void SentencePieceTokenizer::encode(std::string_view text, std::vector<uint32_t> &ids) const {
    std::vector<int> out;
    const auto status = processor_->Encode(text, &out);
    if (!status.ok()) throw TokenizerError("SentencePiece: " + status.ToString());
    for (int id : out) ids.push_back(static_cast<uint32_t>(id));
}

void SentencePieceTokenizer::token_ends(std::string_view text, std::vector<uint32_t> &ends) const {
    const sentencepiece::ImmutableSentencePieceText spt = processor_->EncodeAsImmutableProto(text);
    const size_t n = spt.pieces_size();
    const uint32_t limit = static_cast<uint32_t>(text.size());
    uint32_t last = 0;
    size_t run_start = 0;  // first piece of the current run of empty surfaces
    for (size_t i = 0; i < n; i++) {
        const auto piece = spt.pieces(static_cast<int>(i));
        uint32_t begin = std::min(piece.begin(), limit), end = std::min(piece.end(), limit);
        if (end > begin) {
            run_start = i + 1;
        } else {
            // An empty surface: the bytes of a character whose last byte
            // piece carries it; end one byte further per piece, inside it.
            size_t j = i + 1;
            while (j < n && spt.pieces(static_cast<int>(j)).end() <= spt.pieces(static_cast<int>(j)).begin()) j++;
            if (j < n && spt.pieces(static_cast<int>(j)).begin() == piece.begin()) {
                uint32_t next_end = std::min(spt.pieces(static_cast<int>(j)).end(), limit);
                end = std::min<uint32_t>(begin + static_cast<uint32_t>(i - run_start + 1), next_end - 1);
            }
        }
        last = std::max(last, end);
        ends.push_back(last);
    }
}

}  // namespace clara
