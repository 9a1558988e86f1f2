// The hand-written Snowball German stemmer (german_stem) against Snowball's
// own C library (GermanStemmer, libstemmer) on every distinct letter-only
// word of the German text Debian ships: the translations in
// /usr/share/locale/de (gettext catalogues), the German manual pages in
// /usr/share/man/de, the licences in /usr/share/common-licenses, 3000
// generated documents, and 300,000 random words over the letters the
// algorithm treats specially. Written to decide whether the library can
// replace the hand-written code.
#include "text_classes.hpp"
#include "tokenizer.hpp"

#include "core/corpus_generator.hpp"

#include <gtest/gtest.h>

#include <dirent.h>

#include <cstdio>
#include <random>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace clara::text;

// Every maximal run of word characters without digits, lower-cased.
void add_words(const std::string &text, std::set<std::string> &words) {
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    std::string word;
    bool digits = false;
    auto flush = [&] {
        if (!word.empty() && !digits) words.insert(word);
        word.clear();
        digits = false;
    };
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        const size_t len = decode_utf8(p + i, n - i, &cp);
        i += len;
        if (cp < 0x80 ? (kAscii.cls[cp] == 0) : (cp == kInvalid || !is_word_cp(cp))) {
            flush();
            continue;
        }
        if (cp < 0x80 && (kAscii.cls[cp] & kDigit)) digits = true;
        char buf[4];
        word.append(buf, encode_utf8(buf, cp < 0x80 ? static_cast<unsigned char>(kAscii.lower[cp]) : lower_cp(cp)));
    }
    flush();
}

void add_directory(const std::string &dir, const std::string &suffix, std::set<std::string> &words, size_t *files) {
    DIR *d = opendir(dir.c_str());
    if (d == nullptr) return;
    while (dirent *e = readdir(d)) {
        const std::string name = e->d_name;
        if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        if (e->d_type != DT_REG) continue;
        std::ifstream in(dir + "/" + name, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        add_words(text, words);
        ++*files;
    }
    closedir(d);
}

// Manual pages are gzip-compressed: read them through zcat.
void add_manual_pages(const std::string &dir, std::set<std::string> &words, size_t *files) {
    for (const char *section : {"man1", "man5", "man7", "man8"}) {
        const std::string command = "zcat " + dir + "/" + section + "/*.gz 2>/dev/null";
        FILE *pipe = popen(command.c_str(), "r");
        if (pipe == nullptr) continue;
        std::string text;
        char buf[65536];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, pipe)) > 0) text.append(buf, got);
        pclose(pipe);
        add_words(text, words);
        ++*files;
    }
}

}  // namespace

TEST(GermanStemmerLibrary, AgreesWithHandWrittenStemmer) {
    std::set<std::string> words;
    size_t files = 0;
    add_directory("/usr/share/locale/de/LC_MESSAGES", ".mo", words, &files);
    add_directory("/usr/share/common-licenses", "", words, &files);
    clara::CorpusGenerator gen(7);
    clara::CorpusDocument doc;
    for (uint64_t i = 1; i <= 3000; ++i) {
        gen.generate(i, doc);
        add_words(doc.title + "\n" + doc.content, words);
    }
    add_manual_pages("/usr/share/man/de", words, &files);
    const size_t text_words = words.size();
    // Random words: vowels (u and y between them are protected), umlauts,
    // ß, the s- and st-endings, the suffix letters, a non-Latin letter.
    const char *letters[] = {"a", "e", "i", "o", "u", "y", "ä", "ö", "ü", "ß", "s", "t", "n", "r", "l",
                             "c", "h", "k", "g", "d", "b", "m", "f", "λ", "ŝ", "é"};
    std::mt19937 rng(16);
    for (int i = 0; i < 300000; ++i) {
        std::string w;
        for (size_t k = 1 + rng() % 14; k > 0; --k) w += letters[rng() % (sizeof letters / sizeof letters[0])];
        words.insert(w);
    }
    clara::GermanStemmer library;
    size_t differ = 0;
    std::ostringstream shown;
    for (const std::string &w : words) {
        const std::string ours = clara::german_stem(w);
        const std::string_view theirs = library.stem(w);
        if (ours == theirs) continue;
        if (++differ <= 50) shown << "  " << w << ": hand-written " << ours << ", libstemmer " << theirs << "\n";
    }
    std::printf("[ stemmers ] %zu files, %zu distinct words of text, %zu in all, %zu differ\n%s", files, text_words,
                words.size(), differ, shown.str().c_str());
    EXPECT_GT(text_words, 50000u);
    EXPECT_EQ(differ, 0u);
}
