// Tokenizer + Snowball German stemmer. See tokenizer.hpp for the semantics.
// The stemmer is written from the published description of Snowball's German
// algorithm (snowballstem.org/algorithms/german/stemmer.html), in the variant
// PostgreSQL 15 ships; tools/validate_tokenizer.sh compares it with
// ts_lexize('german_stem', ...) word by word.
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

// ---------------------------------------------------------------------------
// Snowball German. Ch is unsigned char (all code points <= U+00FF: ä ö ü are
// 0xE4 0xF6 0xFC in both Latin-1 and Unicode) or uint32_t (anything else).

constexpr uint32_t kAe = 0xE4, kOe = 0xF6, kUe = 0xFC;

template <class Ch>
inline bool is_vowel(Ch c) {
    switch (static_cast<uint32_t>(c)) {
    case 'a': case 'e': case 'i': case 'o': case 'u': case 'y': case kAe: case kOe: case kUe:
        return true;
    default:
        return false;
    }
}

// Does s[0, n) end with the ASCII literal suffix? (Length known at compile
// time, so the comparison unrolls.)
template <class Ch, size_t N>
inline bool ends_with(const Ch *s, size_t n, const char (&suffix)[N]) {
    constexpr size_t k = N - 1;
    if (n < k) return false;
    for (size_t i = 0; i < k; ++i)
        if (static_cast<uint32_t>(s[n - k + i]) != static_cast<unsigned char>(suffix[i])) return false;
    return true;
}

// b d f g h k l m n r t (s_ending); st_ending is the same without r.
template <class Ch>
inline bool is_s_ending(Ch c) {
    switch (static_cast<uint32_t>(c)) {
    case 'b': case 'd': case 'f': case 'g': case 'h': case 'k': case 'l': case 'm': case 'n': case 'r': case 't':
        return true;
    default:
        return false;
    }
}

// Stems s[0, n) in place (ß already replaced by ss); returns the new length.
template <class Ch>
size_t stem_chars(Ch *s, size_t n) {
    // Prelude: u and y between vowels become U and Y (left to right; a
    // marked letter no longer counts as a vowel for the next one).
    for (size_t i = 1; i + 1 < n; ++i) {
        if ((s[i] == 'u' || s[i] == 'y') && is_vowel(s[i - 1]) && is_vowel(s[i + 1]))
            s[i] = static_cast<Ch>(s[i] == 'u' ? 'U' : 'Y');
    }

    // Regions. R1 starts after the first non-vowel following a vowel, but
    // at least 3 letters in; R2 likewise after R1's start (unadjusted).
    // Words of fewer than 3 letters have empty regions.
    size_t p1 = n, p2 = n;
    if (n >= 3) {
        size_t i = 0;
        while (i < n && !is_vowel(s[i])) ++i;
        if (i < n) {
            ++i;
            while (i < n && is_vowel(s[i])) ++i;
            if (i < n) {
                ++i;
                p1 = i < 3 ? 3 : i;
                while (i < n && !is_vowel(s[i])) ++i;
                if (i < n) {
                    ++i;
                    while (i < n && is_vowel(s[i])) ++i;
                    if (i < n) p2 = i + 1;
                }
            }
        }
    }

    // Step 1: the longest of em ern er | e en es | s, deleted if in R1.
    {
        size_t k = 0;
        int group = 0;  // 1: em ern er, 2: e en es, 3: s
        if (ends_with(s, n, "ern")) {
            k = 3, group = 1;
        } else if (ends_with(s, n, "em") || ends_with(s, n, "er")) {
            k = 2, group = 1;
        } else if (ends_with(s, n, "en") || ends_with(s, n, "es")) {
            k = 2, group = 2;
        } else if (ends_with(s, n, "e")) {
            k = 1, group = 2;
        } else if (ends_with(s, n, "s")) {
            k = 1, group = 3;
        }
        if (k != 0 && n - k >= p1) {
            if (group == 1) {
                n -= k;
            } else if (group == 2) {
                n -= k;
                if (ends_with(s, n, "niss")) n -= 1;
            } else if (n >= 2 && is_s_ending(s[n - 2])) {
                n -= 1;
            }
        }
    }

    // Step 2: the longest of en er est | st, deleted if in R1; st only after
    // an st-ending that has at least 3 letters before it.
    {
        size_t k = 0;
        if (ends_with(s, n, "est"))
            k = 3;
        else if (ends_with(s, n, "en") || ends_with(s, n, "er") || ends_with(s, n, "st"))
            k = 2;
        if (k != 0 && n - k >= p1) {
            if (k == 3 || s[n - 1] != 't') {
                n -= k;
            } else if (n >= 6 && s[n - 3] != 'r' && is_s_ending(s[n - 3])) {  // "st"
                n -= 2;
            }
        }
    }

    // Step 3: derivational suffixes in R2.
    {
        size_t k = 0;
        int which = 0;  // 1: end ung, 2: ig ik isch, 3: lich heit, 4: keit
        if (ends_with(s, n, "lich") || ends_with(s, n, "heit")) {
            k = 4, which = 3;
        } else if (ends_with(s, n, "keit")) {
            k = 4, which = 4;
        } else if (ends_with(s, n, "isch")) {
            k = 4, which = 2;
        } else if (ends_with(s, n, "end") || ends_with(s, n, "ung")) {
            k = 3, which = 1;
        } else if (ends_with(s, n, "ig") || ends_with(s, n, "ik")) {
            k = 2, which = 2;
        }
        if (k != 0 && n - k >= p2) {
            switch (which) {
            case 1:
                n -= k;
                if (ends_with(s, n, "ig") && n - 2 >= p2 && !(n >= 3 && s[n - 3] == 'e')) n -= 2;
                break;
            case 2:
                if (!(n - k >= 1 && s[n - k - 1] == 'e')) n -= k;
                break;
            case 3:
                n -= k;
                if ((ends_with(s, n, "er") || ends_with(s, n, "en")) && n - 2 >= p1) n -= 2;
                break;
            case 4:
                n -= k;
                if (ends_with(s, n, "lich") && n - 4 >= p2)
                    n -= 4;
                else if (ends_with(s, n, "ig") && n - 2 >= p2)
                    n -= 2;
                break;
            }
        }
    }

    // Postlude: undo the marks, drop the umlauts.
    for (size_t i = 0; i < n; ++i) {
        switch (static_cast<uint32_t>(s[i])) {
        case 'U': s[i] = static_cast<Ch>('u'); break;
        case 'Y': s[i] = static_cast<Ch>('y'); break;
        case kAe: s[i] = static_cast<Ch>('a'); break;
        case kOe: s[i] = static_cast<Ch>('o'); break;
        case kUe: s[i] = static_cast<Ch>('u'); break;
        default: break;
        }
    }
    return n;
}

