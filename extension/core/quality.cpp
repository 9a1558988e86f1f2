// Quality score: one pass over the UTF-8 content collects character classes,
// words (with hashes for the 5-gram check and a dictionary lookup for
// stopwords and boilerplate phrases) and lines; two small open-addressing
// hash sets then find repeated lines and repeated 5-grams. See
// docs/quality.md for the definitions and the reasons behind the numbers.
#include "quality.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "jsonl.hpp"

namespace clara {

namespace {

// ===========================================================================
// All weights and thresholds. Change them only here, bump kQualityVersion,
// and update docs/quality.md.
// ===========================================================================

// Combination: score = prod_i max(subscore_i, kSubscoreFloor) ^ weight_i.
// A weight is how hard that signal can veto: a subscore at the floor with
// weight w caps the score at 0.01^w (w 1.0 -> 0.01, 0.8 -> 0.025, 0.3 -> 0.25).
constexpr double kSubscoreFloor = 0.01;
constexpr double kWeightLength = 1.0;
constexpr double kWeightWordLength = 0.6;
constexpr double kWeightSymbol = 0.8;
constexpr double kWeightRepetition = 1.0;
constexpr double kWeightBoilerplate = 0.8;
constexpr double kWeightStopword = 0.7;
constexpr double kWeightMetadata = 0.3;
constexpr double kWeightEncoding = 0.8;

// Length (words): 0 at or below kLengthZeroWords, 1 from kLengthFullWords,
// logarithmic in between (5 words 0.17, 10 words 0.40, 20 words 0.63).
constexpr double kLengthZeroWords = 3.0;
constexpr double kLengthFullWords = 60.0;

// Mean word length (letters+digits per word): 1 inside [full_low, full_high],
// linear to 0 at zero_low / zero_high. Wide on the high side for German
// compounds ("Baugenehmigungsverfahren").
constexpr double kWordLenZeroLow = 1.5;
constexpr double kWordLenFullLow = 3.0;
constexpr double kWordLenFullHigh = 12.0;
constexpr double kWordLenZeroHigh = 20.0;

// Symbols (# * { } | < > = @ ~ ^ ` \ _ [ ], box drawing, emoji, controls,
// invalid bytes) and non-letters (anything but letters, incl. digits and
// punctuation) among non-space code points: 1 up to full, linear to 0 at zero.
// symbol_score is the smaller of the two.
constexpr double kSymbolFull = 0.02;
constexpr double kSymbolZero = 0.20;
constexpr double kNonLetterFull = 0.25;
constexpr double kNonLetterZero = 0.60;

// Repetition: repetition_score is the smaller of the two ramps.
constexpr double kDupLineFull = 0.05;
constexpr double kDupLineZero = 0.40;
constexpr double kDupNgramFull = 0.10;
constexpr double kDupNgramZero = 0.50;
constexpr size_t kNgram = 5;

// Boilerplate: fraction of line characters in boilerplate lines.
constexpr double kBoilerplateFull = 0.05;
constexpr double kBoilerplateZero = 0.60;
// A pattern only marks a line of at most this many words: nav words
// ("Impressum") only short lines, consent sentences longer ones.
constexpr uint8_t kNavMaxWords = 8;
constexpr uint8_t kNoticeMaxWords = 20;
constexpr uint8_t kBannerMaxWords = 60;

// Stopwords: ratio of the better language; 0 at or below zero, 1 from full.
constexpr double kStopwordZero = 0.02;
constexpr double kStopwordFull = 0.20;
// Below this stopword ratio the language is "none".
constexpr double kLanguageMinRatio = 0.05;

// Encoding: text decoded with the wrong charset ("Ã¤" for "ä") or OCR'd
// (letters read as digits: "Besche1d") is unusable as training text even
// when its words and stop words look fine. Mojibake is per word: one in fifty
// words is plainly broken text. Mixed letter/digit words occur legitimately
// (B2, 5G, 2024er) but rarely.
constexpr double kMojibakeFull = 0.001;
constexpr double kMojibakeZero = 0.02;
constexpr double kMixedWordFull = 0.03;
constexpr double kMixedWordZero = 0.15;

// Metadata: subscore = base + (1 - base) * completeness; missing metadata
// alone never vetoes content (0.4^0.3 = 0.76).
constexpr double kMetadataBase = 0.4;

// ===========================================================================
// Word lists. Lower case (ASCII + Latin-1 lowered), letters only.
// ===========================================================================

// The ~100 most frequent German function words.
constexpr std::string_view kStopwordsDe[] = {
    "aber",  "alle",   "allem",  "allen",    "aller",  "als",    "also",  "am",    "an",    "auch",   "auf",
    "aus",   "bei",    "beim",   "bereits",  "bis",    "bzw",    "da",    "dabei", "damit", "dann",   "das",
    "dass",  "daß",    "dem",    "den",      "denen",  "denn",   "der",   "deren", "des",   "dessen", "die",
    "dies",  "diese",  "diesem", "diesen",   "dieser", "dieses", "doch",  "dort",  "durch", "ein",    "eine",
    "einem", "einen",  "einer",  "eines",    "er",     "es",     "etwa",  "für",   "gegen", "haben",  "hat",
    "hatte", "ich",    "ihm",    "ihn",      "ihr",    "ihre",   "ihrem", "ihren", "ihrer", "im",     "in",
    "ist",   "jedoch", "kann",   "kein",     "keine",  "können", "man",   "mit",   "muss",  "nach",   "nicht",
    "noch",  "nur",    "ob",     "oder",     "ohne",   "schon",  "sein",  "seine", "sich",  "sie",    "sind",
    "so",    "sofern", "soll",   "sowie",    "über",   "um",     "und",   "uns",   "unter", "vom",    "von",
    "vor",   "war",    "was",    "weil",     "wenn",   "werden", "wie",   "wird",  "wir",   "wurde",  "wurden",
    "zu",    "zum",    "zur",    "zwischen",
};

// The ~100 most frequent English function words.
constexpr std::string_view kStopwordsEn[] = {
    "a",       "about",  "after",  "all",   "also",    "an",    "and",   "any",   "are",   "as",    "at",   "be",
    "because", "been",   "before", "being", "between", "both",  "but",   "by",    "can",   "could", "did",  "do",
    "does",    "during", "each",   "for",   "from",    "had",   "has",   "have",  "he",    "her",   "him",  "his",
    "how",     "i",      "if",     "in",    "into",    "is",    "it",    "its",   "may",   "more",  "most", "must",
    "no",      "not",    "of",     "on",    "one",     "only",  "or",    "other", "our",   "out",   "over", "shall",
    "she",     "should", "so",     "some",  "such",    "than",  "that",  "the",   "their", "them",  "then", "there",
    "these",   "they",   "this",   "those", "through", "to",    "under", "up",    "upon",  "very",  "was",  "we",
    "were",    "what",   "when",   "where", "which",   "while", "who",   "will",  "with",  "would", "you",  "your",
};

// Boilerplate phrases: words separated by single spaces; each word is the
// letters-only lower-case form of a token ("Cookie-Einstellungen" is
// "cookieeinstellungen"); "#" is a number token, "#/#" a token like "3/10".
struct PatternSpec {
    std::string_view text;
    uint8_t max_words;  // the longest line this phrase marks as boilerplate
};

constexpr PatternSpec kBoilerplatePatterns[] = {
    // Banner sentences: unambiguous even inside a longer line.
    {"alle rechte vorbehalten", kBannerMaxWords},
    {"all rights reserved", kBannerMaxWords},
    {"verwenden cookies", kBannerMaxWords},
    {"verwendet cookies", kBannerMaxWords},
    {"nutzen cookies", kBannerMaxWords},
    {"nutzt cookies", kBannerMaxWords},
    {"setzen cookies", kBannerMaxWords},
    {"setzt cookies", kBannerMaxWords},
    {"einsatz von cookies", kBannerMaxWords},
    {"we use cookies", kBannerMaxWords},
    {"uses cookies", kBannerMaxWords},
    {"use of cookies", kBannerMaxWords},
    {"javascript aktivieren", kBannerMaxWords},
    {"javascript deaktiviert", kBannerMaxWords},
    {"javascript ist deaktiviert", kBannerMaxWords},
    {"benötigt javascript", kBannerMaxWords},
    {"enable javascript", kBannerMaxWords},
    {"javascript is disabled", kBannerMaxWords},
    {"javascript is required", kBannerMaxWords},
    {"requires javascript", kBannerMaxWords},
    {"hier klicken", kBannerMaxWords},
    {"klicken sie hier", kBannerMaxWords},
    {"click here", kBannerMaxWords},
    {"newsletter abonnieren", kBannerMaxWords},
    {"zum newsletter anmelden", kBannerMaxWords},
    {"subscribe to our newsletter", kBannerMaxWords},
    {"sign up for our newsletter", kBannerMaxWords},
    {"zum inhalt springen", kBannerMaxWords},
    {"zum hauptinhalt springen", kBannerMaxWords},
    {"skip to content", kBannerMaxWords},
    {"skip to main content", kBannerMaxWords},
    {"lorem ipsum", kBannerMaxWords},
    {"seite # von #", kBannerMaxWords},
    {"seite #/#", kBannerMaxWords},
    {"page # of #", kBannerMaxWords},
    {"page #/#", kBannerMaxWords},
    // Notices: boilerplate in short lines, but legal prose may name them.
    {"datenschutzerklärung", kNoticeMaxWords},
    {"datenschutzhinweise", kNoticeMaxWords},
    {"datenschutzeinstellungen", kNoticeMaxWords},
    {"nutzungsbedingungen", kNoticeMaxWords},
    {"cookieeinstellungen", kNoticeMaxWords},
    {"cookie einstellungen", kNoticeMaxWords},
    {"cookierichtlinie", kNoticeMaxWords},
    {"cookiehinweis", kNoticeMaxWords},
    {"cookies akzeptieren", kNoticeMaxWords},
    {"cookies ablehnen", kNoticeMaxWords},
    {"cookies zulassen", kNoticeMaxWords},
    {"notwendige cookies", kNoticeMaxWords},
    {"alle akzeptieren", kNoticeMaxWords},
    {"folgen sie uns", kNoticeMaxWords},
    {"privacy policy", kNoticeMaxWords},
    {"cookie policy", kNoticeMaxWords},
    {"cookie settings", kNoticeMaxWords},
    {"accept cookies", kNoticeMaxWords},
    {"accept all", kNoticeMaxWords},
    {"terms of use", kNoticeMaxWords},
    {"terms of service", kNoticeMaxWords},
    {"terms and conditions", kNoticeMaxWords},
    {"follow us", kNoticeMaxWords},
    {"share on facebook", kNoticeMaxWords},
    {"share on twitter", kNoticeMaxWords},
    {"back to top", kNoticeMaxWords},
    {"powered by", kNoticeMaxWords},
    // Navigation words: only in short lines (menus, footers, buttons).
    {"impressum", kNavMaxWords},
    {"imprint", kNavMaxWords},
    {"datenschutz", kNavMaxWords},
    {"privacy", kNavMaxWords},
    {"haftungsausschluss", kNavMaxWords},
    {"disclaimer", kNavMaxWords},
    {"kontakt", kNavMaxWords},
    {"contact", kNavMaxWords},
    {"newsletter", kNavMaxWords},
    {"cookie", kNavMaxWords},
    {"cookies", kNavMaxWords},
    {"javascript", kNavMaxWords},
    {"copyright", kNavMaxWords},
    {"login", kNavMaxWords},
    {"logout", kNavMaxWords},
    {"log in", kNavMaxWords},
    {"sign in", kNavMaxWords},
    {"sign up", kNavMaxWords},
    {"anmelden", kNavMaxWords},
    {"abmelden", kNavMaxWords},
    {"registrieren", kNavMaxWords},
    {"startseite", kNavMaxWords},
    {"home", kNavMaxWords},
    {"menü", kNavMaxWords},
    {"menu", kNavMaxWords},
    {"suche", kNavMaxWords},
    {"search", kNavMaxWords},
    {"sitemap", kNavMaxWords},
    {"barrierefreiheit", kNavMaxWords},
    {"agb", kNavMaxWords},
    {"weiterlesen", kNavMaxWords},
    {"mehr lesen", kNavMaxWords},
    {"mehr erfahren", kNavMaxWords},
    {"read more", kNavMaxWords},
    {"learn more", kNavMaxWords},
    {"nach oben", kNavMaxWords},
    {"zurück", kNavMaxWords},
    {"back", kNavMaxWords},
    {"drucken", kNavMaxWords},
    {"print", kNavMaxWords},
    {"teilen", kNavMaxWords},
    {"share", kNavMaxWords},
    {"akzeptieren", kNavMaxWords},
    {"ablehnen", kNavMaxWords},
    {"accept", kNavMaxWords},
    {"decline", kNavMaxWords},
    {"facebook", kNavMaxWords},
    {"twitter", kNavMaxWords},
    {"instagram", kNavMaxWords},
    {"linkedin", kNavMaxWords},
    {"youtube", kNavMaxWords},
};

// A line containing U+00A9 (©) is boilerplate up to this many words.
constexpr uint8_t kCopyrightSignMaxWords = kNoticeMaxWords;

// ===========================================================================
// Hashing
// ===========================================================================

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

inline uint64_t mix64(uint64_t z) {
    z ^= z >> 30;
    z *= 0xbf58476d1ce4e5b9ull;
    z ^= z >> 27;
    z *= 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z;
}

constexpr uint64_t fnv_bytes(std::string_view s) {
    uint64_t h = kFnvOffset;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
    return h;
}

// Feeds the UTF-8 encoding of cp, so that a key hashed code point by code
// point equals fnv_bytes() of the same word written in the word lists.
inline uint64_t fnv_utf8(uint64_t h, uint32_t cp) {
    if (cp < 0x80) return (h ^ cp) * kFnvPrime;
    if (cp < 0x800) {
        h = (h ^ (0xC0 | (cp >> 6))) * kFnvPrime;
        return (h ^ (0x80 | (cp & 0x3F))) * kFnvPrime;
    }
    if (cp < 0x10000) {
        h = (h ^ (0xE0 | (cp >> 12))) * kFnvPrime;
        h = (h ^ (0x80 | ((cp >> 6) & 0x3F))) * kFnvPrime;
        return (h ^ (0x80 | (cp & 0x3F))) * kFnvPrime;
    }
    h = (h ^ (0xF0 | (cp >> 18))) * kFnvPrime;
    h = (h ^ (0x80 | ((cp >> 12) & 0x3F))) * kFnvPrime;
    h = (h ^ (0x80 | ((cp >> 6) & 0x3F))) * kFnvPrime;
    return (h ^ (0x80 | (cp & 0x3F))) * kFnvPrime;
}

// Word keys are never 0; 0 marks "no key" (mixed letter/digit tokens).
constexpr uint64_t kNoKey = 0;
constexpr uint64_t nonzero(uint64_t h) { return h == 0 ? 1 : h; }
constexpr uint64_t kNumKey = nonzero(fnv_bytes("#"));
constexpr uint64_t kNumFracKey = nonzero(fnv_bytes("#/#"));

// ===========================================================================
// Dictionary: stopword flags and boilerplate phrases, keyed by word hash.
// Words are identified by their 64-bit FNV-1a hash alone (a false match
// needs a 64-bit collision with one of ~300 entries).
// ===========================================================================

constexpr size_t kMaxPhraseWords = 5;
constexpr size_t kPhraseCount = sizeof kBoilerplatePatterns / sizeof kBoilerplatePatterns[0];
constexpr uint8_t kFlagDe = 1;
constexpr uint8_t kFlagEn = 2;

struct Phrase {
    uint64_t words[kMaxPhraseWords] = {};
    uint8_t n = 0;
    uint8_t max_words = 0;
    int16_t next = -1;  // next phrase with the same last word
};

struct Slot {
    uint64_t key = kNoKey;
    int16_t phrase_head = -1;  // phrases ending with this word
    uint8_t flags = 0;
};

class Lexicon {
public:
    static constexpr size_t kSlots = 1024;  // power of two, load < 0.35

