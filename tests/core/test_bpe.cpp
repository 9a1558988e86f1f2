// The BPE mechanics on small hand-made rank files. Exactness against the
// real encodings (cl100k_base, o200k_base, Llama 3) is checked against
// other people's implementations in tests/integration/tokenizers.sh.
#include "bpe.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

std::string b64(std::string_view bytes) {
    static const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
        for (int k = 18; k >= 0; k -= 6) out += abc[(v >> k) & 63];
    }
    if (i + 1 == bytes.size()) {
        uint32_t v = uint8_t(bytes[i]) << 16;
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
        for (int k = 18; k >= 6; k -= 6) out += abc[(v >> k) & 63];
        out += "=";
    }
    return out;
}

// 256 single bytes, then the given merges' results in rank order.
std::string rank_file(const std::vector<std::string> &merged) {
    std::string f;
    int rank = 0;
    for (int b = 0; b < 256; b++) f += b64(std::string(1, char(b))) + " " + std::to_string(rank++) + "\n";
    for (const std::string &m : merged) f += b64(m) + " " + std::to_string(rank++) + "\n";
    return f;
}

std::vector<std::string> pieces(clara::BpePattern p, std::string_view text) {
    std::vector<std::pair<uint32_t, uint32_t>> r;
    clara::bpe_pre_tokenize(p, text, r);
    std::vector<std::string> out;
    out.reserve(r.size());
    for (auto [a, b] : r) out.emplace_back(text.substr(a, b - a));
    return out;
}

}  // namespace

TEST(Bpe, Cl100kPieces) {
    using V = std::vector<std::string>;
    EXPECT_EQ(pieces(clara::BpePattern::kCl100k, "Hello world's  \n\n 123456"),
              (V{"Hello", " world", "'s", "  \n\n", " ", "123", "456"}));
    EXPECT_EQ(pieces(clara::BpePattern::kCl100k, "a  b   "), (V{"a", " ", " b", "   "}));
    EXPECT_EQ(pieces(clara::BpePattern::kCl100k, "x!!?\n\ny"), (V{"x", "!!?\n\n", "y"}));
    EXPECT_EQ(pieces(clara::BpePattern::kQwen2, "1234"), (V{"1", "2", "3", "4"}));
    EXPECT_EQ(pieces(clara::BpePattern::kO200k, "HTTPServer isn't"), (V{"HTTPServer", " isn't"}));
    EXPECT_EQ(pieces(clara::BpePattern::kGpt2, "I'M here"), (V{"I", "'", "M", " here"}));
}

TEST(Bpe, MergesLowestRankFirst) {
    const clara::BpePattern p = clara::BpePattern::kCl100k;
    // "ab" before "bc": "abc" -> "ab" + "c"; then "abc" itself once ranked.
    auto t = clara::BpeTokenizer::from_tiktoken(rank_file({"ab", "bc"}), &p);
    std::vector<uint32_t> ids;
    t->encode("abc", ids);
    EXPECT_EQ(ids, (std::vector<uint32_t>{256, 'c'}));
    auto u = clara::BpeTokenizer::from_tiktoken(rank_file({"bc", "ab", "abc"}), &p);
    ids.clear();
    // a b c a b: bc (256) first, then ab (257) at the end, then a+bc = abc (258).
    u->encode("abcab", ids);
    EXPECT_EQ(ids, (std::vector<uint32_t>{258, 257}));
    EXPECT_EQ(u->count("abc"), 1u);
    std::vector<uint32_t> ends;
    u->token_ends("abcab", ends);
    EXPECT_EQ(ends, (std::vector<uint32_t>{3, 5}));
}

TEST(Bpe, RefusesWhatItCannotUse) {
    EXPECT_THROW(clara::BpeTokenizer::from_tiktoken("not base64! 1\n"), clara::TokenizerError);
    EXPECT_THROW(clara::BpeTokenizer::from_tiktoken(rank_file({"ab"})), clara::TokenizerError);  // unknown size
    EXPECT_THROW(clara::BpeTokenizer::from_hf_json("{\"model\": {\"type\": \"Unigram\"}}"), clara::TokenizerError);
    EXPECT_THROW(clara::BpeTokenizer::from_hf_json("{not json"), clara::TokenizerError);
    EXPECT_THROW(clara::BpeTokenizer::from_file("{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}"),
                 clara::TokenizerError);  // no byte-level pre-tokenizer
}
