// Quality score: real German and English prose scores high, the classic
// junk (random characters, one line repeated, stubs, cookie/impressum pages)
// clearly lower; signals are deterministic, JSON is one object on one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "quality.hpp"

namespace {

using clara::assess_quality;
using clara::QualityInput;
using clara::QualitySignals;

const char *const kGermanProse =
    "Die Errichtung einer Photovoltaikanlage auf dem Dach eines bestehenden Wohngebäudes ist nach der "
    "Landesbauordnung in der Regel verfahrensfrei, sofern die Module dachparallel montiert werden und die "
    "Anlage nicht über die Dachfläche hinausragt. Verfahrensfreiheit bedeutet jedoch nicht, dass das "
    "materielle Baurecht unbeachtlich wäre: Der Bauherr bleibt dafür verantwortlich, dass die Anforderungen "
    "an die Standsicherheit, den Brandschutz und die Abstandsflächen eingehalten werden.\n"
    "\n"
    "Liegt das Gebäude im Geltungsbereich eines Bebauungsplans, der Festsetzungen zur Dachgestaltung "
    "enthält, oder handelt es sich um ein Baudenkmal, so ist vor Beginn der Arbeiten eine Genehmigung der "
    "unteren Bauaufsichtsbehörde beziehungsweise eine denkmalrechtliche Erlaubnis einzuholen. Die Behörde "
    "prüft dabei, ob das Erscheinungsbild des Denkmals durch die Module erheblich beeinträchtigt wird. "
    "Gründe des Klimaschutzes sind nach der neueren Rechtsprechung mit besonderem Gewicht in die Abwägung "
    "einzustellen.\n"
    "\n"
    "Gegen einen ablehnenden Bescheid kann der Antragsteller innerhalb eines Monats nach Bekanntgabe "
    "Widerspruch einlegen, soweit das Landesrecht ein Vorverfahren vorsieht; andernfalls ist unmittelbar "
    "Klage vor dem Verwaltungsgericht zu erheben. Wird die Anlage ohne die erforderliche Genehmigung "
    "errichtet, kann die Bauaufsichtsbehörde die Nutzung untersagen und die Beseitigung anordnen. Zudem "
    "droht ein Bußgeld, dessen Höhe sich nach der Schwere des Verstoßes richtet.\n";

const char *const kEnglishProse =
    "The lighthouse at the mouth of the harbour was built in 1854, after a winter storm had driven three "
    "merchant ships onto the rocks within a single week. The town council, which had argued about the cost "
    "for more than a decade, finally agreed to borrow the money from a bank in the capital, and the work was "
    "completed in less than two years.\n"
    "\n"
    "For most of its history the light was kept by a single family. The keeper lived with his wife and "
    "children in a small cottage at the foot of the tower, and every evening he climbed the spiral staircase "
    "to trim the wicks and wind the clockwork that turned the lens. When the light was converted to "
    "electricity in 1931, the family stayed on for another twenty years, because the council could not "
    "bring itself to let them go.\n"
    "\n"
    "Today the tower is owned by a local trust. It is open to visitors on summer weekends, and the cottage "
    "has been turned into a small museum that tells the story of the people who kept the light burning "
    "through storms, wars and long, empty winters.\n";

// German administrative prose with no English stopword in it (the Gopher
// trap: an English-only list would call this junk).
const char *const kGermanNoEnglishStopwords =
    "Der Bauherr muss vor Beginn der Arbeiten prüfen, ob für die geplante Photovoltaikanlage eine "
    "Baugenehmigung erforderlich ist. Maßgeblich ist dabei, ob die Module auf dem Dach oder auf der "
    "Fassade angebracht werden sollen und ob das Gebäude unter Denkmalschutz steht. Die Gemeinde kann "
    "durch eine örtliche Bauvorschrift besondere Anforderungen für die Gestaltung der Dächer stellen. "
    "Wer eine genehmigungspflichtige Anlage ohne Genehmigung errichtet, handelt ordnungswidrig und muss "
    "mit der Anordnung der Beseitigung rechnen. Die Behörde hat dabei den Grundsatz der "
    "Verhältnismäßigkeit zu beachten und den Eigentümer vorher anzuhören.\n";

const char *const kCookiePage =
    "Diese Website verwendet Cookies. Wir verwenden Cookies, um Inhalte und Anzeigen zu personalisieren und "
    "die Zugriffe auf unsere Website zu analysieren.\n"
    "Alle akzeptieren\n"
    "Nur notwendige Cookies\n"
    "Cookie-Einstellungen\n"
    "Startseite\n"
    "Kontakt\n"
    "Impressum\n"
    "Datenschutz\n"
    "Datenschutzerklärung\n"
    "Barrierefreiheit\n"
    "© 2024 Musterstadt. Alle Rechte vorbehalten.\n";

const char *const kStub = "Der Antrag wurde heute abgelehnt.";

QualityInput full_meta(const std::string &content) {
    QualityInput in;
    in.title = "Titel";
    in.content = content;
    in.metadata_fields_present = 5;
    in.metadata_fields_total = 5;
    return in;
}

QualitySignals score_of(const std::string &content) { return assess_quality(full_meta(content)); }

std::string signals_json(const QualitySignals &s) {
    std::string out;
    clara::append_quality_signals_json(out, s);
    return out;
}

// Deterministic pseudo-random printable ASCII with a space now and then.
std::string random_characters(size_t n) {
    std::string s;
    uint32_t x = 12345;
    for (size_t i = 0; i < n; ++i) {
        x = x * 1103515245u + 12345u;
        uint32_t r = (x >> 16) & 0x7fff;
        s.push_back(r % 7 == 0 ? ' ' : static_cast<char>(0x21 + r % 94));
    }
    return s;
}

std::string repeat_line(const std::string &line, int times) {
    std::string s;
    for (int i = 0; i < times; ++i) s += line + "\n";
    return s;
}

// Rewraps text to lines of at most width bytes (hard-wrapped prose).
std::string hard_wrap(const std::string &text, size_t width) {
    std::string out, line;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t next = text.find_first_of(" \n", pos);
        if (next == std::string::npos) next = text.size();
        std::string word = text.substr(pos, next - pos);
        if (!line.empty() && line.size() + 1 + word.size() > width) {
            out += line + "\n";
            line.clear();
        }
        if (!word.empty()) line += (line.empty() ? "" : " ") + word;
        if (next < text.size() && text[next] == '\n') {
            out += line + "\n";
            line.clear();
        }
        pos = next + 1;
    }
    if (!line.empty()) out += line + "\n";
    return out;
}

