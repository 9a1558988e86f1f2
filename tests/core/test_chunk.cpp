#include "chunk.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

// A byte tokenizer: every byte one token (cuts may land inside a character).
size_t byte_count(std::string_view s) { return s.size(); }
void byte_ends(std::string_view s, std::vector<uint32_t> &out) {
    for (uint32_t i = 1; i <= s.size(); i++) out.push_back(i);
}

// A word tokenizer: a token is a run of spaces/newlines followed by a word.
void word_ends(std::string_view s, std::vector<uint32_t> &out) {
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) i++;
        while (i < s.size() && s[i] != ' ' && s[i] != '\n') i++;
        out.push_back(static_cast<uint32_t>(i));
    }
}
size_t word_count(std::string_view s) {
    std::vector<uint32_t> e;
    word_ends(s, e);
    return e.size();
}

// New parts (from the previous chunk's end) concatenate to the text, every
// chunk within the budget and counted alone.
void expect_whole(std::string_view text, const std::vector<clara::TextChunk> &chunks, uint32_t max_tokens,
                  const clara::TokenCounter &count) {
    ASSERT_FALSE(chunks.empty());
    std::string joined;
    uint32_t covered = 0;
    for (const clara::TextChunk &c : chunks) {
        EXPECT_LE(c.start, covered);
        EXPECT_GT(c.end, covered);
        EXPECT_LE(c.token_count, max_tokens);
        EXPECT_EQ(c.token_count, count(text.substr(c.start, c.end - c.start)));
        EXPECT_EQ(c.char_start, clara::code_points_before(text, c.start));
        EXPECT_EQ(c.char_end, clara::code_points_before(text, c.end));
        joined += text.substr(covered, c.end - covered);
        covered = c.end;
    }
    EXPECT_EQ(joined, text);
}

std::string words(int n, const char *word = "wort") {
    std::string s;
    for (int i = 0; i < n; i++) s += (i ? " " : "") + std::string(word) + std::to_string(i % 10);
    return s;
}

}  // namespace

TEST(Chunk, FitsInOne) {
    auto chunks = clara::chunk_text("kurzer Text", 16, 0, word_count, word_ends);
    ASSERT_EQ(chunks.size(), 1u);
    EXPECT_EQ(chunks[0].start, 0u);
    EXPECT_EQ(chunks[0].end, 11u);
    EXPECT_EQ(chunks[0].token_count, 2u);
    EXPECT_TRUE(clara::chunk_text("", 16, 0, word_count, word_ends).empty());
}

TEST(Chunk, CutsAtParagraphsFirst) {
    // Paragraphs of 20 words; a budget of 50 takes two paragraphs, not 50 words.
    std::string text = words(20) + "\n\n" + words(20) + "\n\n" + words(20) + "\n\n" + words(20);
    auto chunks = clara::chunk_text(text, 50, 0, word_count, word_ends);
    expect_whole(text, chunks, 50, word_count);
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(text.substr(chunks[0].end, 2), "\n\n");  // the word tokens carry the break
}

TEST(Chunk, SentenceThenSpace) {
    std::string text;
    for (int i = 0; i < 30; i++) text += words(7, "satz") + ". ";
    auto chunks = clara::chunk_text(text, 40, 0, word_count, word_ends);
    expect_whole(text, chunks, 40, word_count);
    for (size_t i = 0; i + 1 < chunks.size(); i++) EXPECT_EQ(text[chunks[i].end - 1], '.') << i;
    // No punctuation at all: cuts at white space.
    std::string plain = words(300);
    auto more = clara::chunk_text(plain, 32, 0, word_count, word_ends);
    expect_whole(plain, more, 32, word_count);
    for (size_t i = 0; i + 1 < more.size(); i++) EXPECT_EQ(plain[more[i].end], ' ');
}

TEST(Chunk, LegalHeadings) {
    std::string text = "§ 1 Geltungsbereich\n" + words(30) + "\n§ 2 Begriffe\n" + words(30) + "\nArt. 3 Ziele\n" +
                       words(30);
    auto chunks = clara::chunk_text(text, 60, 0, word_count, word_ends);
    expect_whole(text, chunks, 60, word_count);
    ASSERT_GE(chunks.size(), 2u);
    for (size_t i = 1; i < chunks.size(); i++) {
        std::string_view head = std::string_view(text).substr(chunks[i].start + 1, 4);  // after the line break
        EXPECT_TRUE(head.substr(0, 2) == "\xC2\xA7" || head == "Art.") << head;
    }
}

TEST(Chunk, OverlapRepeatsOnlyTheTail) {
    std::string text = words(500);
    auto chunks = clara::chunk_text(text, 64, 16, word_count, word_ends);
    expect_whole(text, chunks, 64, word_count);
    for (size_t i = 1; i < chunks.size(); i++) {
        ASSERT_LT(chunks[i].start, chunks[i - 1].end);
        size_t shared = word_count(std::string_view(text).substr(chunks[i].start, chunks[i - 1].end - chunks[i].start));
        EXPECT_GE(shared, 12u);
        EXPECT_LE(shared, 20u);
    }
}

TEST(Chunk, NeverInsideACharacter) {
    std::string text;
    for (int i = 0; i < 200; i++) text += "Größenänderung über 🙂 ";
    auto chunks = clara::chunk_text(text, 37, 5, byte_count, byte_ends);
    expect_whole(text, chunks, 37, byte_count);
    for (const auto &c : chunks) {
        EXPECT_NE(static_cast<unsigned char>(text[c.start]) & 0xC0, 0x80u);
        if (c.end < text.size()) {
            EXPECT_NE(static_cast<unsigned char>(text[c.end]) & 0xC0, 0x80u);
        }
    }
    EXPECT_EQ(clara::code_points_before("Größe", 4), 3u);  // G r ö
    EXPECT_EQ(clara::code_points_before("Größe", 7), 5u);
}
