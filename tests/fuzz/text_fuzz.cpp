// libFuzzer target: the extension's pure C++ text code (extension/core):
// the BM25 tokenizer, the BPE pre-tokenizers and merges, tokenizer.json
// normalizers, token-budget chunks, templates, split specs and the JSON
// encoder. Input: two control
// bytes (pattern, budget, overlap, format), then the text.
// Checked beyond crashes: the tokenizer gives the same lexemes with and
// without its word cache; pieces and tokens cover the text in order; a
// normalizer's offsets never decrease and end at the text's end; chunks
// stay within the budget and their new parts concatenate to the text; JSON
// strings and doubles read back as what was written.
#include "bpe.hpp"
#include "chunk.hpp"
#include "jsonl.hpp"
#include "normalizer.hpp"
#include "split.hpp"
#include "tokenizer.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok, const char *what) {
    if (ok) return;
    std::fprintf(stderr, "text fuzz: invariant broken: %s\n", what);
    std::abort();
}

std::string base64(std::string_view bytes) {
    static const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    uint32_t bits = 0;
    int n = 0;
    for (unsigned char c : bytes) {
        bits = (bits << 8) | c;
        n += 8;
        while (n >= 6) out += abc[(bits >> (n -= 6)) & 63];
    }
    if (n > 0) out += abc[(bits << (6 - n)) & 63];
    while (out.size() % 4) out += '=';
    return out;
}

// A small tiktoken rank file: every byte, then a few German and English
// merges (enough for multi-byte tokens and ties), for each pattern.
std::unique_ptr<clara::BpeTokenizer> small_tokenizer(clara::BpePattern pattern) {
    std::string file;
    uint32_t rank = 0;
    for (int b = 0; b < 256; ++b)
        file += base64(std::string(1, static_cast<char>(b))) + " " + std::to_string(rank++) + "\n";
    for (const char *m :
         {"en",  "er",   "ch",       " d",       "ei",       "in",       "th", " t",   "ie", "un",  "ung", " der",
          "the", " the", "\xc3\xa4", "\xc3\xb6", "\xc3\xbc", "\xc3\x9f", "  ", "\n\n", "00", "000", "19",  "20"})
        file += base64(m) + " " + std::to_string(rank++) + "\n";
    return clara::BpeTokenizer::from_tiktoken(file, &pattern);
}

// Well-formed UTF-8 (RFC 3629): the encoders' precondition.
bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto b = static_cast<unsigned char>(s[i]);
        size_t len = b < 0x80                 ? 1
                     : b >= 0xC2 && b <= 0xDF ? 2
                     : b >= 0xE0 && b <= 0xEF ? 3
                     : b >= 0xF0 && b <= 0xF4 ? 4
                                              : 0;
        if (len == 0 || i + len > s.size()) return false;
        uint32_t cp = len == 1 ? b : b & (0x7F >> len);
        for (size_t k = 1; k < len; ++k) {
            auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
        i += len;
    }
    return true;
}

void tokenizer(std::string_view text) {
    static clara::Tokenizer cached(true);
    static clara::Tokenizer uncached(false);
    check(cached.lexemes(text) == uncached.lexemes(text), "the word cache changes no lexeme");
}

void bpe(clara::BpePattern pattern, std::string_view text, uint32_t max_tokens, uint32_t overlap) {
    static std::unique_ptr<clara::BpeTokenizer> tokenizers[4] = {
        small_tokenizer(clara::BpePattern::kCl100k), small_tokenizer(clara::BpePattern::kQwen2),
        small_tokenizer(clara::BpePattern::kO200k), small_tokenizer(clara::BpePattern::kGpt2)};
    const clara::BpeTokenizer &t = *tokenizers[static_cast<int>(pattern)];

    std::vector<std::pair<uint32_t, uint32_t>> pieces;
    clara::bpe_pre_tokenize(pattern, text, pieces);
    uint32_t at = 0;
    for (auto [start, end] : pieces) {
        check(start == at && end > start, "pieces are contiguous and not empty");
        at = end;
    }
    check(at == text.size(), "pieces cover the text");

    std::vector<uint32_t> ends, ids;
    t.token_ends(text, ends);
    t.encode(text, ids);
    check(ends.size() == ids.size() && ends.size() == t.count(text), "count, ends and ids agree");
    for (size_t i = 0; i < ends.size(); ++i) check(ends[i] > (i ? ends[i - 1] : 0), "token ends ascend");
    check(ends.empty() ? text.empty() : ends.back() == text.size(), "tokens cover the text");

    auto count = [&t](std::string_view s) { return t.count(s); };
    auto token_ends = [&t](std::string_view s, std::vector<uint32_t> &out) { t.token_ends(s, out); };
    std::vector<clara::TextChunk> chunks = clara::chunk_text(text, max_tokens, overlap, count, token_ends);
    // Cuts are placed at character boundaries: the guarantees below hold
    // for UTF-8 text (the extension runs only in UTF8 databases); other
    // bytes must merely not crash.
    if (!valid_utf8(text)) return;
    check(chunks.empty() == text.empty(), "chunks for every non-empty text");
    uint32_t covered = 0;
    for (const clara::TextChunk &c : chunks) {
        check(c.start <= covered && c.end > covered, "each chunk starts in covered text and adds some");
        check(c.token_count <= max_tokens, "chunk within the budget");
        check(c.token_count == t.count(text.substr(c.start, c.end - c.start)), "chunk counted alone");
        check(c.char_start == clara::code_points_before(text, c.start), "char_start");
        check(c.char_end == clara::code_points_before(text, c.end), "char_end");
        covered = c.end;
    }
    check(covered == text.size(), "chunks cover the text");
}

