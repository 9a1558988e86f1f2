// The BPE mechanics on small hand-made rank files. Exactness against the
// real encodings (cl100k_base, o200k_base, Llama 3) is checked against
// other people's implementations in tests/integration/tokenizers.sh.
#include "bpe.hpp"
#include "generator/corpus_generator.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
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

// GPT-2's bytes_to_unicode: the vocabulary string of byte b in a
// tokenizer.json (printable Latin-1 as itself, the rest from U+0100 on).
std::string byte_level(std::string_view bytes) {
    std::string out;
    for (unsigned char b : bytes) {
        int extra = 0, cp = -1;
        for (int c = 0; c < 256 && cp < 0; c++) {
            bool printable = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
            if (c == b) cp = printable ? c : 256 + extra;
            if (!printable) extra++;
        }
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    return out;
}

// Generated German and English documents (the benchmark's corpus), joined.
std::string corpus_text(uint64_t first, uint64_t docs) {
    clara::CorpusGenerator gen(7);
    clara::CorpusDocument doc;
    std::string text;
    for (uint64_t i = first; i < first + docs; i++) {
        gen.generate(i, doc);
        text += doc.title + "\n\n" + doc.content + "\n\n";
    }
    return text;
}

// A byte-level BPE trained on text the textbook way (merge the most
// frequent adjacent pair of the cl100k pieces, n times): the merges in
// order, each the bytes of its left and right token. Real enough to give
// pieces of one to a dozen tokens.
std::vector<std::pair<std::string, std::string>> train_merges(const std::string &text, size_t n) {
    std::vector<std::pair<uint32_t, uint32_t>> spans;
    clara::bpe_pre_tokenize(clara::BpePattern::kCl100k, text, spans);
    std::map<std::string, size_t> words;
    for (auto [a, b] : spans) words[text.substr(a, b - a)]++;
    std::vector<std::pair<std::vector<std::string>, size_t>> split;
    for (const auto &[w, c] : words) {
        std::vector<std::string> symbols;
        for (char ch : w) symbols.emplace_back(1, ch);
        split.emplace_back(symbols, c);
    }
    std::vector<std::pair<std::string, std::string>> merges;
    std::set<std::string> tokens;
    while (merges.size() < n) {
        std::map<std::pair<std::string, std::string>, size_t> pairs;
        for (const auto &[symbols, c] : split)
            for (size_t k = 0; k + 1 < symbols.size(); k++) pairs[{symbols[k], symbols[k + 1]}] += c;
        std::pair<std::string, std::string> best;
        size_t best_count = 0;
        for (const auto &[pair, c] : pairs)
            if (c > best_count && !tokens.count(pair.first + pair.second)) {
                best = pair;
                best_count = c;
            }
        if (best_count == 0) break;
        merges.push_back(best);
        tokens.insert(best.first + best.second);
        for (auto &[symbols, c] : split) {
            std::vector<std::string> merged;
            for (size_t k = 0; k < symbols.size(); k++) {
                if (k + 1 < symbols.size() && symbols[k] == best.first && symbols[k + 1] == best.second) {
                    merged.push_back(best.first + best.second);
                    k++;
                } else {
                    merged.push_back(symbols[k]);
                }
            }
            symbols.swap(merged);
        }
    }
    return merges;
}

// The same merges as a Hugging Face tokenizer.json (Llama 3's pre-tokenizer).
std::string tokenizer_json(const std::vector<std::pair<std::string, std::string>> &merges) {
    nlohmann::json vocab = nlohmann::json::object(), list = nlohmann::json::array();
    for (int b = 0; b < 256; b++) vocab[byte_level(std::string(1, char(b)))] = b;
    int id = 256;
    for (const auto &[a, b] : merges) {
        vocab[byte_level(a + b)] = id++;
        list.push_back(byte_level(a) + " " + byte_level(b));
    }
    const char *split =
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    nlohmann::json j = {{"normalizer", nullptr},
                        {"pre_tokenizer",
                         {{"type", "Sequence"},
                          {"pretokenizers",
                           {{{"type", "Split"}, {"pattern", {{"Regex", split}}}, {"behavior", "Isolated"}},
                            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
                        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", list}}}};
    return j.dump();
}

struct Tokens {
    std::vector<uint32_t> ids, ends;
    size_t count = 0;
    bool operator==(const Tokens &o) const { return ids == o.ids && ends == o.ends && count == o.count; }
};

Tokens tokens_of(const clara::BpeTokenizer &t, std::string_view text) {
    Tokens r;
    t.encode(text, r.ids);
    t.token_ends(text, r.ends);
    r.count = t.count(text);
    return r;
}

// Encodes text with t's piece cache cold, warm, after evictions and after
// clear(): every time the ids, ends and count of the same tokenizer
// without a cache.
void expect_cache_changes_nothing(clara::BpeTokenizer &t, const std::string &text) {
    t.piece_cache().resize(0);
    const Tokens reference = tokens_of(t, text);
    ASSERT_GT(reference.count, 10000u);
    ASSERT_EQ(reference.ids.size(), reference.count);
    ASSERT_EQ(reference.ends.size(), reference.count);

    // 64 slots for thousands of distinct pieces: entries are evicted all the time.
    t.piece_cache().resize(64);
    const clara::PieceCache::Stats before = t.piece_cache().stats();
    EXPECT_TRUE(tokens_of(t, text) == reference) << "cold cache";
    const clara::PieceCache::Stats cold = t.piece_cache().stats();
    EXPECT_GT(cold.stores, before.stores);
    EXPECT_GT(cold.evictions, before.evictions);
    EXPECT_TRUE(tokens_of(t, text) == reference) << "warm cache, after evictions";
    EXPECT_GT(t.piece_cache().stats().hits, cold.hits);

    // A cache that holds every piece: the second pass is nearly all hits.
    t.piece_cache().resize(1 << 16);
    EXPECT_TRUE(tokens_of(t, text) == reference) << "cold large cache";
    const clara::PieceCache::Stats filled = t.piece_cache().stats();
    EXPECT_TRUE(tokens_of(t, text) == reference) << "warm large cache";
    const clara::PieceCache::Stats warm = t.piece_cache().stats();
    EXPECT_GT(warm.hits - filled.hits, 9 * (warm.misses - filled.misses));
    t.piece_cache().clear();
    EXPECT_TRUE(tokens_of(t, text) == reference) << "after clear()";
}

}  // namespace

TEST(Bpe, PieceCacheNeverChangesTheTokens) {
    const auto merges = train_merges(corpus_text(1, 25), 300);
    ASSERT_EQ(merges.size(), 300u);
    // Other documents than the training ones, and pieces longer than a
    // cache entry holds (merged every time).
    const std::string text = corpus_text(41, 120) + " Donaudampfschifffahrtsgesellschaftskapitaensmuetzenabzeichen" +
                             "haltervorrichtung " + std::string(70, '=') + " ";

    std::vector<std::string> merged;
    for (const auto &[a, b] : merges) merged.push_back(a + b);
    const clara::BpePattern p = clara::BpePattern::kCl100k;
    auto tiktoken = clara::BpeTokenizer::from_tiktoken(rank_file(merged), &p);
    expect_cache_changes_nothing(*tiktoken, text);

    auto hf = clara::BpeTokenizer::from_hf_json(tokenizer_json(merges));
    expect_cache_changes_nothing(*hf, text);
    // Trained the same way, both give the same tokens (tiktoken's rank of
    // the merged bytes = the merge's line when every merge makes a new token).
    EXPECT_TRUE(tokens_of(*tiktoken, text) == tokens_of(*hf, text));
    // Some pieces have more tokens than an entry holds, some more bytes.
    std::vector<std::pair<uint32_t, uint32_t>> pieces;
    clara::bpe_pre_tokenize(clara::BpePattern::kCl100k, text, pieces);
    size_t many_tokens = 0, many_bytes = 0;
    for (auto [a, b] : pieces) {
        std::vector<uint32_t> ids;
        hf->encode(std::string_view(text).substr(a, b - a), ids);
        many_tokens += ids.size() > clara::PieceCache::kMaxTokens;
        many_bytes += b - a > clara::PieceCache::kMaxBytes;
    }
    EXPECT_GT(many_tokens, 0u);
    EXPECT_GT(many_bytes, 0u);
}

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