void print_score(const char *name, const QualitySignals &s) {
    std::printf("[quality] %-28s score %.4f  %s\n", name, s.score, signals_json(s).c_str());
}

TEST(Quality, GermanProseScoresHigh) {
    QualitySignals s = score_of(kGermanProse);
    print_score("german prose", s);
    EXPECT_GE(s.score, 0.7);
    EXPECT_STREQ(s.language, "de");
    EXPECT_EQ(s.line_count, 3u);
    EXPECT_GT(s.word_count, 150u);
    EXPECT_DOUBLE_EQ(s.length_score, 1.0);
    EXPECT_DOUBLE_EQ(s.repetition_score, 1.0);
    EXPECT_DOUBLE_EQ(s.boilerplate_line_fraction, 0.0);
    EXPECT_DOUBLE_EQ(s.stopword_score, 1.0);
}

TEST(Quality, EnglishProseScoresHigh) {
    QualitySignals s = score_of(kEnglishProse);
    print_score("english prose", s);
    EXPECT_GE(s.score, 0.7);
    EXPECT_STREQ(s.language, "en");
    EXPECT_DOUBLE_EQ(s.stopword_score, 1.0);
    EXPECT_DOUBLE_EQ(s.boilerplate_line_fraction, 0.0);
}

TEST(Quality, HardWrappedProseStillScoresHigh) {
    // Many short lines: nothing may be mistaken for navigation or repetition.
    QualitySignals de = score_of(hard_wrap(kGermanProse, 72));
    QualitySignals en = score_of(hard_wrap(kEnglishProse, 72));
    print_score("german prose, wrapped", de);
    print_score("english prose, wrapped", en);
    EXPECT_GT(de.line_count, 20u);
    EXPECT_GE(de.score, 0.7);
    EXPECT_GE(en.score, 0.7);
}

