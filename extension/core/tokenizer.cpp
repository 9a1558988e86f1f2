// Tokenizer + Snowball German stemmer. See tokenizer.hpp for the semantics.
// The stemmer is written from the published description of Snowball's German
// algorithm (snowballstem.org/algorithms/german/stemmer.html), in the variant
// PostgreSQL 15 ships; tools/validate_tokenizer.sh compares it with
// ts_lexize('german_stem', ...) word by word.
#include "tokenizer.hpp"

#include <cstring>

namespace clara {
namespace {

#include "stopwords_data.inc"

// ---------------------------------------------------------------------------
// Stop words: one open-addressing hash set for both lists.

constexpr size_t kStopSlots = 1024;  // power of two, > 3 x the 358 words

inline uint32_t fnv1a(const char *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 16777619u;
    return h;
}

class StopSet {
public:
    StopSet() {
        for (std::string_view w : kEnglishStopWords) insert(w);
        for (std::string_view w : kGermanStopWords) insert(w);
    }
    bool contains(std::string_view w) const {
        if (w.size() > max_len_ || w.empty()) return false;
        for (size_t i = fnv1a(w.data(), w.size()) & (kStopSlots - 1);; i = (i + 1) & (kStopSlots - 1)) {
            const std::string_view s = slots_[i];
            if (s.empty()) return false;
            if (s.size() == w.size() && std::memcmp(s.data(), w.data(), w.size()) == 0) return true;
        }
    }

private:
    void insert(std::string_view w) {
        if (w.empty() || contains(w)) return;
        if (w.size() > max_len_) max_len_ = w.size();
        size_t i = fnv1a(w.data(), w.size()) & (kStopSlots - 1);
        while (!slots_[i].empty()) i = (i + 1) & (kStopSlots - 1);
        slots_[i] = w;
    }
    std::string_view slots_[kStopSlots];
    size_t max_len_ = 0;
};

const StopSet &stop_set() {
    static const StopSet set;
    return set;
}

// ---------------------------------------------------------------------------
// UTF-8 and character classes.

constexpr uint32_t kInvalid = 0xFFFFFFFFu;

// Decodes one code point at p (n > 0 bytes available). Returns its length;
// an invalid or truncated sequence, an overlong form or a surrogate yields
// kInvalid with length 1.
inline size_t decode_utf8(const unsigned char *p, size_t n, uint32_t *cp) {
    const unsigned c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    *cp = kInvalid;
    if (c < 0xC2) return 1;
    if (c < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80) return 1;
        *cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 1;
        const uint32_t v = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) return 1;
        *cp = v;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 1;
        const uint32_t v = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        if (v < 0x10000 || v > 0x10FFFF) return 1;
        *cp = v;
        return 4;
    }
    return 1;
}

inline void append_utf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        const char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 2);
    } else if (cp < 0x10000) {
        const char b[3] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                           static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 3);
    } else {
        const char b[4] = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                           static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 4);
    }
}

// Token flags.
constexpr unsigned kLetter = 1;
constexpr unsigned kDigit = 2;

