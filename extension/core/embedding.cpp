// Hashed character n-gram embeddings. See embedding.hpp for the recipe.
#include "embedding.hpp"

#include "text_classes.hpp"
#include "tokenizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace clara {
namespace {

// Character classes and lower-casing: text_classes.hpp, shared with the
// tokenizer. Tokens here are not stemmed and '.' never joins numbers.
using namespace clara::text;

constexpr uint32_t kStop = 4;  // dropped: stop word, one character, too long

// Diacritic folding of the lower-case Latin-1 letters U+00DF..U+00FF: one or
// two ASCII letters each ("" = keep the code point: ÷ is not a letter).
constexpr const char *kFoldLatin1[0x21] = {
    "ss",                                     // DF ß
    "a",  "a", "a", "a", "a", "a", "ae",      // E0-E6 à á â ã ä å æ
    "c",                                      // E7 ç
    "e",  "e", "e", "e",                      // E8-EB
    "i",  "i", "i", "i",                      // EC-EF
    "d",  "n",                                // F0 ð, F1 ñ
    "o",  "o", "o", "o", "o",                 // F2-F6
    "",                                       // F7 ÷
    "o",                                      // F8 ø
    "u",  "u", "u", "u",                      // F9-FC
    "y",  "th", "y",                          // FD ý, FE þ, FF ÿ
};

// 1 + ln(tf) for tf = 1..64 (float32, from a correctly rounded log): no libm
// in the common case, so the weights are the same bits everywhere.
constexpr float kLogTf[64] = {
    1.0f,        1.69314718f, 2.09861231f, 2.38629436f, 2.60943794f, 2.79175949f, 2.94591022f, 3.07944155f,
    3.19722462f, 3.30258512f, 3.39789534f, 3.48490667f, 3.56494927f, 3.6390574f,  3.70805025f, 3.77258873f,
    3.83321333f, 3.8903718f,  3.94443893f, 3.99573231f, 4.04452229f, 4.09104252f, 4.13549423f, 4.17805386f,
    4.21887589f, 4.25809669f, 4.29583693f, 4.33220434f, 4.36729574f, 4.40119743f, 4.43398714f, 4.46573591f,
    4.49650764f, 4.52636051f, 4.55534792f, 4.58351898f, 4.61091805f, 4.63758612f, 4.66356182f, 4.68887949f,
    4.71357203f, 4.73766947f, 4.76119995f, 4.7841897f,  4.80666256f, 4.82864141f, 4.85014772f, 4.87120104f,
    4.89182043f, 4.91202307f, 4.93182564f, 4.95124388f, 4.97029209f, 4.98898411f, 5.00733328f, 5.02535152f,
    5.04305124f, 5.06044292f, 5.07753754f, 5.09434462f, 5.1108737f,  5.12713432f, 5.14313459f, 5.15888309f,
};

inline float tf_weight(uint32_t tf) {
    return tf <= 64 ? kLogTf[tf - 1] : static_cast<float>(1.0 + std::log(static_cast<double>(tf)));
}

// Hashing: FNV-1a over code points (or bytes), finished by murmur3's fmix64.
constexpr uint64_t kFnvOffset = 0xCBF29CE484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001B3ull;
constexpr uint64_t kNgramSeed = kFnvOffset;
constexpr uint64_t kWordSeed = 0x84222325CBF29CE4ull;
constexpr uint32_t kBow = '<';
constexpr uint32_t kEow = '>';

inline uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ull;
    k ^= k >> 33;
    return k;
}

// Identity of a token within a document and in the feature cache: its
// lower-cased bytes, 8 at a time (little-endian words, the last one cut to
// the token), mixed with its length. p must be readable for 8 bytes past
// len (the arena keeps that slack). 64 bits: a collision between two
// different words is not expected in the lifetime of a corpus.
inline uint64_t load_le64(const char *p) {
    const auto *u = reinterpret_cast<const unsigned char *>(p);
    return uint64_t(u[0]) | (uint64_t(u[1]) << 8) | (uint64_t(u[2]) << 16) | (uint64_t(u[3]) << 24) |
           (uint64_t(u[4]) << 32) | (uint64_t(u[5]) << 40) | (uint64_t(u[6]) << 48) | (uint64_t(u[7]) << 56);
}

