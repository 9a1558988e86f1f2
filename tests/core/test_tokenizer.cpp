// Tokenizer + Snowball German stemmer. Expected stems are PostgreSQL 15's
// ts_lexize('german_stem', word); tools/validate_tokenizer.sh checks the
// stemmer against PostgreSQL on ~490K words.
#include "tokenizer.hpp"

#include "generator/corpus_generator.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Strings = std::vector<std::string>;

Strings lex(std::string_view text) {
    clara::Tokenizer t;
    return t.lexemes(text);
}

}  // namespace

TEST(GermanStem, MatchesPostgres) {
    const std::pair<const char *, const char *> cases[] = {
        {"häuser", "haus"},
        {"häusern", "haus"},
        {"kinder", "kind"},
        {"kindern", "kind"},
        {"ergebnisse", "ergebnis"},
        {"kenntnissen", "kenntnis"},
        {"verhältnissen", "verhaltnis"},
        {"straße", "strass"},
        {"straßen", "strass"},
        {"größten", "grosst"},
        {"möglichkeiten", "moglich"},
        {"möglichkeit", "moglich"},
        {"schönheit", "schonheit"},
        {"sicherheiten", "sich"},
        {"freundlichkeit", "freundlich"},
        {"tätigkeit", "tatig"},
        {"gerechtigkeit", "gerecht"},
        {"heiterkeit", "heiter"},
        {"häufigkeit", "haufig"},
        {"flüssigkeit", "flussig"},
        {"aufeinanderfolgenden", "aufeinanderfolg"},
        {"ablösung", "ablos"},
        {"heizung", "heizung"},
        {"verwaltungsrechtsstreit", "verwaltungsrechtsstreit"},
        {"außenbereich", "aussenbereich"},
        {"bayern", "bay"},
        {"feuer", "feu"},
        {"treue", "treu"},
        {"kaiserinnen", "kaiserinn"},
        {"bestes", "best"},
        {"lustig", "lustig"},
        {"geistige", "geistig"},
        {"photovoltaik", "photovolta"},
        {"ordnungsgemäß", "ordnungsgemass"},
        {"grundsätzlich", "grundsatz"},
        {"insbesondere", "insbesond"},
        {"erst", "erst"},
        {"gibst", "gibst"},
        {"längste", "lang"},
        {"qualitäten", "qualitat"},
        {"beziehungsweise", "beziehungsweis"},
        {"ß", "ss"},
        {"ab", "ab"},
        {"uyu", "uyu"},
        {"ayaya", "ayaya"},
        {"nations", "nation"},
        {"running", "running"},
    };
    for (const auto &c : cases) EXPECT_EQ(clara::german_stem(c.first), c.second) << c.first;
}

TEST(GermanStem, NonLatinLettersPassThrough) {
    // No vowels of the algorithm: empty regions, nothing removed.
    EXPECT_EQ(clara::german_stem("λόγος"), "λόγος");
    EXPECT_EQ(clara::german_stem("москва"), "москва");
    // Mixed: the Latin part is still stemmed.
    EXPECT_EQ(clara::german_stem("häuserλ"), "hauserλ");
    EXPECT_EQ(clara::german_stem("ŝtraßen"), "ŝtrass");
    EXPECT_EQ(clara::german_stem(""), "");
    // libstemmer does not check UTF-8: invalid words are not given to it.
    EXPECT_EQ(clara::german_stem("h\xc3user"), "h\xc3user");
    EXPECT_EQ(clara::german_stem("kinder\xed\xa0\x80"), "kinder\xed\xa0\x80");
}

TEST(StopWords, BothListsLowerCase) {
    for (const char *w : {"the", "and", "themselves", "don", "und", "der", "daß", "über", "für", "würden", "zwischen"})
        EXPECT_TRUE(clara::is_stop_word(w)) << w;
    for (const char *w : {"The", "haus", "dass", "uber", "", "x"}) EXPECT_FALSE(clara::is_stop_word(w)) << w;
}