    Lexicon() {
        for (std::string_view w : kStopwordsDe) slot_for(nonzero(fnv_bytes(w))).flags |= kFlagDe;
        for (std::string_view w : kStopwordsEn) slot_for(nonzero(fnv_bytes(w))).flags |= kFlagEn;
        for (size_t i = 0; i < kPhraseCount; ++i) {
            Phrase &ph = phrases_[i];
            ph.max_words = kBoilerplatePatterns[i].max_words;
            std::string_view rest = kBoilerplatePatterns[i].text;
            while (!rest.empty() && ph.n < kMaxPhraseWords) {
                size_t sp = rest.find(' ');
                std::string_view word = rest.substr(0, sp);
                ph.words[ph.n++] = nonzero(fnv_bytes(word));
                rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
            }
            Slot &s = slot_for(ph.words[ph.n - 1]);
            ph.next = s.phrase_head;
            s.phrase_head = static_cast<int16_t>(i);
        }
    }

    const Slot *find(uint64_t key) const {
        size_t i = static_cast<size_t>(mix64(key)) & (kSlots - 1);
        while (slots_[i].key != kNoKey) {
            if (slots_[i].key == key) return &slots_[i];
            i = (i + 1) & (kSlots - 1);
        }
        return nullptr;
    }

    const Phrase &phrase(int16_t i) const { return phrases_[static_cast<size_t>(i)]; }

private:
    Slot &slot_for(uint64_t key) {
        size_t i = static_cast<size_t>(mix64(key)) & (kSlots - 1);
        while (slots_[i].key != kNoKey && slots_[i].key != key) i = (i + 1) & (kSlots - 1);
        slots_[i].key = key;
        return slots_[i];
    }