inline uint64_t token_hash(const char *p, size_t len) {
    uint64_t h = kFnvOffset ^ (len * 0x9E3779B97F4A7C15ull);
    for (size_t i = 0; i < len; i += 8) {
        uint64_t chunk = load_le64(p + i);
        const size_t rem = len - i;
        if (rem < 8) chunk &= ~uint64_t(0) >> (64 - 8 * rem);
        h = (h ^ chunk) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return fmix64(h);
}

constexpr size_t kInitialSlots = 1024;  // power of two

// Feature cache: direct-mapped, keyed by the token's 64-bit hash and length.
// A hit replays the same feature codes in the same order, so results are the
// same bits with or without it. Codes are 16-bit (dimension in the low 15
// bits, sign in the top bit): only for dim <= 32768.
constexpr size_t kCacheSlots = 8192;  // power of two
constexpr size_t kCacheAfterTokens = 4096;
constexpr size_t kCacheCodes = 84;    // tokens of up to 28 code points
constexpr uint32_t kCacheMaxDim = 32768;

// Adds the weighted features to acc. Code = dimension | sign << (top bit).
template <class Code>
inline void scatter(float *acc, const Code *codes, size_t n_word, size_t n, float word_w, float gram_w) {
    constexpr unsigned kShift = sizeof(Code) * 8 - 1;
    constexpr Code kIndex = static_cast<Code>(~(Code(1) << kShift));
    uint32_t wb, gb;
    std::memcpy(&wb, &word_w, 4);
    std::memcpy(&gb, &gram_w, 4);
    for (size_t i = 0; i < n; ++i) {
        // The sign goes onto the float's sign bit: a branch would be
        // mispredicted half the time.
        const uint32_t bits = (i < n_word ? wb : gb) ^ (static_cast<uint32_t>(codes[i] >> kShift) << 31);
        float w;
        std::memcpy(&w, &bits, 4);
        acc[codes[i] & kIndex] += w;
    }
}

}  // namespace

struct HashedNgramEmbedder::CacheEntry {
    uint64_t hash;
    uint32_t length;  // token bytes; 0 = empty slot
    uint8_t stop;     // 1: stop word, no features
    uint8_t n_word;   // leading codes that are whole-token features (0 or 1)
    uint16_t n_codes;
    float word_w, gram_w;
    uint16_t codes[kCacheCodes];
};

bool valid_embedding_params(const EmbeddingParams &p) {
    return p.dim >= 1 && p.dim <= kMaxEmbeddingDim && p.min_n >= 1 && p.min_n <= p.max_n && p.max_n <= 8 &&
           p.word_share >= 0.0f && p.word_share <= 1.0f;
}

HashedNgramEmbedder::HashedNgramEmbedder(const EmbeddingParams &params, bool feature_cache)
    : params_(params), feature_cache_(feature_cache) {
    if (params_.dim < 1) params_.dim = 1;
    if (params_.dim > kMaxEmbeddingDim) params_.dim = kMaxEmbeddingDim;
    if (params_.max_n > 8) params_.max_n = 8;
    if (params_.max_n < 1) params_.max_n = 1;
    if (params_.min_n < 1) params_.min_n = 1;
    if (params_.min_n > params_.max_n) params_.min_n = params_.max_n;
    if (!(params_.word_share >= 0.0f)) params_.word_share = 0.0f;  // also NaN
    if (params_.word_share > 1.0f) params_.word_share = 1.0f;
    if (params_.dim > kCacheMaxDim) feature_cache_ = false;
    (void)is_stop_word("");  // build the stop-word table now, not inside the first call
    table_.assign(kInitialSlots, Slot{0, 0, 0});
    acc_.assign(params_.dim, 0.0f);
    cps_.reserve(64);
    codes_.reserve(128);
    distinct_.reserve(256);
    kept_.reserve(256);
}

HashedNgramEmbedder::~HashedNgramEmbedder() { delete[] cache_; }

