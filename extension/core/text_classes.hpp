// UTF-8 decoding, word characters, lower-casing and markup skipping shared by
// the tokenizer (BM25 lexemes) and the gram extractor (ngram.hpp), so both see
// the same words. Pure C++: no PostgreSQL headers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace clara::text {

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

// Writes cp as UTF-8 at d; returns the number of bytes.
inline size_t encode_utf8(char *d, uint32_t cp) {
    if (cp < 0x80) {
        d[0] = static_cast<char>(cp);
        return 1;
    }
    if (cp < 0x800) {
        d[0] = static_cast<char>(0xC0 | (cp >> 6));
        d[1] = static_cast<char>(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = static_cast<char>(0xE0 | (cp >> 12));
        d[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        d[2] = static_cast<char>(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = static_cast<char>(0xF0 | (cp >> 18));
    d[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    d[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    d[3] = static_cast<char>(0x80 | (cp & 0x3F));
    return 4;
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
    {0x037E, 0x037E},   {0x0387, 0x0387},    {0x055A, 0x055F}, {0x0589, 0x058A}, {0x05BE, 0x05BE}, {0x05C0, 0x05C0},
    {0x05C3, 0x05C3},   {0x05C6, 0x05C6},    {0x05F3, 0x05F4}, {0x0600, 0x060F}, {0x061B, 0x061F}, {0x066A, 0x066D},
    {0x06D4, 0x06D4},   {0x0964, 0x0965},    {0x0E3F, 0x0E3F}, {0x0E4F, 0x0E4F}, {0x0E5A, 0x0E5B}, {0x10FB, 0x10FB},
    {0x1360, 0x1368},   {0x166D, 0x166E},    {0x1680, 0x1680}, {0x169B, 0x169C}, {0x16EB, 0x16ED}, {0x2000, 0x2BFF},
    {0x2E00, 0x2E7F},   {0x2FF0, 0x303F},    {0xD800, 0xF8FF}, {0xFD3E, 0xFD3F}, {0xFE00, 0xFE6F}, {0xFEFF, 0xFEFF},
    {0xFF00, 0xFF0F},   {0xFF1A, 0xFF20},    {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFF0, 0xFFFF}, {0x1D000, 0x1D24F},
    {0x1F000, 0x1FBFF}, {0xE0000, 0x10FFFF},
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

// Markup, skipped like PostgreSQL's parser does (its "tag" and "entity"
// tokens are not indexed). i is just past the '<' or '&'; each returns the
// position to go on from (i itself if this is not markup).
inline bool is_ascii_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

constexpr size_t kMaxTagBytes = 4096;

// <name ...>, </name>, <!...>, <?...?>: up to the next '>', if it comes
// before another '<' and within kMaxTagBytes.
inline size_t skip_tag(const unsigned char *p, size_t n, size_t i) {
    if (i >= n) return i;
    const unsigned char c = p[i];
    const bool opens = is_ascii_alpha(c) || c == '!' || c == '?' || (c == '/' && i + 1 < n && is_ascii_alpha(p[i + 1]));
    if (!opens) return i;
    const size_t limit = n - i > kMaxTagBytes ? i + kMaxTagBytes : n;
    for (size_t j = i + 1; j < limit; ++j) {
        if (p[j] == '>') return j + 1;
        if (p[j] == '<') return i;
    }
    return i;
}

// &name; &#123; &#x1F;
inline size_t skip_entity(const unsigned char *p, size_t n, size_t i) {
    size_t j = i;
    if (j < n && p[j] == '#') {
        ++j;
        const bool hex = j < n && (p[j] | 0x20) == 'x';
        if (hex) ++j;
        const size_t start = j;
        while (j < n && j - start < 8 &&
               ((p[j] >= '0' && p[j] <= '9') || (hex && (p[j] | 0x20) >= 'a' && (p[j] | 0x20) <= 'f')))
            ++j;
        if (j == start) return i;
    } else {
        if (j >= n || !is_ascii_alpha(p[j])) return i;
        while (j < n && j - i < 32 && (is_ascii_alpha(p[j]) || (p[j] >= '0' && p[j] <= '9'))) ++j;
    }
    return j < n && p[j] == ';' ? j + 1 : i;
}

// Decodes the code point at p[i] (advancing i past it); if it is a word
// character, appends it lower-cased at arena[w] (advancing w) and returns true.
inline bool take_word_cp(const unsigned char *p, size_t n, size_t &i, char *arena, size_t &w) {
    uint32_t cp;
    i += decode_utf8(p + i, n - i, &cp);
    if (cp == kInvalid || !is_word_cp(cp)) return false;
    w += encode_utf8(arena + w, lower_cp(cp));
    return true;
}

}  // namespace clara::text