// Every step of the normalizer, offsets mapped back to the input.
void normalizer(std::string_view text) {
    static const clara::TextNormalizer n = clara::TextNormalizer::from_json(nlohmann::json::parse(
        R"({"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}, {"type": "NFD"},
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "},
            "content": "\u2581"}, {"type": "NFC"}]})"));
    clara::NormalizedText out;
    n.apply(text, out);
    check(out.origin_end.size() == out.text.size(), "an offset per normalized byte");
    for (size_t i = 0; i < out.origin_end.size(); ++i)
        check(out.origin_end[i] >= (i ? out.origin_end[i - 1] : 0) && out.origin_end[i] <= text.size(),
              "normalizer offsets ascend within the text");
    check(text.empty() == out.text.empty(), "only an empty text normalizes to nothing");
    check(out.text.empty() || out.origin_end.back() == text.size(), "the last byte maps to the text's end");
    check(n.apply(text) == out.text, "with and without offsets the same text");
}

void templates_and_json(std::string_view text, uint8_t format) {
    if (clara::check_template(text).empty()) {
        std::string out;
        clara::TemplateValues v{"Titel", "Text {text}", "Anfrage", "doc-1", "quelle", "baurecht", "urteil"};
        clara::render_template(out, text, v);

        clara::TrainingLine line;
        static const char *formats[] = {"raw", "text", "messages", "prompt-completion", "alpaca"};
        check(clara::parse_line_format(formats[format % 5], &line.format), "known format");
        if (valid_utf8(text)) {
            line.prompt = out;
            line.text = text;
            line.metadata_json = "{}";
            line.document_id = "doc-1";
            std::string jsonl;
            clara::append_training_line(jsonl, line);
            check(!nlohmann::json::parse(jsonl, nullptr, false).is_discarded(), "a training line is JSON");
        }
    }
    clara::SplitSpec spec;
    if (clara::parse_split_spec(text, &spec).empty()) {
        double total = 0;
        for (const auto &part : spec.parts) total += part.second;
        check(total < 1.0, "split fractions below 1");
        (void)clara::assign_split(spec, clara::split_point(7, text));
    }
    if (valid_utf8(text)) {
        std::string s;
        clara::append_json_string(s, text);
        nlohmann::json back = nlohmann::json::parse(s, nullptr, false);
        check(back.is_string() && back.get<std::string>() == text, "a JSON string reads back");
    }
    if (text.size() >= 8) {
        double v;
        std::memcpy(&v, text.data(), sizeof v);
        std::string s;
        clara::append_json_double(s, v);
        if (std::isfinite(v))
            check(std::strtod(s.c_str(), nullptr) == v, "a JSON double reads back");
        else
            check(s == "null", "NaN and infinities are null");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    auto pattern = static_cast<clara::BpePattern>(data[0] & 3);
    uint32_t max_tokens = clara::kMinChunkTokens + ((data[0] >> 2) & 63);
    uint32_t overlap = data[1] % (max_tokens / 2);
    std::string_view text(reinterpret_cast<const char *>(data) + 2, size - 2);
    tokenizer(text);
    bpe(pattern, text, max_tokens, overlap);
    normalizer(text);
    templates_and_json(text, data[1]);
    return 0;
}