// Every word of PostgreSQL's lists, when they are installed here.
TEST(StopWords, EveryWordOfPostgresLists) {
    for (const char *name : {"english", "german"}) {
        const std::string path = std::string("/usr/share/postgresql/15/tsearch_data/") + name + ".stop";
        std::ifstream in(path);
        // Reported as skipped, not passed, when PostgreSQL's files are absent.
        if (!in) GTEST_SKIP() << path << " is not installed";
        std::string word;
        size_t n = 0;
        while (in >> word) {
            EXPECT_TRUE(clara::is_stop_word(word)) << name << ": " << word;
            ++n;
        }
        EXPECT_GT(n, 100u) << path;
    }
}

TEST(Tokenizer, SentenceStopWordsAndStems) {
    EXPECT_EQ(lex("Die Häuser der Straße und the running Kinder."), (Strings{"haus", "strass", "running", "kind"}));
    // Stop words match case-insensitively (after lower-casing).
    EXPECT_EQ(lex("UND Über DAß Für THE"), Strings{});
}

TEST(Tokenizer, HyphenatedWordsGiveTheirParts) {
    EXPECT_EQ(lex("Photovoltaik-Freiflächenanlagen"), (Strings{"photovolta", "freiflachenanlag"}));
    EXPECT_EQ(lex("Sach- und Rechtslage"), (Strings{"sach", "rechtslag"}));
}

TEST(Tokenizer, DigitsAndMixedTokens) {
    EXPECT_EQ(lex("Az. 10 K 409/16 vom 3. Januar 2016"),
              (Strings{"az", "10", "k", "409", "16", "3", "januar", "2016"}));
    // Letters and digits: lower-cased, not stemmed, not stop-filtered.
    EXPECT_EQ(lex("COVID19 B2B 2016er Straßen2"), (Strings{"covid19", "b2b", "2016er", "straßen2"}));
    // '.' between digits joins a number; other '.' separate.
    EXPECT_EQ(lex("3.14 03.01.2016 1.000,50 Ende 2016. v1.2"),
              (Strings{"3.14", "03.01.2016", "1.000", "50", "end", "2016", "v1", "2"}));
}

TEST(Tokenizer, LowerCasing) {
    EXPECT_EQ(lex("ÄRGER ÖL ÜBEL"), (Strings{"arg", "ol", "ubel"}));
    EXPECT_EQ(lex("STRAẞE"), (Strings{"strass"}));  // capital sharp s
    EXPECT_EQ(lex("ŁÓDŹ ÉCOLE"), (Strings{"łódź", "écol"}));
    EXPECT_EQ(lex("ΛΌΓΟΣ МОСКВА"), (Strings{"λόγοσ", "москва"}));  // no final-sigma rule
}

TEST(Tokenizer, SeparatorsAndMarkup) {
    EXPECT_EQ(lex("foo_bar's\u00a0baz\u2014qux \u201Czitat\u201D 😀emoji"),
              (Strings{"foo", "bar", "baz", "qux", "zitat", "emoji"}));
    EXPECT_EQ(lex("<div class=\"content\"><span>Haus</span></div>&nbsp;&#228;&#xE4;Kind"), (Strings{"haus", "kind"}));
    EXPECT_EQ(lex("a<b, x < y, AT&T, 5 > 3"), (Strings{"b", "x", "y", "5", "3"}));
    EXPECT_EQ(lex("<unclosed tag Haus"), (Strings{"unclosed", "tag", "haus"}));
}

TEST(Tokenizer, InvalidUtf8Separates) {
    EXPECT_EQ(lex(std::string("Haus\xff"
                              "Kind\xc3") +
                  "Baum"),
              (Strings{"haus", "kind", "baum"}));
    EXPECT_EQ(lex(std::string("\xe2\x82") + "x"), (Strings{"x"}));
}

TEST(Tokenizer, LongTokens) {
    std::string ab;
    while (ab.size() < clara::kMaxStemBytes) ab += "ab";
    EXPECT_EQ(lex(ab + "en"), Strings{ab + "en"});               // 1002 bytes: not stemmed
    EXPECT_EQ(lex(ab.substr(2) + "en"), Strings{ab.substr(2)});  // 1000 bytes: stemmed
    EXPECT_EQ(clara::german_stem(ab + "en"), ab + "en");         // same limit
    const std::string too_long(clara::kMaxTokenBytes + 1, 'b');
    EXPECT_EQ(lex("vor " + too_long + " Haus"), Strings{"haus"});  // "vor" is a stop word
    EXPECT_EQ(lex(std::string(clara::kMaxTokenBytes, '7')).size(), 1u);
}