struct AsciiTables {
    unsigned char cls[128];
    char lower[128];
    constexpr AsciiTables() : cls(), lower() {
        for (int c = 0; c < 128; ++c) {
            lower[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            cls[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? kLetter : (c >= '0' && c <= '9') ? kDigit : 0;
        }
    }
};
constexpr AsciiTables kAscii;

// Ranges at or above U+0370 that are not word characters: punctuation,
// symbols, emoji, private use, specials. Sorted, inclusive.
struct Range {
    uint32_t lo, hi;
};
constexpr Range kNonWord[] = {
    {0x037E, 0x037E},   {0x0387, 0x0387},   {0x055A, 0x055F},   {0x0589, 0x058A},   {0x05BE, 0x05BE},
    {0x05C0, 0x05C0},   {0x05C3, 0x05C3},   {0x05C6, 0x05C6},   {0x05F3, 0x05F4},   {0x0600, 0x060F},
    {0x061B, 0x061F},   {0x066A, 0x066D},   {0x06D4, 0x06D4},   {0x0964, 0x0965},   {0x0E3F, 0x0E3F},
    {0x0E4F, 0x0E4F},   {0x0E5A, 0x0E5B},   {0x10FB, 0x10FB},   {0x1360, 0x1368},   {0x166D, 0x166E},
    {0x1680, 0x1680},   {0x169B, 0x169C},   {0x16EB, 0x16ED},   {0x2000, 0x2BFF},   {0x2E00, 0x2E7F},
    {0x2FF0, 0x303F},   {0xD800, 0xF8FF},   {0xFD3E, 0xFD3F},   {0xFE00, 0xFE6F},   {0xFEFF, 0xFEFF},
    {0xFF00, 0xFF0F},   {0xFF1A, 0xFF20},   {0xFF3B, 0xFF40},   {0xFF5B, 0xFF65},   {0xFFF0, 0xFFFF},
    {0x1D000, 0x1D24F}, {0x1F000, 0x1FBFF}, {0xE0000, 0x10FFFF},
};

// Is code point cp (>= 0x80) a word character?
inline bool is_word_cp(uint32_t cp) {
    if (cp < 0xC0) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
    if (cp < 0x370) return cp != 0xD7 && cp != 0xF7;
    if (cp == kInvalid) return false;
    size_t lo = 0, hi = sizeof(kNonWord) / sizeof(kNonWord[0]);
    while (lo < hi) {  // first range with hi >= cp
        const size_t mid = (lo + hi) / 2;
        if (kNonWord[mid].hi < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == sizeof(kNonWord) / sizeof(kNonWord[0]) || cp < kNonWord[lo].lo;
}

// Lower-cases a word code point (>= 0x80); see tokenizer.hpp for the ranges.
inline uint32_t lower_cp(uint32_t cp) {
    if (cp < 0x100) return (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ? cp + 0x20 : cp;
    if (cp < 0x180) {
        if (cp == 0x130) return 'i';
        if (cp == 0x178) return 0xFF;
        if ((cp < 0x138 || (cp >= 0x14A && cp < 0x178)) && (cp & 1) == 0) return cp + 1;
        if (((cp >= 0x139 && cp < 0x149) || (cp >= 0x179 && cp < 0x17F)) && (cp & 1) == 1) return cp + 1;
        return cp;
    }
    if (cp < 0x370) return cp;
    if (cp < 0x400) {  // Greek
        if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 0x20;
        if (cp == 0x386) return 0x3AC;
        if (cp >= 0x388 && cp <= 0x38A) return cp + 0x25;
        if (cp == 0x38C) return 0x3CC;
        if (cp == 0x38E || cp == 0x38F) return cp + 0x3F;
        return cp;
    }
    if (cp < 0x530) {  // Cyrillic
        if (cp < 0x410) return cp + 0x50;
        if (cp < 0x430) return cp + 0x20;
        if (cp < 0x460) return cp;
        if (cp == 0x4C0) return 0x4CF;
        if ((cp < 0x482 || (cp >= 0x48A && cp < 0x4C0) || cp >= 0x4D0) && (cp & 1) == 0) return cp + 1;
        if (cp >= 0x4C1 && cp < 0x4CF && (cp & 1) == 1) return cp + 1;
        return cp;
    }
    if (cp >= 0x531 && cp <= 0x556) return cp + 0x30;  // Armenian
    if (cp >= 0x1E00 && cp < 0x1F00) {                 // Latin Extended Additional
        if (cp == 0x1E9E) return 0xDF;
        if ((cp < 0x1E96 || cp >= 0x1EA0) && (cp & 1) == 0) return cp + 1;
        return cp;
    }
    if (cp >= 0xFF21 && cp <= 0xFF3A) return cp + 0x20;  // full-width A-Z
    return cp;
}

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

template <class Ch>
inline bool ends_with(const Ch *s, size_t n, const char *suffix, size_t k) {
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
        if (ends_with(s, n, "ern", 3)) {
            k = 3, group = 1;
        } else if (ends_with(s, n, "em", 2) || ends_with(s, n, "er", 2)) {
            k = 2, group = 1;
        } else if (ends_with(s, n, "en", 2) || ends_with(s, n, "es", 2)) {
            k = 2, group = 2;
        } else if (ends_with(s, n, "e", 1)) {
            k = 1, group = 2;
        } else if (ends_with(s, n, "s", 1)) {
            k = 1, group = 3;
        }
        if (k != 0 && n - k >= p1) {
            if (group == 1) {
                n -= k;
            } else if (group == 2) {
                n -= k;
                if (ends_with(s, n, "niss", 4)) n -= 1;
            } else if (n >= 2 && is_s_ending(s[n - 2])) {
                n -= 1;
            }
        }
    }

    // Step 2: the longest of en er est | st, deleted if in R1; st only after
    // an st-ending that has at least 3 letters before it.
    {
        size_t k = 0;
        if (ends_with(s, n, "est", 3))
            k = 3;
        else if (ends_with(s, n, "en", 2) || ends_with(s, n, "er", 2) || ends_with(s, n, "st", 2))
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
        if (ends_with(s, n, "lich", 4) || ends_with(s, n, "heit", 4)) {
            k = 4, which = 3;
        } else if (ends_with(s, n, "keit", 4)) {
            k = 4, which = 4;
        } else if (ends_with(s, n, "isch", 4)) {
            k = 4, which = 2;
        } else if (ends_with(s, n, "end", 3) || ends_with(s, n, "ung", 3)) {
            k = 3, which = 1;
        } else if (ends_with(s, n, "ig", 2) || ends_with(s, n, "ik", 2)) {
            k = 2, which = 2;
        }
        if (k != 0 && n - k >= p2) {
            switch (which) {
            case 1:
                n -= k;
                if (ends_with(s, n, "ig", 2) && n - 2 >= p2 && !(n >= 3 && s[n - 3] == 'e')) n -= 2;
                break;
            case 2:
                if (!(n - k >= 1 && s[n - k - 1] == 'e')) n -= k;
                break;
            case 3:
                n -= k;
                if ((ends_with(s, n, "er", 2) || ends_with(s, n, "en", 2)) && n - 2 >= p1) n -= 2;
                break;
            case 4:
                n -= k;
                if (ends_with(s, n, "lich", 4) && n - 4 >= p2)
                    n -= 4;
                else if (ends_with(s, n, "ig", 2) && n - 2 >= p2)
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

}  // namespace

bool is_stop_word(std::string_view lower_word) { return stop_set().contains(lower_word); }

void append_german_stem(std::string_view word, std::string &out, std::vector<uint32_t> &wide) {
    const size_t len = word.size();
    if (len > kMaxStemBytes) {
        out.append(word);
        return;
    }
    const auto *p = reinterpret_cast<const unsigned char *>(word.data());

    // Fast path: every code point <= U+00FF (one byte per letter).
    unsigned char buf[kMaxStemBytes + 8];
    size_t n = 0;
    size_t i = 0;
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
        for (size_t j = 0; j < n; ++j) {
            if (buf[j] < 0x80) {
                out.push_back(static_cast<char>(buf[j]));
            } else {
                const char b[2] = {static_cast<char>(0xC0 | (buf[j] >> 6)), static_cast<char>(0x80 | (buf[j] & 0x3F))};
                out.append(b, 2);
            }
        }
        return;
    }

    // General path: code points. Invalid UTF-8 is returned unchanged.
    wide.clear();
    for (i = 0; i < len;) {
        uint32_t cp;
        i += decode_utf8(p + i, len - i, &cp);
        if (cp == kInvalid) {
            out.append(word);
            return;
        }
        if (cp == 0xDF) {
            wide.push_back('s');
            wide.push_back('s');
        } else {
            wide.push_back(cp);
        }
    }
    n = stem_chars(wide.data(), wide.size());
    for (size_t j = 0; j < n; ++j) append_utf8(out, wide[j]);
}

std::string german_stem(std::string_view lower_word) {
    std::string out;
    std::vector<uint32_t> wide;
    append_german_stem(lower_word, out, wide);
    return out;
}

// ---------------------------------------------------------------------------
// Tokenizer

Tokenizer::Tokenizer() {
    word_.reserve(64);
    wide_.reserve(64);
    (void)stop_set();  // build the table now, not inside the first call
}

void Tokenizer::emit(unsigned flags, LexemeList &out) {
    const size_t len = word_.size();
    if (len > kMaxTokenBytes) return;
    const size_t offset = out.arena.size();
    if (flags & kDigit) {
        out.arena.append(word_);  // digits, or letters and digits: not stemmed
    } else {
        if (stop_set().contains(word_)) return;
        append_german_stem(word_, out.arena, wide_);
    }
    out.lexemes.push_back(Lexeme{static_cast<uint32_t>(offset), static_cast<uint32_t>(out.arena.size() - offset)});
}

void Tokenizer::tokenize(std::string_view text, LexemeList &out) {
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    word_.clear();
    unsigned flags = 0;
    size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            const unsigned cls = kAscii.cls[c];
            ++i;
            if (cls != 0) {
                word_.push_back(kAscii.lower[c]);
                flags |= cls;
                continue;
            }
        } else {
            uint32_t cp;
            i += decode_utf8(p + i, n - i, &cp);
            if (cp != kInvalid && is_word_cp(cp)) {
                append_utf8(word_, lower_cp(cp));
                flags |= kLetter;
                continue;
            }
        }
        if (!word_.empty()) {
            emit(flags, out);
            word_.clear();
            flags = 0;
        }
    }
    if (!word_.empty()) {
        emit(flags, out);
        word_.clear();
    }
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