    Slot slots_[kSlots];
    Phrase phrases_[kPhraseCount];
};

static_assert(kPhraseCount < 32767, "phrase index must fit int16_t");
static_assert(sizeof kStopwordsDe / sizeof kStopwordsDe[0] + sizeof kStopwordsEn / sizeof kStopwordsEn[0] +
                      kPhraseCount <
                  Lexicon::kSlots / 2,
              "dictionary table too full");

const Lexicon &lexicon() {
    static const Lexicon lex;  // fixed arrays: no allocation, cannot throw
    return lex;
}

// ===========================================================================
// Characters
// ===========================================================================

enum CharClass : uint8_t { kLetter, kDigit, kSpace, kBreak, kPunct, kSymbol };

constexpr uint32_t kInvalid = 0xFFFFFFFFu;

struct AsciiClasses {
    CharClass c[128] = {};
    constexpr AsciiClasses() {
        for (int i = 0; i < 128; ++i) c[i] = kSymbol;  // controls and # $ * + < = > @ [ \ ] ^ _ ` { | } ~
        for (int i = 'a'; i <= 'z'; ++i) c[i] = kLetter;
        for (int i = 'A'; i <= 'Z'; ++i) c[i] = kLetter;
        for (int i = '0'; i <= '9'; ++i) c[i] = kDigit;
        c[int(' ')] = c[int('\t')] = c[int('\v')] = c[int('\f')] = kSpace;
        c[int('\n')] = c[int('\r')] = kBreak;
        for (char p : std::string_view(".,;:!?'\"()-/%&")) c[int(p)] = kPunct;
    }
};
constexpr AsciiClasses kAscii;

inline CharClass classify_latin1(uint32_t cp) {
    if (cp >= 0xC0) return (cp == 0xD7 || cp == 0xF7) ? kSymbol : kLetter;  // × ÷
    switch (cp) {
        case 0x85: return kBreak;  // NEL
        case 0xA0: return kSpace;  // no-break space
        case 0xAA:
        case 0xB5:
        case 0xBA: return kLetter;  // ª µ º
        case 0xB2:
        case 0xB3:
        case 0xB9:
        case 0xBC:
        case 0xBD:
        case 0xBE: return kDigit;  // ² ³ ¹ ¼ ½ ¾
        case 0xA1:
        case 0xA2:
        case 0xA3:
        case 0xA4:
        case 0xA5:
        case 0xA7:
        case 0xAB:
        case 0xAD:
        case 0xB0:
        case 0xB6:
        case 0xB7:
        case 0xBB:
        case 0xBF: return kPunct;  // ¡ ¢ £ ¤ ¥ § « soft-hyphen ° ¶ · » ¿
        default: return kSymbol;   // C1 controls, ¦ ¨ © ¬ ® ¯ ± ´ ¸
    }
}

// Letters: Latin-1/Latin Extended letters, combining marks, and code points
// >= 0x370 outside the punctuation, symbol, emoji and private-use blocks
// (an approximation of Unicode's L category that needs no tables).
inline CharClass classify(uint32_t cp) {
    if (cp < 0x80) return kAscii.c[cp];
    if (cp < 0x100) return classify_latin1(cp);
    if (cp < 0x2B0) return kLetter;   // Latin Extended-A/B, IPA
    if (cp < 0x300) return kPunct;    // spacing modifiers (ʼ ˈ ˜)
    if (cp < 0x2000) return kLetter;  // combining marks, Greek, Cyrillic, ... Latin Extended Additional
    if (cp < 0x2070) {
        if (cp <= 0x200A || cp == 0x202F || cp == 0x205F) return kSpace;
        if (cp == 0x2028 || cp == 0x2029) return kBreak;
        return kPunct;  // dashes, quotes „ “ ” ‚ ‘ ’, …, ‰, •, zero-width characters
    }
    if (cp < 0x20A0) return kDigit;   // super- and subscripts
    if (cp < 0x20D0) return kPunct;   // currency (€)
    if (cp < 0x2C00) return kSymbol;  // letterlike, arrows, math, technical, box drawing, shapes, dingbats
    if (cp < 0x2E00) return kLetter;  // Glagolitic, Latin Extended-C, Coptic, ...
    if (cp < 0x2E80) return kPunct;   // supplemental punctuation
    if (cp < 0x3000) return kLetter;  // CJK radicals
    if (cp == 0x3000) return kSpace;
    if (cp < 0x3040) return kPunct;                           // CJK punctuation
    if (cp < 0xE000) return kLetter;                          // kana, CJK, Hangul (surrogates never reach here)
    if (cp < 0xF900) return kSymbol;                          // private use
    if (cp < 0xFE00) return kLetter;                          // CJK compatibility, presentation forms
    if (cp < 0xFE10) return kSymbol;                          // variation selectors
    if (cp < 0xFE70) return kPunct;                           // vertical / small / compatibility forms
    if (cp < 0xFF00) return cp == 0xFEFF ? kPunct : kLetter;  // Arabic forms-B, BOM
    if (cp < 0xFFF0) {                                        // halfwidth and fullwidth forms
        if (cp >= 0xFF10 && cp <= 0xFF19) return kDigit;
        if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A) || (cp >= 0xFF66 && cp <= 0xFFDC))
            return kLetter;
        return kPunct;
    }
    if (cp < 0x10000) return kSymbol;                   // specials
    if (cp >= 0x1D000 && cp < 0x1D250) return kSymbol;  // musical symbols
    if (cp >= 0x1F000 && cp < 0x1FC00) return kSymbol;  // emoji, cards, enclosed, ...
    if (cp >= 0xE0000) return kSymbol;                  // tags, private use planes
    return kLetter;
}