TEST(Quality, GermanWithoutEnglishStopwordsIsGerman) {
    QualitySignals s = score_of(kGermanNoEnglishStopwords);
    print_score("german, no english stopwords", s);
    EXPECT_STREQ(s.language, "de");
    EXPECT_DOUBLE_EQ(s.stopword_ratio_en, 0.0);
    EXPECT_GE(s.stopword_ratio_de, 0.2);
    EXPECT_DOUBLE_EQ(s.stopword_score, 1.0);
    EXPECT_GE(s.score, 0.7);
}

class JunkTest : public ::testing::TestWithParam<const char *> {};

std::string junk_text(const std::string &name) {
    if (name == "random_characters") return random_characters(2000);
    if (name == "line_repeated_200_times")
        return repeat_line("Willkommen auf unserer Website, schön, dass Sie da sind!", 200);
    if (name == "english_line_repeated_200_times")
        return repeat_line("The quick brown fox jumps over the lazy dog.", 200);
    if (name == "five_word_stub") return kStub;
    if (name == "cookie_impressum_page") return kCookiePage;
    if (name == "prose_pasted_twice") return std::string(kEnglishProse) + kEnglishProse;
    if (name == "random_letters")  // letters and spaces only: no stopwords
    {
        std::string s = random_characters(2000);
        for (char &c : s)
            if (c != ' ') c = static_cast<char>('a' + static_cast<unsigned char>(c) % 26);
        return s;
    }
    return {};
}

TEST_P(JunkTest, ScoresClearlyBelowProse) {
    const std::string name = GetParam();
    const std::string text = junk_text(name);
    ASSERT_FALSE(text.empty());
    QualitySignals junk = score_of(text);
    print_score(name.c_str(), junk);
    const double prose = std::min(score_of(kGermanProse).score, score_of(kEnglishProse).score);
    EXPECT_LE(junk.score, 0.45);
    EXPECT_LE(junk.score, prose - 0.3);
}

INSTANTIATE_TEST_SUITE_P(Quality, JunkTest,
                         ::testing::Values("random_characters", "line_repeated_200_times",
                                           "english_line_repeated_200_times", "five_word_stub", "cookie_impressum_page",
                                           "prose_pasted_twice", "random_letters"));

TEST(Quality, JunkIsCaughtByTheRightSignal) {
    EXPECT_LE(score_of(random_characters(2000)).symbol_score, 0.1);
    QualitySignals rep = score_of(repeat_line("Willkommen auf unserer Website, schön, dass Sie da sind!", 200));
    EXPECT_GE(rep.duplicate_line_fraction, 0.99);
    EXPECT_GE(rep.duplicate_ngram_fraction, 0.9);
    EXPECT_DOUBLE_EQ(rep.repetition_score, 0.0);
    QualitySignals stub = score_of(kStub);
    EXPECT_EQ(stub.word_count, 5u);
    EXPECT_LE(stub.length_score, 0.25);
    QualitySignals cookie = score_of(kCookiePage);
    EXPECT_GE(cookie.boilerplate_line_fraction, 0.9);
    EXPECT_LE(cookie.boilerplate_score, 0.1);
}

