#include "dedup.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>
#include <vector>

namespace {

using clara::DedupSignature;

// Words drawn from a fixed list by a seeded generator: texts that share no
// accidental structure beyond what a test puts in.
std::string random_words(std::mt19937 &rng, size_t n) {
    static const char *kWords[] = {"Antrag",   "Bescheid", "Frist",     "Gericht", "Klage",   "Behörde", "Recht",
                                   "Absatz",   "Urteil",   "Verfahren", "Kosten",  "Zahlung", "Vertrag", "Mieter",
                                   "Schaden",  "Eigentum", "Grundbuch", "Erbe",    "Steuer",  "Rente",   "Pflicht",
                                   "Nachweis", "Ausgabe",  "Einnahme",  "Betrag",  "Monat",   "Jahr",    "Woche",
                                   "file",     "server",   "option",    "default", "value",   "system",  "package",
                                   "install",  "config",   "network",   "user",    "group",   "path",    "error"};
    std::uniform_int_distribution<size_t> pick(0, sizeof(kWords) / sizeof(kWords[0]) - 1);
    std::string out;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) out += (i % 17 == 0) ? ".\n\n" : " ";
        out += kWords[pick(rng)];
        out += std::to_string(pick(rng) % 7);  // more distinct words
    }
    return out;
}

TEST(DedupNormalize, WhitespaceCaseAndNfc) {
    EXPECT_EQ(clara::normalized_text("  Hello\t\n  WORLD  "), "hello world");
    // "ä" written as a + combining diaeresis is the same text as U+00E4.
    EXPECT_EQ(clara::normalized_text("Ha\xCC\x88user"), clara::normalized_text("H\xC3\xA4user"));
    EXPECT_EQ(clara::normalized_text("\xC3\x84RGER\xC2\xA0und"), "\xC3\xA4rger und");  // NBSP is white space
    EXPECT_NE(clara::normalized_text("a, b"), clara::normalized_text("a b"));          // punctuation counts
}

TEST(DedupSignature, ExactDuplicatesAfterNormalisation) {
    DedupSignature a = clara::dedup_signature("Der Antrag wird   abgelehnt.\n");
    DedupSignature b = clara::dedup_signature("der ANTRAG wird abgelehnt.");
    DedupSignature c = clara::dedup_signature("Der Antrag wird angenommen.");
    EXPECT_TRUE(clara::exact_duplicates(a, b));
    EXPECT_FALSE(clara::exact_duplicates(a, c));
    EXPECT_EQ(clara::estimated_jaccard(a, b), 1.0);
    EXPECT_TRUE(clara::near_duplicates(a, b));
}

TEST(DedupSignature, EncodeDecodeRoundTrip) {
    std::mt19937 rng(7);
    DedupSignature a = clara::dedup_signature(random_words(rng, 300));
    std::string bytes;
    clara::encode_signature(a, bytes);
    ASSERT_EQ(bytes.size(), clara::kDedupBytes);
    DedupSignature b;
    ASSERT_TRUE(clara::decode_signature(bytes.data(), bytes.size(), &b));
    EXPECT_EQ(a.exact, b.exact);
    EXPECT_EQ(a.shingles, b.shingles);
    EXPECT_EQ(a.bins, b.bins);
    EXPECT_FALSE(clara::decode_signature(bytes.data(), bytes.size() - 1, &b));
    bytes[0] = 9;
    EXPECT_FALSE(clara::decode_signature(bytes.data(), bytes.size(), &b));
}

TEST(DedupSignature, NoWordsMeansNoBands) {
    DedupSignature empty = clara::dedup_signature("");
    DedupSignature punct = clara::dedup_signature(" -- ... !! ");
    int64_t keys[clara::kDedupKeys];
    EXPECT_EQ(clara::dedup_keys(empty, keys), 1u);
    EXPECT_EQ(clara::dedup_keys(punct, keys), 1u);
    EXPECT_FALSE(clara::near_duplicates(empty, punct));
    EXPECT_TRUE(clara::near_duplicates(empty, clara::dedup_signature("  \n ")));
}

TEST(DedupSignature, ShortTextsAreOneShingle) {
    DedupSignature a = clara::dedup_signature("Frist versäumt");
    DedupSignature b = clara::dedup_signature("Frist   VERSÄUMT!");
    DedupSignature c = clara::dedup_signature("Frist gewahrt");
    EXPECT_EQ(a.shingles, 1u);
    EXPECT_EQ(clara::estimated_jaccard(a, b), 1.0);
    EXPECT_LT(clara::estimated_jaccard(a, c), 0.05);
}

// The estimate follows the true Jaccard similarity of the shingle sets.
TEST(DedupSignature, EstimateTracksEdits) {
    std::mt19937 rng(11);
    const std::string base = random_words(rng, 600);
    std::vector<std::string> words;
    for (size_t s = 0, e; s < base.size(); s = e + 1) {
        e = base.find(' ', s);
        if (e == std::string::npos) e = base.size();
        words.push_back(base.substr(s, e - s));
    }
    DedupSignature a = clara::dedup_signature(base);
    // Changing every 50th word changes ~5 of 50 shingles: J about 0.82.
    std::string edited;
    for (size_t i = 0; i < words.size(); i++) {
        if (i > 0) edited += ' ';
        edited += i % 50 == 25 ? std::string("Ersatzwort") + std::to_string(i) : words[i];
    }
    const double j = clara::estimated_jaccard(a, clara::dedup_signature(edited));
    EXPECT_GT(j, 0.70);
    EXPECT_LT(j, 0.95);
    EXPECT_TRUE(clara::near_duplicates(a, clara::dedup_signature(edited)));
    // An unrelated text of the same vocabulary is far.
    EXPECT_LT(clara::estimated_jaccard(a, clara::dedup_signature(random_words(rng, 600))), 0.1);
}