// Lower case for comparison: ASCII and Latin-1 (Ä Ö Ü ...), plus ẞ -> ß.
inline uint32_t fold(uint32_t cp) {
    if (cp - 'A' < 26u) return cp + 32;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
    if (cp == 0x1E9E) return 0xDF;
    return cp;
}

inline bool is_cont(unsigned char b) { return (b & 0xC0) == 0x80; }

// Decodes one non-ASCII code point at p (strict UTF-8: no overlongs, no
// surrogates, nothing above U+10FFFF). On an invalid sequence consumes one
// byte and returns kInvalid.
inline uint32_t decode_multibyte(const unsigned char *&p, const unsigned char *end) {
    const unsigned char b0 = p[0];
    const size_t avail = static_cast<size_t>(end - p);
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        if (avail >= 2 && is_cont(p[1])) {
            uint32_t cp = (uint32_t(b0 & 0x1F) << 6) | (p[1] & 0x3F);
            p += 2;
            return cp;
        }
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (avail >= 3 && is_cont(p[1]) && is_cont(p[2])) {
            uint32_t cp = (uint32_t(b0 & 0x0F) << 12) | (uint32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
            if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
                p += 3;
                return cp;
            }
        }
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (avail >= 4 && is_cont(p[1]) && is_cont(p[2]) && is_cont(p[3])) {
            uint32_t cp = (uint32_t(b0 & 0x07) << 18) | (uint32_t(p[1] & 0x3F) << 12) | (uint32_t(p[2] & 0x3F) << 6) |
                          (p[3] & 0x3F);
            if (cp >= 0x10000 && cp <= 0x10FFFF) {
                p += 4;
                return cp;
            }
        }
    }
    ++p;
    return kInvalid;
}