// Stems the lower-cased word s[0, len) in place; returns the stem's length,
// never more than len (ß -> ss keeps the byte count, umlauts shrink).
size_t stem_in_place(char *s, size_t len, std::vector<uint32_t> &wide) {
    if (len > kMaxStemBytes) return len;
    auto *p = reinterpret_cast<unsigned char *>(s);

    // Fastest path: ASCII only.
    size_t i = 0;
    while (i < len && p[i] < 0x80) ++i;
    if (i == len) return stem_chars(p, len);

    // Fast path: every code point <= U+00FF, one byte per letter.
    unsigned char buf[kMaxStemBytes + 8];
    std::memcpy(buf, p, i);
    size_t n = i;
    while (i < len) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            buf[n++] = c;
            ++i;
        } else if ((c == 0xC2 || c == 0xC3) && i + 1 < len && (p[i + 1] & 0xC0) == 0x80) {
            const unsigned char v = static_cast<unsigned char>(((c & 0x1F) << 6) | (p[i + 1] & 0x3F));
            if (v == 0xDF) {  // ß -> ss (2 bytes in, 2 letters out)
                buf[n++] = 's';
                buf[n++] = 's';
            } else {
                buf[n++] = v;
            }
            i += 2;
        } else {
            break;
        }
    }
    if (i == len) {
        n = stem_chars(buf, n);
        unsigned char *d = p;
        for (size_t j = 0; j < n; ++j) {
            if (buf[j] < 0x80) {
                *d++ = buf[j];
            } else {
                *d++ = static_cast<unsigned char>(0xC0 | (buf[j] >> 6));
                *d++ = static_cast<unsigned char>(0x80 | (buf[j] & 0x3F));
            }
        }
        return static_cast<size_t>(d - p);
    }

    // General path: code points. Invalid UTF-8 is left unchanged.
    wide.clear();
    for (i = 0; i < len;) {
        uint32_t cp;
        i += decode_utf8(p + i, len - i, &cp);
        if (cp == kInvalid) return len;
        if (cp == 0xDF) {
            wide.push_back('s');
            wide.push_back('s');
        } else {
            wide.push_back(cp);
        }
    }
    n = stem_chars(wide.data(), wide.size());
    char *d = s;
    for (size_t j = 0; j < n; ++j) d += encode_utf8(d, wide[j]);
    return static_cast<size_t>(d - s);
}

}  // namespace

bool is_stop_word(std::string_view lower_word) { return stop_set().contains(lower_word); }

void append_german_stem(std::string_view lower_word, std::string &out, std::vector<uint32_t> &wide) {
    const size_t offset = out.size();
    out.append(lower_word);
    out.resize(offset + stem_in_place(&out[offset], lower_word.size(), wide));
}

std::string german_stem(std::string_view lower_word) {
    std::string out;
    std::vector<uint32_t> wide;
    append_german_stem(lower_word, out, wide);
    return out;
}

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
    wide_.reserve(64);
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
    const size_t stem_len = stop ? 0 : stem_in_place(word, len, wide_);
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