// arena_[start, end) is a lower-cased token whose bytes hash to hash.
// Counts it, or adds it to distinct_ if it is new.
void HashedNgramEmbedder::add_token(size_t start, size_t end, uint32_t flags, uint64_t hash) {
    size_t mask = table_.size() - 1;
    for (size_t i = static_cast<size_t>(hash) & mask;; i = (i + 1) & mask) {
        Slot &s = table_[i];
        if (s.epoch != epoch_) {
            s = Slot{hash, epoch_, static_cast<uint32_t>(distinct_.size())};
            break;
        }
        if (s.hash == hash) {
            ++distinct_[s.distinct].count;
            return;
        }
    }
    const size_t len = end - start;
    bool one_char = len == 1;
    if (!one_char && len <= 4) {
        uint32_t cp;
        one_char = decode_utf8(reinterpret_cast<const unsigned char *>(arena_.data() + start), len, &cp) == len;
    }
    if (len > kMaxTokenBytes || one_char) flags |= kStop;
    distinct_.push_back(Token{hash, static_cast<uint32_t>(start), static_cast<uint32_t>(len), 1, flags});
    if (distinct_.size() * 2 > table_.size()) {  // keep the load under 1/2
        std::vector<Slot> old;
        old.swap(table_);
        table_.assign(old.size() * 2, Slot{0, 0, 0});
        mask = table_.size() - 1;
        for (const Slot &s : old) {
            if (s.epoch != epoch_) continue;
            size_t i = static_cast<size_t>(s.hash) & mask;
            while (table_[i].epoch == epoch_) i = (i + 1) & mask;
            table_[i] = s;
        }
    }
}

// The feature codes of token t (dimension | sign << 31) into codes_: the
// whole-token feature first (n_word_ of them), then the n-grams in order.
void HashedNgramEmbedder::compute_features(const Token &t) {
    // Folded code points between boundary markers.
    cps_.clear();
    cps_.push_back(kBow);
    const auto *p = reinterpret_cast<const unsigned char *>(arena_.data() + t.offset);
    for (size_t i = 0; i < t.length;) {
        uint32_t cp;
        i += decode_utf8(p + i, t.length - i, &cp);  // valid: we encoded it
        if (cp >= 0xDF && cp <= 0xFF && kFoldLatin1[cp - 0xDF][0] != '\0') {
            for (const char *f = kFoldLatin1[cp - 0xDF]; *f; ++f) cps_.push_back(static_cast<unsigned char>(*f));
        } else {
            cps_.push_back(cp);
        }
    }
    cps_.push_back(kEow);

    codes_.clear();
    const uint64_t dim = params_.dim;
    auto code = [dim](uint64_t h) {
        const uint64_t m = fmix64(h);
        return static_cast<uint32_t>(((m & 0xFFFFFFFFull) * dim) >> 32) | (static_cast<uint32_t>(m >> 63) << 31);
    };

    const size_t len = cps_.size() - 2;  // without markers
    uint64_t word = kWordSeed;
    for (size_t i = 1; i <= len; ++i) word = (word ^ cps_[i]) * kFnvPrime;
    if (t.flags == kDigit) {  // digits only: the number itself, nothing similar
        codes_.push_back(code(word));
        n_word_ = 1;
        word_w_ = 1.0f;
        gram_w_ = 0.0f;
        return;
    }

    const size_t total = cps_.size();
    const size_t min_n = params_.min_n, max_n = params_.max_n;
    size_t grams = 0;
    for (size_t n = min_n; n <= max_n && n <= total; ++n) grams += total - n + 1;
    const float share = params_.word_share;
    n_word_ = share > 0.0f ? 1 : 0;
    word_w_ = std::sqrt(share);
    gram_w_ = grams > 0 ? std::sqrt((1.0f - share) / static_cast<float>(grams)) : 0.0f;
    if (n_word_) codes_.push_back(code(word));
    if (grams == 0 || share >= 1.0f) return;
    const uint32_t *c = cps_.data();
    for (size_t i = 0; i + min_n <= total; ++i) {
        uint64_t h = kNgramSeed;
        const size_t stop = i + max_n < total ? i + max_n : total;
        size_t j = i;
        for (; j < i + min_n - 1; ++j) h = (h ^ c[j]) * kFnvPrime;
        for (; j < stop; ++j) {
            h = (h ^ c[j]) * kFnvPrime;
            codes_.push_back(code(h));
        }
    }
}