// ===========================================================================
// Open-addressing set of 64-bit hashes (0 is remapped), sized once.
// ===========================================================================

class HashSet64 {
public:
    explicit HashSet64(size_t expected) {
        size_t cap = 16;
        while (cap < expected * 2) cap <<= 1;
        slots_.assign(cap, 0);
        mask_ = cap - 1;
    }
    // True when h was not in the set yet.
    bool insert(uint64_t h) {
        h = nonzero(h);
        size_t i = static_cast<size_t>(h ^ (h >> 32)) & mask_;
        for (;;) {
            if (slots_[i] == 0) {
                slots_[i] = h;
                return true;
            }
            if (slots_[i] == h) return false;
            i = (i + 1) & mask_;
        }
    }

private:
    std::vector<uint64_t> slots_;
    size_t mask_ = 0;
};

// ===========================================================================
// The single pass
// ===========================================================================

struct LineInfo {
    size_t chars;  // code points from first to last non-space character
    size_t words;
    uint64_t hash;             // over the line's tokens (folded), whitespace-normalised
    uint8_t boiler_max_words;  // largest max_words of any matched pattern, 0 = none
};

// What the character loop hands over at the end of a token.
struct Token {
    uint32_t letters, digits;
    bool slash;          // contains '/' (for "3/10")
    uint64_t word_hash;  // FNV-1a over the UTF-8 of its folded letters and digits
    uint64_t full_hash;  // FNV-1a over all its folded code points
};