TEST(Quality, LengthRampsUpMonotonically) {
    const std::string words[] = {"Die",  "Behörde",        "hat", "den",  "Antrag", "auf", "Erteilung",
                                 "der",  "Baugenehmigung", "für", "eine", "Anlage", "auf", "dem",
                                 "Dach", "geprüft"};
    std::string text;
    double last = -1.0;
    for (int i = 0; i < 120; ++i) {
        text += words[i % 16];
        text += ' ';
        QualitySignals s = score_of(text);
        EXPECT_GE(s.length_score, last) << i;
        last = s.length_score;
    }
    EXPECT_DOUBLE_EQ(last, 1.0);
    // Extremely long is fine.
    EXPECT_DOUBLE_EQ(score_of(std::string(kGermanProse) + kEnglishProse + kGermanNoEnglishStopwords).length_score, 1.0);
}

TEST(Quality, BoilerplateFooterUnderProseIsTolerated) {
    std::string text = std::string(kGermanProse) +
                       "\nImpressum | Datenschutz | Kontakt\n© 2024 Stadt Musterstadt. Alle Rechte vorbehalten.\n";
    QualitySignals s = score_of(text);
    print_score("german prose + footer", s);
    EXPECT_GT(s.boilerplate_line_fraction, 0.0);
    EXPECT_LT(s.boilerplate_line_fraction, 0.1);
    EXPECT_GE(s.score, 0.7);
}

TEST(Quality, LegalProseNamingDatenschutzIsNotBoilerplate) {
    // Long prose lines that merely mention privacy or cookies stay prose.
    std::string text =
        "Nach Art. 6 Abs. 1 DSGVO ist die Verarbeitung personenbezogener Daten nur rechtmäßig, wenn eine der dort "
        "genannten Bedingungen erfüllt ist; der Datenschutz verlangt daher, dass die Behörde vor der Veröffentlichung "
        "der Bauakte prüft, ob Namen und Anschriften der Nachbarn geschwärzt werden müssen, und dass sie die "
        "Betroffenen über ihre Rechte in einer leicht verständlichen Datenschutzerklärung informiert.\n";
    text += kGermanProse;
    QualitySignals s = score_of(text);
    EXPECT_DOUBLE_EQ(s.boilerplate_line_fraction, 0.0);
    EXPECT_GE(s.score, 0.7);
}

TEST(Quality, PageCounterIsBoilerplate) {
    QualitySignals s = score_of("Seite 3 von 12\n");
    EXPECT_DOUBLE_EQ(s.boilerplate_line_fraction, 1.0);
    s = score_of("Page 3 of 12\n");
    EXPECT_DOUBLE_EQ(s.boilerplate_line_fraction, 1.0);
    s = score_of("Seite 3/12\n");
    EXPECT_DOUBLE_EQ(s.boilerplate_line_fraction, 1.0);
    s = score_of("Die Begründung steht auf Seite 3 des Bescheids.\n");
    EXPECT_DOUBLE_EQ(s.boilerplate_line_fraction, 0.0);
    // Navigation words match whole words only: "Untersuchung" is no "suche".
    s = score_of("Untersuchung der Bodenproben\n");
    EXPECT_DOUBLE_EQ(s.boilerplate_line_fraction, 0.0);
    s = score_of("Suche\n");
    EXPECT_DOUBLE_EQ(s.boilerplate_line_fraction, 1.0);
}

TEST(Quality, Deterministic) {
    for (const char *text : {kGermanProse, kEnglishProse, kCookiePage, kStub}) {
        std::string a = signals_json(score_of(text));
        std::string b = signals_json(score_of(text));
        EXPECT_EQ(a, b);
        EXPECT_EQ(score_of(text).score, score_of(text).score);
    }
}

