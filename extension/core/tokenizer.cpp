// Tokenizer + Snowball German stemmer. See tokenizer.hpp for the semantics.
// The stemmer is Snowball's own C library (Debian's libstemmer-dev, the
// algorithm PostgreSQL 15 compiles into german_stem);
// tools/validate_tokenizer.sh compares it with ts_lexize('german_stem', ...)
// word by word.
#include "text_classes.hpp"
#include "tokenizer.hpp"

#include <libstemmer.h>

#include <cstring>
#include <new>

namespace clara {
namespace {

#include "stopwords_data.inc"

// Short words as integer keys: the word zero-padded to 8 * W bytes (len <=
// 8 * W). Tokens contain no NUL bytes, so the key identifies the word.
template <size_t W>
inline void load_key(const char *p, size_t len, uint64_t (&key)[W]) {
    for (size_t k = 0; k < W; ++k) key[k] = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) std::memcpy(&key[i / 8], p + i, 8);  // fixed size: inlined
    if (i < len) {
        uint64_t tail = 0;
        for (size_t j = i; j < len; ++j) tail |= uint64_t(static_cast<unsigned char>(p[j])) << (8 * (j - i));
        key[i / 8] = tail;
    }
}

// ---------------------------------------------------------------------------
// Stop words: one open-addressing hash set for both lists, keyed by the
// zero-padded word (every stop word has at most 16 bytes).

class StopSet {
public:
    StopSet() {
        for (std::string_view w : kEnglishStopWords) insert(w);
        for (std::string_view w : kGermanStopWords) insert(w);
    }
    bool contains(std::string_view w) const {
        if (w.size() > max_len_ || w.empty()) return false;
        uint64_t key[2];
        load_key(w.data(), w.size(), key);
        for (size_t i = slot_of(key);; i = (i + 1) & (kSlots - 1)) {
            if (slots_[i][0] == key[0] && slots_[i][1] == key[1]) return true;
            if (slots_[i][0] == 0) return false;
        }
    }

private:
    static constexpr size_t kSlots = 1024;  // power of two, > 2.5 x the 358 words
    static constexpr size_t kMaxBytes = 16;
    static_assert(kSlots == size_t(1) << (64 - 54), "slot_of keeps the top 10 bits");

    static size_t slot_of(const uint64_t (&key)[2]) {
        return static_cast<size_t>(((key[0] * 0x9E3779B97F4A7C15ull) ^ (key[1] * 0xC2B2AE3D27D4EB4Full)) >> 54);
    }
    void insert(std::string_view w) {
        if (w.empty() || w.size() > kMaxBytes) return;  // cannot happen with PostgreSQL's lists
        if (contains(w)) return;
        if (w.size() > max_len_) max_len_ = w.size();
        uint64_t key[2];
        load_key(w.data(), w.size(), key);
        size_t i = slot_of(key);
        while (slots_[i][0] != 0) i = (i + 1) & (kSlots - 1);
        slots_[i][0] = key[0];
        slots_[i][1] = key[1];
    }
    uint64_t slots_[kSlots][2] = {};
    size_t max_len_ = 0;
};

const StopSet &stop_set() {
    static const StopSet set;
    return set;
}

// UTF-8 and character classes: text_classes.hpp, shared with the gram extractor.
using namespace clara::text;

}  // namespace

bool is_stop_word(std::string_view lower_word) { return stop_set().contains(lower_word); }

// ---------------------------------------------------------------------------
// GermanStemmer

GermanStemmer::GermanStemmer() : stemmer_(sb_stemmer_new("german", "UTF_8")) {
    // NULL: out of memory (the algorithm and encoding are compiled in).
    if (stemmer_ == nullptr) throw std::bad_alloc();
}

GermanStemmer::~GermanStemmer() { sb_stemmer_delete(stemmer_); }

std::string_view GermanStemmer::stem(std::string_view lower_word) {
    if (lower_word.size() > kMaxStemBytes) return lower_word;
    const auto *p = reinterpret_cast<const unsigned char *>(lower_word.data());
    const size_t n = lower_word.size();
    // libstemmer reads UTF-8 without checking it: give it valid text only.
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        uint32_t cp;
        i += decode_utf8(p + i, n - i, &cp);
        if (cp == kInvalid) return lower_word;
    }
    const sb_symbol *s = sb_stemmer_stem(stemmer_, p, static_cast<int>(n));
    if (s == nullptr) throw std::bad_alloc();
    return std::string_view(reinterpret_cast<const char *>(s), static_cast<size_t>(sb_stemmer_length(stemmer_)));
}

std::string german_stem(std::string_view lower_word) {
    thread_local GermanStemmer stemmer;
    return std::string(stemmer.stem(lower_word));
}

// ---------------------------------------------------------------------------
// Tokenizer

// The word cache: direct-mapped, keyed by the lower-cased word (letters
// only, at most kCacheWordBytes bytes, zero-padded into three 64-bit words).
constexpr size_t kCacheWordBytes = 24;
constexpr size_t kCacheSlots = 8192;  // power of two
constexpr size_t kCacheAfterTokens = 4096;
constexpr uint8_t kCachedStop = 0xFF;