inline void read_cp(const unsigned char *&p, const unsigned char *end, uint32_t &cp, CharClass &cls) {
    if (*p < 0x80) {
        cp = *p++;
        cls = kAscii.c[cp];
    } else {
        cp = decode_multibyte(p, end);
        cls = cp == kInvalid ? kSymbol : classify(cp);
    }
}

struct Scan {
    const Lexicon &lex = lexicon();

    // document counters
    size_t chars = 0, nonspace = 0, letters = 0, symbols = 0;
    size_t words = 0, word_chars = 0, stop_de = 0, stop_en = 0, mixed_words = 0;
    std::vector<uint64_t> word_hash;  // per word, for 5-grams
    std::vector<uint32_t> word_len;   // letters+digits per word
    std::vector<LineInfo> lines;

    // current line (updated once per token)
    size_t line_words = 0;
    uint64_t line_hash = kFnvOffset;
    uint8_t line_boiler = 0;
    uint64_t window[kMaxPhraseWords - 1] = {};  // previous word keys in this line, newest last
    size_t window_n = 0;

    void end_token(const Token &t) {
        line_hash = ((line_hash << 7 | line_hash >> 57) ^ t.full_hash) * 0x9e3779b97f4a7c15ull;
        const uint32_t alnum = t.letters + t.digits;
        if (alnum == 0) return;  // punctuation/symbol-only token: not a word

        ++words;
        ++line_words;
        word_chars += alnum;
        word_hash.push_back(mix64(t.word_hash));
        word_len.push_back(alnum);

        uint64_t key;
        if (t.letters == 0)
            key = t.slash ? kNumFracKey : kNumKey;
        else if (t.digits != 0) {
            key = kNoKey;  // "2024er", "B2": neither stopword nor pattern word
            ++mixed_words;
        } else
            key = nonzero(t.word_hash);

        if (key != kNoKey) {
            if (const Slot *s = lex.find(key)) {
                stop_de += s->flags & kFlagDe ? 1 : 0;
                stop_en += s->flags & kFlagEn ? 1 : 0;
                for (int16_t i = s->phrase_head; i >= 0;) {
                    const Phrase &ph = lex.phrase(i);
                    i = ph.next;
                    if (ph.max_words <= line_boiler) continue;
                    const size_t before = ph.n - 1u;
                    if (before > window_n) continue;
                    bool match = true;
                    for (size_t k = 0; k < before && match; ++k)
                        match = window[kMaxPhraseWords - 1 - before + k] == ph.words[k];
                    if (match) line_boiler = ph.max_words;
                }
            }
        }
        for (size_t k = 0; k + 1 < kMaxPhraseWords - 1; ++k) window[k] = window[k + 1];
        window[kMaxPhraseWords - 2] = key;
        if (window_n < kMaxPhraseWords - 1) ++window_n;
    }

    void end_line(size_t line_chars) {
        lines.push_back(LineInfo{line_chars, line_words, mix64(line_hash), line_boiler});
        line_words = 0;
        line_hash = kFnvOffset;
        line_boiler = 0;
        window_n = 0;
        for (uint64_t &w : window) w = kNoKey;
    }

    // One pass; the per-character state is kept in locals (registers), the
    // per-token and per-line work happens in end_token / end_line.
    void run(std::string_view text) {
        const unsigned char *p = reinterpret_cast<const unsigned char *>(text.data());
        const unsigned char *const end = p + text.size();
        word_hash.reserve(text.size() / 6 + 8);
        word_len.reserve(text.size() / 6 + 8);
        lines.reserve(text.size() / 64 + 4);

        size_t n_chars = 0, n_nonspace = 0, n_letters = 0, n_symbols = 0;
        bool line_open = false;
        size_t line_begin = 0, line_end = 0;  // code point indexes
        uint32_t cp;
        CharClass cls;
        while (p < end) {
            read_cp(p, end, cp, cls);
            ++n_chars;
            if (cls == kSpace) continue;
            if (cls == kBreak) {
                if (line_open) end_line(line_end - line_begin);
                line_open = false;
                continue;
            }
            if (!line_open) {
                line_open = true;
                line_begin = n_chars - 1;
            }
            // A token: non-space code points up to the next space or break.
            Token t{0, 0, false, kFnvOffset, kFnvOffset};
            bool at_break = false;
            for (;;) {
                ++n_nonspace;
                const uint32_t f = fold(cp);
                t.full_hash = (t.full_hash ^ f) * kFnvPrime;
                switch (cls) {
                    case kLetter:
                        ++n_letters;
                        ++t.letters;
                        t.word_hash = fnv_utf8(t.word_hash, f);
                        break;
                    case kDigit:
                        ++t.digits;
                        t.word_hash = fnv_utf8(t.word_hash, f);
                        break;
                    case kPunct:
                        if (cp == '/') t.slash = true;
                        break;
                    default:  // kSymbol
                        ++n_symbols;
                        if (cp == 0xA9 && line_boiler < kCopyrightSignMaxWords) line_boiler = kCopyrightSignMaxWords;
                        break;
                }
                line_end = n_chars;
                if (p >= end) break;
                read_cp(p, end, cp, cls);
                ++n_chars;
                if (cls == kSpace) break;
                if (cls == kBreak) {
                    at_break = true;
                    break;
                }
            }
            end_token(t);
            if (at_break) {
                end_line(line_end - line_begin);
                line_open = false;
            }
        }
        if (line_open) end_line(line_end - line_begin);
        chars = n_chars;
        nonspace = n_nonspace;
        letters = n_letters;
        symbols = n_symbols;
    }
};

