// Text -> lexemes for BM25: a fast stand-in for PostgreSQL's text search
// parser + the clara_de_en configuration (English stop words, then Snowball
// German). Pure C++17: no PostgreSQL headers, no dependencies.
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
//    -> "photovoltaik", "freiflachenanlag". (PostgreSQL would also index the
//    whole compound; we do not, so every word counts once in the document
//    length and queries are tokenized the same way.) Likewise "3.14" -> "3",
//    "14"; e-mail addresses, URLs, file paths and host names are split at
//    their punctuation.
//  * Lower-casing: ASCII, Latin-1, Latin Extended-A, Latin Extended
//    Additional (U+1E00..U+1EFF, capital sharp s U+1E9E -> ß), Greek, Cyrillic,
//    Armenian and full-width Latin pairs. ß stays ß. Other code points are kept.
//  * A token whose lower-cased form is in PostgreSQL's english.stop or
//    german.stop list is dropped (the comparison is on the lower-cased token,
//    before stemming, as in PostgreSQL).
//  * Tokens of digits only are kept as they are. Tokens mixing letters and
//    digits ("covid19", "b2b") are kept lower-cased, not stemmed (PostgreSQL's
//    numword -> simple dictionary).
//  * Letter-only tokens are stemmed with Snowball German (the algorithm of
//    PostgreSQL 15's german_stem; see german_stem below).
//  * Length limits follow PostgreSQL: a token longer than kMaxTokenBytes
//    (2047) bytes after lower-casing is dropped (PostgreSQL: "word is too long
//    to be indexed"); a letter token longer than kMaxStemBytes (1000) bytes is
//    kept lower-cased but not stemmed (PostgreSQL's dict_snowball does the
//    same).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

constexpr size_t kMaxTokenBytes = 2047;
constexpr size_t kMaxStemBytes = 1000;

// One lexeme: bytes [offset, offset + length) of LexemeList::arena.
struct Lexeme {
    uint32_t offset;
    uint32_t length;
};

// The output of Tokenizer::tokenize: lexemes in text order, their bytes
// packed into one arena. clear() keeps the capacity, so a list reused across
// documents stops allocating once it has seen the largest document.
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

class Tokenizer {
public:
    Tokenizer();

    // Appends the lexemes of text, in order, to out (one entry per token that
    // survives stop-word removal). Does not clear out first.
    void tokenize(std::string_view text, LexemeList &out);

    // Convenience for tests and tools: the lexemes as strings.
    std::vector<std::string> lexemes(std::string_view text);

private:
    void emit(unsigned flags, LexemeList &out);

    std::string word_;            // the current token, lower-cased UTF-8
    std::vector<uint32_t> wide_;  // stemmer scratch for non-Latin-1 words
};

// True if lower_word (lower-cased UTF-8) is in english.stop or german.stop.
bool is_stop_word(std::string_view lower_word);

// Snowball German stemmer (Snowball's "german" algorithm as shipped with
// PostgreSQL 15): ß -> ss; u and y between vowels are protected (U, Y);
// regions R1 (at least 3 letters in front) and R2; step 1 removes
// em ern er | e en es (then "niss" -> "nis") | s after b d f g h k l m n r t;
// step 2 removes en er est | st after b d f g h k l m n t with >= 3 letters
// before that; step 3 removes end ung (+ ig), ig ik isch (not after e),
// lich heit (+ er/en in R1), keit (+ lich/ig in R2); finally U/Y become u/y
// and ä ö ü become a o u. lower_word must be lower-cased UTF-8; it is not
// checked against the stop lists.
std::string german_stem(std::string_view lower_word);

// Appends the stem of lower_word to out. wide is scratch space, used only
// for words with code points above U+00FF.
void append_german_stem(std::string_view lower_word, std::string &out, std::vector<uint32_t> &wide);

}  // namespace clara