TEST(Quality, SignalsJsonIsOneLineObject) {
    for (const std::string &text :
         {std::string(kGermanProse), std::string(kCookiePage), std::string(), std::string("\xff\xfe bad \xc3")}) {
        const std::string js = signals_json(score_of(text));
        ASSERT_FALSE(js.empty());
        EXPECT_EQ(js.front(), '{');
        EXPECT_EQ(js.back(), '}');
        EXPECT_EQ(js.find('\n'), std::string::npos);
        EXPECT_EQ(js.find("null"), std::string::npos);  // no NaN / inf anywhere
        nlohmann::json parsed = nlohmann::json::parse(js);
        ASSERT_TRUE(parsed.is_object());
        EXPECT_EQ(parsed["version"].get<int>(), clara::kQualityVersion);
        for (const char *key : {"char_count",
                                "word_count",
                                "line_count",
                                "mean_word_length",
                                "symbol_ratio",
                                "non_letter_ratio",
                                "duplicate_line_fraction",
                                "duplicate_ngram_fraction",
                                "boilerplate_line_fraction",
                                "stopword_ratio",
                                "stopword_ratio_de",
                                "stopword_ratio_en",
                                "language",
                                "metadata_completeness",
                                "length_score",
                                "word_length_score",
                                "symbol_score",
                                "repetition_score",
                                "boilerplate_score",
                                "stopword_score",
                                "metadata_score",
                                "score"})
            EXPECT_TRUE(parsed.contains(key)) << key;
        EXPECT_TRUE(parsed["score"].is_number_float());
        EXPECT_TRUE(parsed["word_count"].is_number_integer());
        // Doubles are rounded to 4 decimals.
        for (auto it = parsed.begin(); it != parsed.end(); ++it) {
            if (!it.value().is_number_float()) continue;
            double v = it.value().get<double>();
            EXPECT_NEAR(v * 10000.0, std::round(v * 10000.0), 1e-6) << it.key();
        }
    }
}

TEST(Quality, MetadataCompletenessIsMonotonic) {
    double last = -1.0;
    for (int present = 0; present <= 5; ++present) {
        QualityInput in;
        in.content = kGermanProse;
        in.metadata_fields_present = present;
        in.metadata_fields_total = 5;
        QualitySignals s = assess_quality(in);
        EXPECT_DOUBLE_EQ(s.metadata_completeness, present / 5.0);
        EXPECT_GT(s.score, last) << present;
        last = s.score;
    }
    // Missing metadata alone does not sink good prose below the default cut-off.
    QualityInput none;
    none.content = kGermanProse;
    EXPECT_GE(assess_quality(none).score, 0.5);
    // Out-of-range counts are clamped, not trusted.
    QualityInput odd;
    odd.content = kGermanProse;
    odd.metadata_fields_present = 9;
    EXPECT_DOUBLE_EQ(assess_quality(odd).metadata_completeness, 1.0);
    odd.metadata_fields_present = -3;
    EXPECT_DOUBLE_EQ(assess_quality(odd).metadata_completeness, 0.0);
}

TEST(Quality, InvalidUtf8DoesNotCrash) {
    const std::string cases[] = {
        std::string("\xff\xfe\xfd"),
        std::string("Stra\xc3"),                  // truncated 2-byte sequence at the end
        std::string("\xe2\x82"),                  // truncated 3-byte sequence
        std::string("\xed\xa0\x80 surrogate"),    // encoded surrogate
        std::string("\xc0\xaf overlong"),         // overlong '/'
        std::string("\xf4\x90\x80\x80 too big"),  // above U+10FFFF
        std::string("\x80\x80\x80 stray continuation bytes"),
        std::string(kGermanProse) + "\xc3\x28 M\xfcller \xa9 2024\n",
        std::string("a\0b\0c", 5),
    };
    for (const std::string &c : cases) {
        QualitySignals s = score_of(c);
        EXPECT_TRUE(std::isfinite(s.score));
        EXPECT_GE(s.score, 0.0);
        EXPECT_LE(s.score, 1.0);
    }
    QualitySignals bad = score_of("\xff\xfe\xfd");
    EXPECT_EQ(bad.char_count, 3u);
    EXPECT_DOUBLE_EQ(bad.symbol_ratio, 1.0);
    EXPECT_DOUBLE_EQ(bad.non_letter_ratio, 1.0);
    // A few bad bytes in good prose cost little.
    EXPECT_GE(score_of(cases[7]).score, 0.7);
}