inline double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

inline double clamp01(double x) { return x < 0 ? 0.0 : (x > 1 ? 1.0 : x); }

// 1 at or below full, 0 at or above zero, linear in between.
inline double ramp_down(double x, double full, double zero) { return clamp01((zero - x) / (zero - full)); }

// 0 at or below zero, 1 at or above full, linear in between.
inline double ramp_up(double x, double zero, double full) { return clamp01((x - zero) / (full - zero)); }

inline double round4(double x) { return std::round(x * 10000.0) / 10000.0; }

double duplicate_line_fraction(const std::vector<LineInfo> &lines) {
    size_t total = 0, dup = 0;
    HashSet64 seen(lines.size());
    for (const LineInfo &l : lines) {
        total += l.chars;
        if (!seen.insert(l.hash)) dup += l.chars;
    }
    return ratio(double(dup), double(total));
}

// Gopher / DataTrove: walk the word 5-grams; a 5-gram seen before adds its
// characters and the walk jumps past it, so overlapping repeats count once.
double duplicate_ngram_fraction(const std::vector<uint64_t> &hash, const std::vector<uint32_t> &len,
                                size_t word_chars) {
    const size_t n = hash.size();
    if (n < kNgram || word_chars == 0) return 0.0;
    HashSet64 seen(n - kNgram + 1);
    size_t repeated = 0;
    size_t i = 0;
    while (i + kNgram <= n) {
        uint64_t h = 0x9e3779b97f4a7c15ull;
        for (size_t k = 0; k < kNgram; ++k) h = (h ^ hash[i + k]) * 0xff51afd7ed558ccdull + k;
        if (seen.insert(mix64(h))) {
            ++i;
        } else {
            for (size_t k = 0; k < kNgram; ++k) repeated += len[i + k];
            i += kNgram;
        }
    }
    return ratio(double(repeated), double(word_chars));
}

double boilerplate_line_fraction(const std::vector<LineInfo> &lines) {
    size_t total = 0, boiler = 0;
    for (const LineInfo &l : lines) {
        total += l.chars;
        if (l.boiler_max_words != 0 && l.words <= l.boiler_max_words) boiler += l.chars;
    }
    return ratio(double(boiler), double(total));
}

double length_subscore(size_t words) {
    const double w = double(words);
    if (w <= kLengthZeroWords) return 0.0;
    return clamp01(std::log(w / kLengthZeroWords) / std::log(kLengthFullWords / kLengthZeroWords));
}

double word_length_subscore(size_t words, double mean) {
    if (words == 0) return 0.0;
    if (mean < kWordLenFullLow) return ramp_up(mean, kWordLenZeroLow, kWordLenFullLow);
    return ramp_down(mean, kWordLenFullHigh, kWordLenZeroHigh);
}

}  // namespace

namespace {

// Occurrences of mis-decoded UTF-8: a Latin-1 reading of a UTF-8 sequence
// re-encoded ("Ã" followed by a Latin-1 supplement character, "â€"), and the
// replacement character U+FFFD.
size_t count_mojibake(std::string_view text) {
    size_t n = 0;
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const size_t len = text.size();
    for (size_t i = 0; i + 2 < len; ++i) {
        if (p[i] == 0xC3 && (p[i + 1] == 0x83 || p[i + 1] == 0xA2) && (p[i + 2] == 0xC2 || p[i + 2] == 0xE2)) {
            ++n;  // "Ã" + U+0080..U+00BF, or "â" + "€"/"„"...
            i += 2;
        } else if (p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] == 0xBD) {
            ++n;  // U+FFFD
            i += 2;
        }
    }
    return n;
}

}  // namespace

