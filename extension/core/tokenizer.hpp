// Text -> lexemes for BM25: a fast stand-in for PostgreSQL's text search
// parser + the clara_de_en configuration (English stop words, then Snowball
// German). C++17, no PostgreSQL headers; links libstemmer (Snowball).
//
// Semantics (input is UTF-8; invalid bytes separate tokens):
//  * Tokens are maximal runs of word characters: ASCII letters and digits,
//    Latin-1 letters (U+00C0..U+00FF except U+00D7, U+00F7, plus U+00AA,
//    U+00B5, U+00BA), U+0100..U+036F (Latin Extended, IPA, modifier letters,
//    combining marks), and every code point >= U+0370 outside a table of
//    punctuation / symbol / emoji / private-use ranges (an approximation of
//    "is a letter"). Everything else separates tokens: white space,
//    punctuation, '_', '-', '\'', '.', NBSP, soft hyphen, superscripts ...
//  * Hyphenated words give their parts only: "Photovoltaik-Freiflächenanlagen"
//    -> "photovolta", "freiflachenanlag". (PostgreSQL would also index the
//    whole compound; we do not, so every word counts once in the document
//    length and queries are tokenized the same way.)
//  * A '.' between a digits-only token and a digit joins a number, as
//    PostgreSQL's float / version tokens do: "3.14", "1.000", "03.01.2016"
//    are one token each ("v1.2" is "v1", "2"). Other
//    punctuation splits: "409/16" -> "409", "16"; "-5" -> "5"; e-mail
//    addresses, URLs, file paths and host names are split into their words
//    (PostgreSQL keeps these as single tokens).
//  * Markup is skipped, as PostgreSQL's parser does: tags "<div ...>",
//    "</span>", "<!-- ... -->" (a '<' followed by a letter, '/'+letter, '!' or
//    '?', up to the next '>' if no '<' comes first, within 4 KB) and entities
//    "&nbsp;", "&#228;", "&#xE4;".
//  * Lower-casing: ASCII, Latin-1, Latin Extended-A, Latin Extended
//    Additional (U+1E00..U+1EFF, capital sharp s U+1E9E -> ß), Greek, Cyrillic,
//    Armenian and full-width Latin pairs. ß stays ß. Other code points are kept.
//  * A token whose lower-cased form is in PostgreSQL's english.stop or
//    german.stop list is dropped (the comparison is on the lower-cased token,
//    before stemming, as in PostgreSQL).
//  * Tokens of digits only are kept as they are. Tokens mixing letters and
//    digits ("covid19", "b2b") are kept lower-cased, not stemmed (PostgreSQL's
//    numword -> simple dictionary).
//  * Letter-only tokens are stemmed with Snowball German: Snowball's own C
//    library (libstemmer), the algorithm PostgreSQL 15's german_stem compiles in.
//  * Length limits follow PostgreSQL: a token longer than kMaxTokenBytes
//    (2047) bytes after lower-casing is dropped (PostgreSQL: "word is too long
//    to be indexed"); a letter token longer than kMaxStemBytes (1000) bytes is
//    kept lower-cased but not stemmed (PostgreSQL's dict_snowball does the
//    same).
//
// Validation: tools/validate_tokenizer.sh compares stop lists + german_stem
// with PostgreSQL's ts_lexize on ~490K distinct words (generated corpus,
// German and English word lists): 100 % agreement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct sb_stemmer;  // libstemmer.h (Debian's libstemmer-dev)

namespace clara {

constexpr size_t kMaxTokenBytes = 2047;
constexpr size_t kMaxStemBytes = 1000;

// One lexeme: bytes [offset, offset + length) of LexemeList::arena.
struct Lexeme {
    uint32_t offset;
    uint32_t length;
};

// The output of Tokenizer::tokenize: lexemes in text order, their bytes
// packed into one arena (offsets are 32-bit: keep an arena under 4 GiB).
// clear() keeps the capacity, so a list reused across documents stops
// allocating once it has seen the largest document.
struct LexemeList {
    std::string arena;
    std::vector<Lexeme> lexemes;

    void clear() {
        arena.clear();
        lexemes.clear();
    }
    size_t size() const { return lexemes.size(); }
    bool empty() const { return lexemes.empty(); }
    std::string_view operator[](size_t i) const {
        return std::string_view(arena.data() + lexemes[i].offset, lexemes[i].length);
    }
};

// Snowball's own German stemmer, from its C library (libstemmer): one
// sb_stemmer, created with the object. Not thread-safe (the library keeps
// its work buffer in it); use one per thread. Throws std::bad_alloc when the
// library cannot allocate.
class GermanStemmer {
public:
    GermanStemmer();
    ~GermanStemmer();
    GermanStemmer(const GermanStemmer &) = delete;
    GermanStemmer &operator=(const GermanStemmer &) = delete;

    // The stem of lower_word (lower-cased UTF-8, not checked against the
    // stop lists); valid until the next call. Words longer than
    // kMaxStemBytes and invalid UTF-8 come back unchanged.
    std::string_view stem(std::string_view lower_word);

private:
    sb_stemmer *stemmer_;
};

// Keep one Tokenizer for many documents (e.g. one per backend): besides its
// scratch buffers it keeps a cache of recent words and their stems (or "stop
// word"), 8192 entries x 64 bytes, allocated once it has seen 4096 tokens
// (word_cache = false: never; results are the same, only slower).
// Not thread-safe; use one per thread.
class Tokenizer {
public:
    explicit Tokenizer(bool word_cache = true);
    ~Tokenizer();
    Tokenizer(const Tokenizer &) = delete;
    Tokenizer &operator=(const Tokenizer &) = delete;

    // Appends the lexemes of text, in order, to out (one entry per token that
    // survives stop-word removal). Does not clear out first. Tokens are
    // lower-cased and stemmed in place in out.arena, which grows by
    // text.size() during the call and is then cut back to the lexemes.
    void tokenize(std::string_view text, LexemeList &out);

    // Convenience for tests and tools: the lexemes as strings.
    std::vector<std::string> lexemes(std::string_view text);

private:
    struct CacheSlot;
    size_t finish_token(char *arena, size_t start, size_t end, unsigned flags, LexemeList &out);

    GermanStemmer stemmer_;
    CacheSlot *cache_ = nullptr;  // word -> stem cache, see finish_token
    size_t tokens_seen_ = 0;
    bool word_cache_;
};

// True if lower_word (lower-cased UTF-8) is in english.stop or german.stop.
bool is_stop_word(std::string_view lower_word);

// The stem of lower_word with a GermanStemmer of the calling thread (for
// tests and tools; a Tokenizer keeps its own).
std::string german_stem(std::string_view lower_word);

}  // namespace clara