// Adds token t's features, weighted by 1 + ln(tf); false if it has none
// (a stop word).
bool HashedNgramEmbedder::add_features(const Token &t) {
    const float tfw = tf_weight(t.count);
    CacheEntry *e = nullptr;
    if (feature_cache_) {
        if (cache_ == nullptr && ++tokens_seen_ >= kCacheAfterTokens) {
            cache_ = new CacheEntry[kCacheSlots];
            std::memset(static_cast<void *>(cache_), 0, sizeof(CacheEntry) * kCacheSlots);
        }
        if (cache_ != nullptr && t.flags != kDigit) {  // numbers: one cheap feature, and too many
            e = &cache_[(t.hash >> 32) & (kCacheSlots - 1)];
            if (e->length == t.length && e->hash == t.hash) {
                if (e->stop) return false;
                scatter(acc_.data(), e->codes, e->n_word, e->n_codes, tfw * e->word_w, tfw * e->gram_w);
                return true;
            }
        }
    }
    const bool stop = is_stop_word(std::string_view(arena_.data() + t.offset, t.length));
    if (!stop) {
        compute_features(t);
        scatter(acc_.data(), codes_.data(), n_word_, codes_.size(), tfw * word_w_, tfw * gram_w_);
    }
    if (e != nullptr && (stop || codes_.size() <= kCacheCodes)) {
        e->hash = t.hash;
        e->length = t.length;
        e->stop = stop;
        if (!stop) {
            e->n_word = static_cast<uint8_t>(n_word_);
            e->n_codes = static_cast<uint16_t>(codes_.size());
            e->word_w = word_w_;
            e->gram_w = gram_w_;
            for (size_t i = 0; i < codes_.size(); ++i)
                e->codes[i] = static_cast<uint16_t>((codes_[i] & 0x7FFFu) | ((codes_[i] >> 31) << 15));
        }
    }
    return !stop;
}

void HashedNgramEmbedder::embed(std::string_view text, float *out) {
    distinct_.clear();
    kept_.clear();
    if (++epoch_ == 0) {  // wrapped: forget every slot for real
        for (Slot &s : table_) s.epoch = 0;
        epoch_ = 1;
    }
    std::fill(acc_.begin(), acc_.end(), 0.0f);

    // Pass 1: tokens lower-cased into arena_, which never needs more bytes
    // than the text (lower-casing never lengthens a code point's UTF-8).
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    arena_.resize(n + 8);  // + 8: token_hash reads whole words
    char *const arena = &arena_[0];
    spans_.clear();
    size_t start = 0;  // of the current token
    size_t w = 0;      // end of the current token
    uint32_t flags = 0;
    size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            const unsigned cls = kAscii.cls[c];
            if (cls != 0) {
                do {
                    const unsigned char b = p[i];
                    flags |= kAscii.cls[b];
                    arena[w++] = kAscii.lower[b];
                    ++i;
                } while (i < n && p[i] < 0x80 && kAscii.cls[p[i]] != 0);
                continue;
            }
            ++i;
            if (c == '<')
                i = skip_tag(p, n, i);
            else if (c == '&')
                i = skip_entity(p, n, i);
        } else if (take_word_cp(p, n, i, arena, w)) {
            flags |= kLetter;
            continue;
        }
        if (w != start) {
            spans_.push_back(Span{static_cast<uint32_t>(start), static_cast<uint32_t>(w - start), flags});
            start = w;
        }
        flags = 0;
    }
    if (w != start) spans_.push_back(Span{static_cast<uint32_t>(start), static_cast<uint32_t>(w - start), flags});

    // Pass 2: distinct tokens and their counts. (Hashing here rather than
    // as each token ends keeps the word loads clear of the byte stores.)
    for (const Span &sp : spans_)
        add_token(sp.offset, size_t(sp.offset) + sp.length, sp.flags, token_hash(arena + sp.offset, sp.length));

    for (size_t t = 0; t < distinct_.size(); ++t) {
        if (cache_ != nullptr && t + 4 < distinct_.size())  // the entry is likely not in L1
            __builtin_prefetch(&cache_[(distinct_[t + 4].hash >> 32) & (kCacheSlots - 1)]);
        if (distinct_[t].flags & kStop) continue;
        if (add_features(distinct_[t])) kept_.push_back(static_cast<uint32_t>(t));
    }

    // L2 normalisation. A float squared is exact in double, so the sum does
    // not depend on whether the compiler fuses multiply and add.
    double sum = 0.0;
    for (const float v : acc_) sum += static_cast<double>(v) * static_cast<double>(v);
    const size_t dim = params_.dim;
    if (sum > 0.0) {
        const double inv = 1.0 / std::sqrt(sum);
        for (size_t d = 0; d < dim; ++d) out[d] = static_cast<float>(static_cast<double>(acc_[d]) * inv);
    } else {
        for (size_t d = 0; d < dim; ++d) out[d] = 0.0f;
    }
}