QualitySignals assess_quality(const QualityInput &in) {
    Scan scan;
    scan.run(in.content);

    QualitySignals s;
    s.char_count = scan.chars;
    s.word_count = scan.words;
    s.line_count = scan.lines.size();
    s.mean_word_length = ratio(double(scan.word_chars), double(scan.words));
    s.symbol_ratio = ratio(double(scan.symbols), double(scan.nonspace));
    s.non_letter_ratio = ratio(double(scan.nonspace - scan.letters), double(scan.nonspace));
    s.duplicate_line_fraction = duplicate_line_fraction(scan.lines);
    s.duplicate_ngram_fraction = duplicate_ngram_fraction(scan.word_hash, scan.word_len, scan.word_chars);
    s.boilerplate_line_fraction = boilerplate_line_fraction(scan.lines);
    s.mojibake_ratio = ratio(double(count_mojibake(in.content)), double(scan.words));
    s.mixed_word_ratio = ratio(double(scan.mixed_words), double(scan.words));
    s.stopword_ratio_de = ratio(double(scan.stop_de), double(scan.words));
    s.stopword_ratio_en = ratio(double(scan.stop_en), double(scan.words));
    s.stopword_ratio = s.stopword_ratio_de > s.stopword_ratio_en ? s.stopword_ratio_de : s.stopword_ratio_en;
    if (s.stopword_ratio < kLanguageMinRatio || scan.stop_de == scan.stop_en)
        s.language = "none";
    else
        s.language = scan.stop_de > scan.stop_en ? "de" : "en";
    if (in.metadata_fields_total <= 0) {
        s.metadata_completeness = 1.0;  // nothing expected, nothing missing
    } else {
        s.metadata_completeness = clamp01(double(in.metadata_fields_present) / double(in.metadata_fields_total));
    }

    s.length_score = length_subscore(s.word_count);
    s.word_length_score = word_length_subscore(s.word_count, s.mean_word_length);
    {
        const double sym = ramp_down(s.symbol_ratio, kSymbolFull, kSymbolZero);
        const double nonl = ramp_down(s.non_letter_ratio, kNonLetterFull, kNonLetterZero);
        s.symbol_score = scan.nonspace == 0 ? 0.0 : (sym < nonl ? sym : nonl);
    }
    {
        const double line = ramp_down(s.duplicate_line_fraction, kDupLineFull, kDupLineZero);
        const double gram = ramp_down(s.duplicate_ngram_fraction, kDupNgramFull, kDupNgramZero);
        s.repetition_score = line < gram ? line : gram;
    }
    s.boilerplate_score = ramp_down(s.boilerplate_line_fraction, kBoilerplateFull, kBoilerplateZero);
    s.stopword_score = ramp_up(s.stopword_ratio, kStopwordZero, kStopwordFull);
    s.metadata_score = kMetadataBase + (1.0 - kMetadataBase) * s.metadata_completeness;
    {
        const double moji = ramp_down(s.mojibake_ratio, kMojibakeFull, kMojibakeZero);
        const double mixed = ramp_down(s.mixed_word_ratio, kMixedWordFull, kMixedWordZero);
        s.encoding_score = moji < mixed ? moji : mixed;
    }

    struct Term {
        double subscore, weight;
    };
    const Term terms[] = {
        {s.length_score, kWeightLength},           {s.word_length_score, kWeightWordLength},
        {s.symbol_score, kWeightSymbol},           {s.repetition_score, kWeightRepetition},
        {s.boilerplate_score, kWeightBoilerplate}, {s.stopword_score, kWeightStopword},
        {s.metadata_score, kWeightMetadata},       {s.encoding_score, kWeightEncoding},
    };
    double log_score = 0.0;
    for (const Term &t : terms)
        log_score += t.weight * std::log(t.subscore > kSubscoreFloor ? t.subscore : kSubscoreFloor);
    s.score = round4(clamp01(std::exp(log_score)));
    return s;
}

namespace {

void append_key(std::string &out, const char *key) {
    out.push_back(',');
    out.push_back('"');
    out.append(key);
    out.append("\":");
}

void append_count(std::string &out, const char *key, size_t v) {
    append_key(out, key);
    out.append(std::to_string(v));
}

void append_num(std::string &out, const char *key, double v) {
    append_key(out, key);
    append_json_double(out, round4(v));
}

}  // namespace

void append_quality_signals_json(std::string &out, const QualitySignals &s) {
    out.append("{\"version\":");
    out.append(std::to_string(kQualityVersion));
    append_count(out, "char_count", s.char_count);
    append_count(out, "word_count", s.word_count);
    append_count(out, "line_count", s.line_count);
    append_num(out, "mean_word_length", s.mean_word_length);
    append_num(out, "symbol_ratio", s.symbol_ratio);
    append_num(out, "non_letter_ratio", s.non_letter_ratio);
    append_num(out, "duplicate_line_fraction", s.duplicate_line_fraction);
    append_num(out, "duplicate_ngram_fraction", s.duplicate_ngram_fraction);
    append_num(out, "boilerplate_line_fraction", s.boilerplate_line_fraction);
    append_num(out, "stopword_ratio", s.stopword_ratio);
    append_num(out, "stopword_ratio_de", s.stopword_ratio_de);
    append_num(out, "stopword_ratio_en", s.stopword_ratio_en);
    append_key(out, "language");
    append_json_string(out, s.language ? std::string_view(s.language) : std::string_view("none"));
    append_num(out, "mojibake_ratio", s.mojibake_ratio);
    append_num(out, "mixed_word_ratio", s.mixed_word_ratio);
    append_num(out, "metadata_completeness", s.metadata_completeness);
    append_num(out, "length_score", s.length_score);
    append_num(out, "word_length_score", s.word_length_score);
    append_num(out, "symbol_score", s.symbol_score);
    append_num(out, "repetition_score", s.repetition_score);
    append_num(out, "boilerplate_score", s.boilerplate_score);
    append_num(out, "stopword_score", s.stopword_score);
    append_num(out, "metadata_score", s.metadata_score);
    append_num(out, "encoding_score", s.encoding_score);
    append_num(out, "score", s.score);
    out.push_back('}');
}

}  // namespace clara