struct Tokenizer::CacheSlot {
    uint64_t word[3];  // zero-padded word; word[0] == 0 means empty
    char stem[kCacheWordBytes];
    uint8_t stem_len;  // kCachedStop: a stop word
    char pad[64 - 3 * 8 - kCacheWordBytes - 1];
};

Tokenizer::Tokenizer(bool word_cache) : word_cache_(word_cache) {
    (void)stop_set();  // build the table now, not inside the first call
}

Tokenizer::~Tokenizer() { delete[] cache_; }

// The token arena[start, end) is complete (lower-cased, in place in the
// arena). Turns it into its lexeme, or drops it; returns the new end of the
// kept lexemes.
size_t Tokenizer::finish_token(char *arena, size_t start, size_t end, unsigned flags, LexemeList &out) {
    const size_t len = end - start;
    if (len > kMaxTokenBytes) return start;
    if (flags & kDigit) {  // digits, or letters and digits: kept as they are
        out.lexemes.push_back(Lexeme{static_cast<uint32_t>(start), static_cast<uint32_t>(len)});
        return end;
    }
    char *word = arena + start;
    CacheSlot *slot = nullptr;
    uint64_t key[3] = {0, 0, 0};
    if (cache_ == nullptr && word_cache_ && ++tokens_seen_ >= kCacheAfterTokens) {
        cache_ = new CacheSlot[kCacheSlots];
        std::memset(static_cast<void *>(cache_), 0, sizeof(CacheSlot) * kCacheSlots);
    }
    if (cache_ != nullptr && len <= kCacheWordBytes) {
        load_key(word, len, key);
        uint64_t h = (key[0] * 0x9E3779B97F4A7C15ull) ^ (key[1] * 0xC2B2AE3D27D4EB4Full) ^
                     (key[2] * 0x165667B19E3779F9ull);
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 32;
        slot = &cache_[h & (kCacheSlots - 1)];
        if (slot->word[0] == key[0] && slot->word[1] == key[1] && slot->word[2] == key[2]) {
            if (slot->stem_len == kCachedStop) return start;
            std::memcpy(word, slot->stem, slot->stem_len);
            out.lexemes.push_back(Lexeme{static_cast<uint32_t>(start), slot->stem_len});
            return start + slot->stem_len;
        }
    }
    const bool stop = stop_set().contains(std::string_view(word, len));
    size_t stem_len = 0;
    if (!stop) {
        // Stemmed in place: German stems are never longer than their word
        // (ß -> ss keeps the bytes, umlauts lose one); if one were, the
        // word would stay as it is rather than overrun the next token.
        const std::string_view stem = stemmer_.stem(std::string_view(word, len));
        stem_len = len;
        if (stem.size() <= len) {
            std::memmove(word, stem.data(), stem.size());
            stem_len = stem.size();
        }
    }
    if (slot != nullptr) {
        std::memcpy(slot->word, key, sizeof key);
        slot->stem_len = stop ? kCachedStop : static_cast<uint8_t>(stem_len);
        std::memcpy(slot->stem, word, stem_len);
    }
    if (stop) return start;
    out.lexemes.push_back(Lexeme{static_cast<uint32_t>(start), static_cast<uint32_t>(stem_len)});
    return start + stem_len;
}

// Tokens are lower-cased straight into out.arena, which is grown by
// text.size() up front: a lower-cased token never has more bytes than its
// text, and a lexeme never more than its token, so each token is stemmed in
// place and the kept lexemes stay packed.
void Tokenizer::tokenize(std::string_view text, LexemeList &out) {
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    if (n == 0) return;
    const size_t base = out.arena.size();
    out.arena.resize(base + n);
    char *const arena = &out.arena[0];
    size_t used = base;  // end of the kept lexemes = start of the current token
    size_t w = base;     // end of the current token
    unsigned flags = 0;
    size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            const unsigned cls = kAscii.cls[c];
            if (cls != 0) {
                // A run of ASCII letters and digits, lower-cased in one go.
                size_t j = i;
                do {
                    flags |= kAscii.cls[p[j]];
                    arena[w++] = kAscii.lower[p[j]];
                    ++j;
                } while (j < n && p[j] < 0x80 && kAscii.cls[p[j]] != 0);
                i = j;
                continue;
            }
            ++i;
            if (c == '.') {
                // A '.' between digits joins a number: "3.14", "1.000", "03.01.2016".
                if (flags == kDigit && i < n && p[i] >= '0' && p[i] <= '9') {
                    arena[w++] = '.';
                    continue;
                }
            } else if (c == '<') {
                i = skip_tag(p, n, i);
            } else if (c == '&') {
                i = skip_entity(p, n, i);
            }
        } else if (take_word_cp(p, n, i, arena, w)) {
            flags |= kLetter;
            continue;
        }
        if (w != used) {
            used = w = finish_token(arena, used, w, flags, out);
            flags = 0;
        }
    }
    if (w != used) used = finish_token(arena, used, w, flags, out);
    out.arena.resize(used);
}

std::vector<std::string> Tokenizer::lexemes(std::string_view text) {
    LexemeList list;
    tokenize(text, list);
    std::vector<std::string> result;
    result.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) result.emplace_back(list[i]);
    return result;
}

}  // namespace clara