std::vector<float> HashedNgramEmbedder::embed(std::string_view text) {
    std::vector<float> v(params_.dim);
    embed(text, v.data());
    return v;
}

std::vector<std::string> HashedNgramEmbedder::last_tokens() const {
    std::vector<std::string> result;
    for (const uint32_t t : kept_) {
        const Token &tok = distinct_[t];
        result.emplace_back(arena_.data() + tok.offset, tok.length);
    }
    return result;
}

// ---------------------------------------------------------------------------
// Serialisation.

namespace {

constexpr unsigned char kMagic = 'E';

inline void put_u32(std::string &out, uint32_t v) {
    const char b[4] = {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF),
                       static_cast<char>((v >> 16) & 0xFF), static_cast<char>(v >> 24)};
    out.append(b, 4);
}

inline uint32_t get_u32(const unsigned char *p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

inline uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

inline float bits_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

}  // namespace

size_t encoded_embedding_size(uint32_t dim, EmbeddingFormat format) {
    return kEmbeddingHeaderBytes + (format == EmbeddingFormat::kFloat32 ? 4 * size_t(dim) : 4 + size_t(dim));
}

void encode_embedding(const float *v, uint32_t dim, EmbeddingFormat format, std::string &out) {
    out.reserve(out.size() + encoded_embedding_size(dim, format));
    out.push_back(static_cast<char>(kMagic));
    out.push_back(static_cast<char>(format));
    out.push_back(static_cast<char>(dim & 0xFF));
    out.push_back(static_cast<char>((dim >> 8) & 0xFF));
    if (format == EmbeddingFormat::kFloat32) {
        for (uint32_t i = 0; i < dim; ++i) put_u32(out, float_bits(v[i]));
        return;
    }
    float max_abs = 0.0f;
    for (uint32_t i = 0; i < dim; ++i) {
        const float a = std::fabs(v[i]);
        if (a > max_abs) max_abs = a;  // NaN never wins
    }
    const float scale = max_abs > 0.0f && std::isfinite(max_abs) ? max_abs / 127.0f : 0.0f;
    put_u32(out, float_bits(scale));
    for (uint32_t i = 0; i < dim; ++i) {
        float q = 0.0f;  // NaN components become 0
        if (scale > 0.0f && v[i] == v[i]) {
            q = std::nearbyint(v[i] / scale);
            if (q > 127.0f) q = 127.0f;
            if (q < -127.0f) q = -127.0f;
        }
        out.push_back(static_cast<char>(static_cast<int8_t>(q)));
    }
}

bool embedding_dim(const unsigned char *bytes, size_t len, uint32_t *dim) {
    if (len < kEmbeddingHeaderBytes || bytes[0] != kMagic) return false;
    const uint8_t format = bytes[1];
    if (format != uint8_t(EmbeddingFormat::kFloat32) && format != uint8_t(EmbeddingFormat::kInt8)) return false;
    const uint32_t d = uint32_t(bytes[2]) | (uint32_t(bytes[3]) << 8);
    if (d == 0 || len != encoded_embedding_size(d, EmbeddingFormat(format))) return false;
    *dim = d;
    return true;
}

bool decode_embedding(const unsigned char *bytes, size_t len, uint32_t dim, float *out) {
    uint32_t d;
    if (!embedding_dim(bytes, len, &d) || d != dim) return false;
    const unsigned char *p = bytes + kEmbeddingHeaderBytes;
    if (EmbeddingFormat(bytes[1]) == EmbeddingFormat::kFloat32) {
        for (uint32_t i = 0; i < dim; ++i) out[i] = bits_float(get_u32(p + 4 * size_t(i)));
        return true;
    }
    const float scale = bits_float(get_u32(p));
    p += 4;
    for (uint32_t i = 0; i < dim; ++i) out[i] = scale * static_cast<float>(static_cast<int8_t>(p[i]));
    return true;
}

bool view_int8_embedding(const unsigned char *bytes, size_t len, uint32_t dim, float *scale, const int8_t **values) {
    uint32_t d;
    if (!embedding_dim(bytes, len, &d) || d != dim || EmbeddingFormat(bytes[1]) != EmbeddingFormat::kInt8) return false;
    *scale = bits_float(get_u32(bytes + kEmbeddingHeaderBytes));
    *values = reinterpret_cast<const int8_t *>(bytes + kEmbeddingHeaderBytes + 4);
    return true;
}

}  // namespace clara
