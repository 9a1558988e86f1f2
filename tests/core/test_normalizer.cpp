// tokenizer.json normalizers (core/normalizer.hpp): each step's output and
// where its bytes came from, and a byte-level BPE that normalizes first.
// Exactness against transformers.js on Qwen's tokenizer.json (NFC) is
// checked in tests/integration/tokenizers.sh.
#include "bpe.hpp"
#include "normalizer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace {

clara::TextNormalizer parse(const char *json) { return clara::TextNormalizer::from_json(nlohmann::json::parse(json)); }

// The error message of parsing json, or "" if it parsed.
std::string refusal(const char *json) {
    try {
        parse(json);
    } catch (const clara::TokenizerError &e) {
        return e.what();
    }
    return "";
}

// GPT-2's bytes_to_unicode: the vocabulary string of each byte.
std::string byte_level(unsigned char b) {
    static std::vector<std::string> table = [] {
        std::vector<std::string> t(256);
        int extra = 0;
        for (int c = 0; c < 256; c++) {
            bool printable = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
            int cp = printable ? c : 256 + extra++;
            std::string s;
            if (cp < 0x80) {
                s += static_cast<char>(cp);
            } else {
                s += static_cast<char>(0xC0 | (cp >> 6));
                s += static_cast<char>(0x80 | (cp & 0x3F));
            }
            t[c] = s;
        }
        return t;
    }();
    return table[b];
}

// A byte-level tokenizer.json: the 256 bytes, "Ä" (C3 84) merged, GPT-2's
// pre-tokenizer, and the given normalizer.
std::string tiny_tokenizer_json(const char *normalizer) {
    nlohmann::json vocab = nlohmann::json::object();
    for (int b = 0; b < 256; b++) vocab[byte_level(static_cast<unsigned char>(b))] = b;
    const std::string a = byte_level(0xC3), b = byte_level(0x84);
    vocab[a + b] = 256;
    nlohmann::json j = {{"normalizer", nlohmann::json::parse(normalizer)},
                        {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
                        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {a + " " + b}}}}};
    return j.dump();
}

}  // namespace

TEST(Normalizer, NfcComposesAndMapsOffsetsToTheGroupEnd) {
    clara::TextNormalizer n = parse(R"({"type": "NFC"})");
    clara::NormalizedText out;
    n.apply("xA\xCC\x88y", out);  // x, A + COMBINING DIAERESIS, y
    EXPECT_EQ(out.text, "x\xC3\x84y");
    // x ends at 1; both bytes of Ä at 4 (the end of "A\u0308"); y at 5.
    EXPECT_EQ(out.origin_end, (std::vector<uint32_t>{1, 4, 4, 5}));
    EXPECT_EQ(out.original_end(3), 4u);
    EXPECT_EQ(n.apply("Angstr\xE2\x84\xAB"), "Angstr\xC3\x85");  // U+212B ANGSTROM SIGN -> U+00C5
    EXPECT_EQ(n.apply("\xEF\xAC\x81"), "\xEF\xAC\x81");          // the ligature fi stays under NFC
    EXPECT_EQ(n.apply("plain ASCII"), "plain ASCII");
    EXPECT_TRUE(
        n.leaves_unchanged("Gr\xC3\xB6\xC3\x9F"
                           "e"));  // Größe, composed
    EXPECT_FALSE(n.leaves_unchanged("xA\xCC\x88y"));
    EXPECT_FALSE(parse(R"({"type": "Lowercase"})").leaves_unchanged("abc"));  // only forms are checked
}

TEST(Normalizer, NfkcNfdNfkd) {
    EXPECT_EQ(parse(R"({"type": "NFKC"})")
                  .apply("\xEF\xAC\x81"
                         "x\xC2\xB2"),
              "fix2");  // ﬁx² -> fix2
    EXPECT_EQ(parse(R"({"type": "NFD"})").apply("\xC3\x84"), "A\xCC\x88");
    EXPECT_EQ(parse(R"({"type": "NFKD"})").apply("\xC2\xBD"),
              "1\xE2\x81\x84"
              "2");  // ½ -> 1⁄2
}

TEST(Normalizer, LowercaseIsPerCodePointFullMapping) {
    clara::TextNormalizer n = parse(R"({"type": "Lowercase"})");
    EXPECT_EQ(n.apply("Gr\xC3\x96\xC3\x9F"
                      "E"),
              "gr\xC3\xB6\xC3\x9F"
              "e");                                                              // GrÖßE -> größe
    EXPECT_EQ(n.apply("\xC4\xB0"), "i\xCC\x87");                                 // İ -> i + COMBINING DOT ABOVE
    EXPECT_EQ(n.apply("\xCE\xA3\xCE\x91\xCE\xA3"), "\xCF\x83\xCE\xB1\xCF\x83");  // ΣΑΣ -> σασ (no final ς)
    clara::NormalizedText out;
    n.apply("\xC4\xB0x", out);
    EXPECT_EQ(out.origin_end, (std::vector<uint32_t>{2, 2, 2, 3}));
}