TEST(DedupKeys, SharedBandsForNearDuplicates) {
    std::mt19937 rng(3);
    const std::string base = random_words(rng, 400);
    DedupSignature a = clara::dedup_signature(base);
    DedupSignature b = clara::dedup_signature(base + " Nachtrag Ende");
    int64_t ka[clara::kDedupKeys], kb[clara::kDedupKeys];
    ASSERT_EQ(clara::dedup_keys(a, ka), clara::kDedupKeys);
    ASSERT_EQ(clara::dedup_keys(b, kb), clara::kDedupKeys);
    EXPECT_NE(ka[0], kb[0]);  // not exact duplicates
    int shared = 0;
    for (uint32_t i = 1; i < clara::kDedupKeys; i++) shared += ka[i] == kb[i];
    EXPECT_GT(shared, 0);
}

// The stored keys: the bands of a text with words, which every exact
// duplicate shares (so the exact key is not needed to find it); the exact
// key alone for a text without words.
TEST(DedupKeys, LookupKeysFindExactDuplicates) {
    std::mt19937 rng(5);
    const std::string base = random_words(rng, 300);
    std::string shouted;
    for (char c : base) shouted += c == ' ' ? std::string("  \t") : std::string(1, static_cast<char>(std::toupper(c)));
    DedupSignature a = clara::dedup_signature(base), b = clara::dedup_signature(shouted);
    ASSERT_TRUE(clara::exact_duplicates(a, b));
    int64_t all[clara::kDedupKeys], ka[clara::kDedupKeys], kb[clara::kDedupKeys];
    ASSERT_EQ(clara::dedup_keys(a, all), clara::kDedupKeys);
    ASSERT_EQ(clara::dedup_lookup_keys(a, ka), clara::kBands);
    ASSERT_EQ(clara::dedup_lookup_keys(b, kb), clara::kBands);
    for (uint32_t i = 0; i < clara::kBands; i++) {
        EXPECT_EQ(ka[i], all[i + 1]);
        EXPECT_EQ(ka[i], kb[i]);
    }
    DedupSignature none = clara::dedup_signature(" -- ... "), none2 = clara::dedup_signature("--...");
    ASSERT_EQ(clara::dedup_keys(none, all), 1u);
    ASSERT_EQ(clara::dedup_lookup_keys(none, ka), 1u);
    EXPECT_EQ(ka[0], all[0]);
    ASSERT_EQ(clara::dedup_lookup_keys(none2, kb), 1u);
    EXPECT_NE(ka[0], kb[0]);  // punctuation counts: not the same normalised text
}

clara::DupDocument doc(uint32_t key, const std::string &text) {
    return clara::DupDocument{key, clara::dedup_signature(text)};
}

const clara::DupMember *member(const clara::DupChanges &c, uint32_t key) {
    for (const auto &m : c.members)
        if (m.doc_key == key) return &m;
    return nullptr;
}

TEST(DupClusters, JoinsNewAndStoredDocuments) {
    std::mt19937 rng(5);
    const std::string x = random_words(rng, 300), y = random_words(rng, 300);
    // Stored: 4 and 9 are a cluster (label 4); 6 is alone. Added: 12 copies
    // 9 exactly, 13 is unrelated.
    std::vector<clara::DupDocument> added = {doc(12, x), doc(13, y)};
    std::vector<clara::DupDocument> candidates = {doc(9, x), doc(12, x), doc(13, y), doc(4, x + " Gruss")};
    std::unordered_map<uint32_t, clara::DupLabels> existing = {{9, {4, 0}}, {4, {4, 0}}};
    clara::DupChanges c = clara::cluster_duplicates(added, candidates, existing);
    const clara::DupMember *m12 = member(c, 12), *m9 = member(c, 9);
    ASSERT_NE(m12, nullptr);
    ASSERT_NE(m9, nullptr);
    EXPECT_EQ(m12->labels.near, 4u);
    EXPECT_EQ(m12->labels.exact, 9u);  // exact cluster {9, 12}, labelled by its smallest key
    EXPECT_EQ(m9->labels.exact, 9u);
    EXPECT_EQ(member(c, 13), nullptr);
    EXPECT_TRUE(c.near_relabel.empty());
    for (size_t i = 1; i < c.members.size(); i++) EXPECT_LT(c.members[i - 1].doc_key, c.members[i].doc_key);
}

TEST(DupClusters, MergesStoredClusters) {
    std::mt19937 rng(8);
    const std::string x = random_words(rng, 300), y = random_words(rng, 300);
    // Stored clusters {2, 5} (label 2) and {7, 8} (label 7); the added
    // document 20 is near both halves: x + y.
    std::vector<clara::DupDocument> added = {doc(20, x + " " + y)};
    std::vector<clara::DupDocument> candidates = {doc(5, x + " " + y + " Anhang"), doc(8, "Vorwort " + x + " " + y),
                                                  doc(20, x + " " + y)};
    std::unordered_map<uint32_t, clara::DupLabels> existing = {{5, {2, 0}}, {8, {7, 0}}};
    clara::DupChanges c = clara::cluster_duplicates(added, candidates, existing);
    ASSERT_EQ(c.near_relabel.size(), 1u);
    EXPECT_EQ(c.near_relabel[0], std::make_pair(7u, 2u));
    ASSERT_NE(member(c, 20), nullptr);
    EXPECT_EQ(member(c, 20)->labels.near, 2u);
    EXPECT_EQ(member(c, 8)->labels.near, 2u);
}

}  // namespace