namespace {

std::string utf8(uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

}  // namespace

// Tokens are lower-cased and stemmed in place in the output arena, which
// relies on a lexeme never having more bytes than its text: check every
// code point, alone and between letters.
TEST(Tokenizer, NoCodePointGrowsWhenLowerCased) {
    clara::Tokenizer t;
    clara::LexemeList out;
    for (uint32_t cp = 1; cp <= 0x10FFFF; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        const std::string c = utf8(cp);
        for (const std::string &text : {c, "q" + c + c + "q"}) {
            out.clear();
            t.tokenize(text, out);
            size_t total = 0;
            for (size_t i = 0; i < out.size(); ++i) {
                ASSERT_GT(out.lexemes[i].length, 0u);
                total += out.lexemes[i].length;
            }
            ASSERT_LE(out.arena.size(), text.size()) << std::hex << cp;
            ASSERT_EQ(out.arena.size(), total) << std::hex << cp;
        }
    }
}

// Random bytes and random UTF-8: no crash (run under ASan by make
// core-tests-asan), lexemes packed in the arena, and never empty.
TEST(Tokenizer, RandomInput) {
    uint64_t state = 12345;
    auto next = [&state]() {
        state += 0x9E3779B97F4A7C15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    const uint32_t alphabet[] = {'a',  'e',  'u',  'y',    's',   't',   'n',   'r',    'A',     'U',   '0',
                                 '7',  ' ',  '-',  '.',    '<',   '>',   '&',   ';',    '#',     0xE4,  0xF6,
                                 0xFC, 0xDF, 0xC4, 0x1E9E, 0x130, 0x3A3, 0x416, 0x2014, 0x1F600, 0x4E2D};
    clara::Tokenizer t;
    clara::LexemeList out;
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        const size_t len = next() % 200;
        const bool raw = round % 3 == 0;
        for (size_t i = 0; i < len; ++i) {
            if (raw)
                text += static_cast<char>(next() & 0xFF);
            else
                text += utf8(alphabet[next() % (sizeof alphabet / sizeof alphabet[0])]);
        }
        if (round % 50 == 0) out.clear();
        const size_t base = out.arena.size();
        const size_t count = out.size();
        t.tokenize(text, out);
        ASSERT_LE(out.arena.size() - base, text.size());
        size_t end = base;
        for (size_t i = count; i < out.size(); ++i) {
            ASSERT_EQ(out.lexemes[i].offset, end);
            ASSERT_GT(out.lexemes[i].length, 0u);
            end += out.lexemes[i].length;
        }
        ASSERT_EQ(end, out.arena.size());
    }
}

TEST(Tokenizer, AppendsAndReusesBuffers) {
    clara::Tokenizer t;
    clara::LexemeList out;
    t.tokenize("Häuser", out);
    t.tokenize("", out);
    t.tokenize("Kinder 42", out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0], "haus");
    EXPECT_EQ(out[1], "kind");
    EXPECT_EQ(out[2], "42");
    EXPECT_EQ(out.lexemes[2].offset, 8u);
    EXPECT_EQ(out.arena, "hauskind42");
    out.clear();
    EXPECT_TRUE(out.empty());
    t.tokenize("Straße", out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], "strass");
}

namespace {

std::vector<std::string> sample_documents(size_t n, size_t *bytes) {
    clara::CorpusGenerator gen(42);
    clara::CorpusDocument doc;
    std::vector<std::string> texts;
    *bytes = 0;
    for (uint64_t i = 1; i <= n; ++i) {
        gen.generate(i, doc);
        texts.push_back(doc.title + "\n" + doc.content);
        *bytes += texts.back().size();
    }
    return texts;
}

}  // namespace

TEST(Tokenizer, WordCacheDoesNotChangeResults) {
    size_t bytes = 0;
    const auto texts = sample_documents(1000, &bytes);
    clara::Tokenizer cached;  // cache on after its first 4096 tokens
    clara::LexemeList a, b;
    for (const auto &s : texts) {
        a.clear();
        b.clear();
        cached.tokenize(s, a);
        clara::Tokenizer(false).tokenize(s, b);
        ASSERT_EQ(a.arena, b.arena);
        ASSERT_EQ(a.size(), b.size());
    }
}
