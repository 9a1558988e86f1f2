// Text -> dense vector with no model file: hashed character n-grams.
// Pure C++17: no PostgreSQL headers, no dependencies. Design notes and
// measurements: docs/hybrid.md.
//
// Recipe (kEmbeddingRecipe, "hashed-ngram-v1"):
//  * Tokens: maximal runs of word characters, lower-cased, with the same
//    character classes and lower-casing as clara::Tokenizer (tokenizer.hpp),
//    markup skipped the same way; '.' never joins numbers. NOT stemmed.
//  * Dropped: stop words (clara::is_stop_word, English + German, checked on
//    the lower-cased token), tokens of one character, tokens longer than
//    kMaxTokenBytes.
//  * Folding (after the stop-word check): Latin-1 letters lose their
//    diacritics (ä -> a, é -> e, ß -> ss, æ -> ae, ø -> o, þ -> th ...), so
//    "Bäume" / "Baume" / "Baum" share n-grams.
//  * Features of a token (code points c1..cL):
//      - the whole token, weight sqrt(word_share), hashed with its own seed;
//      - every n-gram, min_n <= n <= max_n, of "<c1..cL>" ('<' and '>' mark
//        the word boundaries), each of weight sqrt((1 - word_share) / m)
//        where m is the token's number of n-grams;
//    so every token's feature vector has unit length however long it is
//    (a long compound does not outweigh a short word). Tokens of digits only
//    get the whole-token feature alone (weight 1): "2016" and "2017" are
//    different, not similar.
//  * Sublinear tf: each distinct token counts once, times 1 + ln(tf).
//  * Feature hashing: a 64-bit FNV-1a-style hash over the code points, then
//    the murmur3 fmix64 finaliser; dimension = (low 32 bits * dim) >> 32,
//    sign = top bit. Own code, integer only: the same bits on every machine.
//  * The sum is L2-normalised (float32). A text with no features gives the
//    zero vector (its dot product with anything is 0).
//
// Deterministic: same text + params -> the same bits on every platform and
// build (no std::hash, no locale; the 1 + ln(tf) weights come from a table
// for tf <= 64; features are only added, never multiply-added; squares are
// summed in double, where float * float is exact). The golden test checks
// every bit; -O0, -O2 and -O3 -march=x86-64-v3 -ffp-contract=fast agree.
//
// Speed: about 14 us of CPU per 2 KB German document on the (busy) 2-core
// development VM, where clara::Tokenizer takes about 8 (the benchmark in
// tests/core/test_embedding.cpp prints it); no allocation once the buffers
// have seen the largest document. Texts must be under 4 GiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

// Bump when any step of the recipe changes: stored embeddings must then be
// recomputed (an index built with one recipe cannot be queried with another).
constexpr const char *kEmbeddingRecipe = "hashed-ngram-v1";
constexpr uint32_t kDefaultEmbeddingDim = 256;
constexpr uint32_t kMaxEmbeddingDim = 65535;  // fits the 16-bit field of the encoding

struct EmbeddingParams {
    uint32_t dim = kDefaultEmbeddingDim;  // 1..kMaxEmbeddingDim
    uint32_t min_n = 3;                   // n-gram lengths in code points, boundary markers included
    uint32_t max_n = 5;                   // min_n <= max_n <= 8
    float word_share = 0.25f;             // share of a token's squared weight on the whole-token feature
};

// True if p can be used (dim, n-gram range, word_share in [0, 1]).
bool valid_embedding_params(const EmbeddingParams &p);

// Keep one embedder for many documents: it reuses its buffers. Besides them
// it keeps a cache of recent words and their feature codes (8192 entries x
// 192 bytes = 1.5 MB, allocated once it has seen 4096 distinct tokens, so
// never for a few short queries; dim <= 32768 only; feature_cache = false:
// never; results are the same bits, only slower). Not thread-safe; use one per thread. Invalid params (see
// valid_embedding_params) are clamped into range.
class HashedNgramEmbedder {
public:
    explicit HashedNgramEmbedder(const EmbeddingParams &params = EmbeddingParams{}, bool feature_cache = true);
    ~HashedNgramEmbedder();
    HashedNgramEmbedder(const HashedNgramEmbedder &) = delete;
    HashedNgramEmbedder &operator=(const HashedNgramEmbedder &) = delete;