TEST(Normalizer, SequencePrependReplace) {
    clara::TextNormalizer n = parse(
        R"({"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]})");
    EXPECT_EQ(n.description(), "Sequence[Prepend, Replace]");
    clara::NormalizedText out;
    n.apply("a b", out);
    EXPECT_EQ(out.text,
              "\xE2\x96\x81"
              "a\xE2\x96\x81"
              "b");
    EXPECT_EQ(out.origin_end, (std::vector<uint32_t>{0, 0, 0, 1, 2, 2, 2, 3}));
    EXPECT_EQ(n.apply(""), "");  // Prepend leaves an empty text empty
    EXPECT_TRUE(parse("null").identity());
    EXPECT_EQ(parse(R"({"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]})")
                  .apply("\xEF\xBC\xA1"
                         "B"),  // full-width A, B
              "ab");
}

TEST(Normalizer, RefusesWhatItDoesNotImplementByName) {
    EXPECT_NE(refusal(R"({"type": "BertNormalizer"})").find("\"BertNormalizer\" is not supported"), std::string::npos);
    EXPECT_NE(refusal(R"({"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "StripAccents"}]})")
                  .find("\"StripAccents\""),
              std::string::npos);
    EXPECT_NE(refusal(R"({"type": "Replace", "pattern": {"Regex": " +"}, "content": " "})").find("Regex"),
              std::string::npos);
    EXPECT_NE(refusal(R"({"type": "Prepend"})").find("prepend"), std::string::npos);
    EXPECT_NE(refusal(R"({"kind": "NFC"})").find("without a \"type\""), std::string::npos);
}

TEST(Normalizer, ByteLevelBpeNormalizesBeforeMerging) {
    auto nfc = clara::BpeTokenizer::from_hf_json(tiny_tokenizer_json(R"({"type": "NFC"})"));
    auto none = clara::BpeTokenizer::from_hf_json(tiny_tokenizer_json("null"));
    const std::string decomposed = "A\xCC\x88";  // A + COMBINING DIAERESIS: NFC is Ä, one merged token
    std::vector<uint32_t> ids;
    nfc->encode(decomposed, ids);
    EXPECT_EQ(ids, (std::vector<uint32_t>{256}));
    EXPECT_EQ(nfc->count(decomposed), 1u);
    EXPECT_EQ(none->count(decomposed), 3u);  // A, CC, 88: without the normalizer nothing merges
    std::vector<uint32_t> ends;
    nfc->token_ends("x" + decomposed, ends);
    EXPECT_EQ(ends, (std::vector<uint32_t>{1, 4}));  // the merged token ends where the original group ends
    EXPECT_STREQ(nfc->kind(), "tokenizer.json");
    EXPECT_EQ(nfc->normalizer().description(), "NFC");
    EXPECT_THROW(clara::BpeTokenizer::from_hf_json(tiny_tokenizer_json(R"({"type": "Precompiled"})")),
                 clara::TokenizerError);
}

TEST(Normalizer, SentencePieceStyleBpeMergesCharactersWithByteFallback) {
    // Llama 2's tokenizer.json shape: no pre-tokenizer, spaces made U+2581
    // by the normalizer, merges over characters, <0xXX> for the rest.
    nlohmann::json vocab = nlohmann::json::object();
    char name[8];
    for (int b = 0; b < 256; b++) {
        snprintf(name, sizeof name, "<0x%02X>", b);
        vocab[name] = b;
    }
    const std::string mark = "\xE2\x96\x81";  // U+2581
    vocab[mark] = 256;
    vocab["a"] = 257;
    vocab["b"] = 258;
    vocab[mark + "a"] = 259;
    vocab[mark + "ab"] = 260;
    nlohmann::json j = {
        {"normalizer", nlohmann::json::parse(R"({"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "},
            "content": "\u2581"}]})")},
        {"pre_tokenizer", nullptr},
        {"model",
         {{"type", "BPE"}, {"byte_fallback", true}, {"vocab", vocab}, {"merges", {mark + " a", mark + "a b"}}}}};
    auto t = clara::BpeTokenizer::from_hf_json(j.dump());
    EXPECT_STREQ(t->pattern(), "none");
    std::vector<uint32_t> ids, ends;
    t->encode("ab ab", ids);
    EXPECT_EQ(ids, (std::vector<uint32_t>{260, 260}));
    t->token_ends("ab ab", ends);
    EXPECT_EQ(ends, (std::vector<uint32_t>{2, 5}));
    ids.clear();
    ends.clear();
    t->encode("a\xC3\xA9", ids);  // é is no piece: its two bytes
    EXPECT_EQ(ids, (std::vector<uint32_t>{259, 0xC3, 0xA9}));
    t->token_ends("a\xC3\xA9", ends);
    EXPECT_EQ(ends, (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(t->count(""), 0u);
    j["model"]["byte_fallback"] = false;  // then it is neither kind Clara reads
    EXPECT_THROW(clara::BpeTokenizer::from_hf_json(j.dump()), clara::TokenizerError);
}