TEST(Quality, Utf8LettersAndCaseFolding) {
    // Umlauts and ß are letters; upper-case Latin-1 folds for stopwords.
    QualitySignals s = score_of("ÄÖÜ äöü ß Größe");
    EXPECT_EQ(s.char_count, 15u);
    EXPECT_EQ(s.word_count, 4u);
    EXPECT_DOUBLE_EQ(s.non_letter_ratio, 0.0);
    EXPECT_DOUBLE_EQ(score_of("ÜBER FÜR").stopword_ratio_de, 1.0);
    EXPECT_DOUBLE_EQ(score_of("Ελληνικά кириллица").non_letter_ratio, 0.0);
    EXPECT_GT(score_of("★★★ ☺☺☺ →→→").symbol_ratio, 0.99);
}

TEST(Quality, EmptyAndBlankContent) {
    for (const char *text : {"", "   \n\n\t  \n", "\n"}) {
        QualitySignals s = score_of(text);
        EXPECT_EQ(s.word_count, 0u);
        EXPECT_TRUE(std::isfinite(s.score));
        EXPECT_LE(s.score, 0.05);
        EXPECT_STREQ(s.language, "none");
        EXPECT_TRUE(std::isfinite(s.mean_word_length));
        EXPECT_TRUE(std::isfinite(s.symbol_ratio));
        EXPECT_TRUE(std::isfinite(s.duplicate_line_fraction));
        EXPECT_TRUE(std::isfinite(s.duplicate_ngram_fraction));
    }
}

}  // namespace

TEST(Quality, MisdecodedAndOcrTextScoresLow) {
    // The same prose, once read with the wrong charset (UTF-8 bytes taken as
    // Latin-1 and re-encoded), once OCR'd (l -> 1, o -> 0, e -> c).
    const std::string good =
        "Die Bauaufsichtsbehörde prüft, ob die Photovoltaikanlage auf dem Dach des Wohnhauses "
        "den Vorschriften über Abstandsflächen genügt. Für die Errichtung ist in der Regel keine "
        "Genehmigung erforderlich, wenn die Anlage nicht über die Dachfläche hinausragt und "
        "keine Belange des Denkmalschutzes berührt werden. Über den Widerspruch des Nachbarn "
        "entscheidet die Widerspruchsbehörde nach Anhörung der Beteiligten.";
    std::string mojibake, ocr;
    for (size_t i = 0; i < good.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(good[i]);
        if (c == 0xC3 && i + 1 < good.size()) {
            mojibake += "\xC3\x83\xC2";
            mojibake += good[++i];
        } else {
            mojibake += good[i];
        }
    }
    for (size_t i = 0; i < good.size(); ++i) {
        char c = good[i];
        ocr += c == 'l' ? '1' : c == 'o' ? '0' : c == 'e' && i % 3 == 0 ? 'c' : c;
    }
    clara::QualityInput in;
    in.metadata_fields_present = 5;
    in.content = good;
    const auto g = clara::assess_quality(in);
    in.content = mojibake;
    const auto m = clara::assess_quality(in);
    in.content = ocr;
    const auto o = clara::assess_quality(in);
    EXPECT_GE(g.score, 0.7);
    EXPECT_EQ(g.encoding_score, 1.0);
    EXPECT_GT(m.mojibake_ratio, 0.05);
    EXPECT_LE(m.score, 0.45);
    EXPECT_GT(o.mixed_word_ratio, 0.15);
    EXPECT_LE(o.score, 0.45);
}