    uint32_t dim() const { return params_.dim; }
    const EmbeddingParams &params() const { return params_; }

    // Writes dim() floats to out: the L2-normalised embedding of text (UTF-8;
    // invalid bytes separate tokens), or all zeros if text has no features.
    void embed(std::string_view text, float *out);
    std::vector<float> embed(std::string_view text);

    // The distinct tokens of the last embed() call that gave features, in
    // order of first occurrence, lower-cased (not folded). For tests, tools.
    std::vector<std::string> last_tokens() const;

private:
    struct Slot {
        uint64_t hash;
        uint32_t epoch;
        uint32_t distinct;  // index into distinct_
    };
    struct Token {
        uint64_t hash;             // of the lower-cased bytes (token_hash)
        uint32_t offset, length;   // bytes in arena_
        uint32_t count;
        uint32_t flags;
    };
    struct Span {
        uint32_t offset, length, flags;
    };
    struct CacheEntry;

    void add_token(size_t start, size_t end, uint32_t flags, uint64_t hash);
    void compute_features(const Token &t);
    bool add_features(const Token &t);

    EmbeddingParams params_;
    bool feature_cache_;
    std::string arena_;            // lower-cased tokens
    std::vector<Span> spans_;      // every token, in text order
    std::vector<Token> distinct_;  // distinct tokens in order of first occurrence
    std::vector<Slot> table_;      // token hash -> distinct_ index (open addressing)
    uint32_t epoch_ = 0;
    std::vector<uint32_t> cps_;    // folded code points of one token, with markers
    std::vector<uint32_t> codes_;  // its feature codes: dimension | sign << 31
    size_t n_word_ = 0;
    float word_w_ = 0.0f, gram_w_ = 0.0f;
    std::vector<float> acc_;       // the unnormalised sum
    std::vector<uint32_t> kept_;   // indices of distinct_ that gave features
    CacheEntry *cache_ = nullptr;
    size_t tokens_seen_ = 0;
};

// Serialised form, for a bytea column. Header (4 bytes): 'E', the format
// byte, dim as little-endian uint16. Then
//   kFloat32: dim little-endian IEEE-754 float32 (4 * dim bytes);
//   kInt8:    a little-endian float32 scale s, then dim int8 q[i], meaning
//             v[i] = s * q[i] (q = round(v / s), s = max|v| / 127).
// kInt8 is 4x smaller (264 bytes at dim 256, against 1028) and keeps the
// float32 ranking: 97.9 % of the top 10 and 98.8 % of the top 100 are the
// same documents (what differs are near-ties); see docs/hybrid.md.
// TopKScanner::scan_int8 scans such rows directly (scale, then the bytes).
enum class EmbeddingFormat : uint8_t { kFloat32 = 1, kInt8 = 2 };
constexpr size_t kEmbeddingHeaderBytes = 4;

size_t encoded_embedding_size(uint32_t dim, EmbeddingFormat format);

// Appends the encoding of v[0..dim) to out. dim must be 1..kMaxEmbeddingDim.
void encode_embedding(const float *v, uint32_t dim, EmbeddingFormat format, std::string &out);

// Reads the dimension of an encoded embedding; false if bytes are not one.
bool embedding_dim(const unsigned char *bytes, size_t len, uint32_t *dim);

// Decodes into out[0..dim) (float32; int8 is expanded). False, out untouched,
// if the bytes are malformed (bad header, wrong length) or their dimension is
// not dim.
bool decode_embedding(const unsigned char *bytes, size_t len, uint32_t dim, float *out);

// For scanning kInt8 rows in place: the scale and the dim int8 values
// (pointing into bytes). False if bytes are not a kInt8 encoding of
// dimension dim.
bool view_int8_embedding(const unsigned char *bytes, size_t len, uint32_t dim, float *scale, const int8_t **values);

}  // namespace clara
