// SentencePiece .model files through the library (core/sentencepiece.hpp),
// on models trained here by the library's own trainer (a unigram and a BPE
// with byte fallback). Exactness against the library's Python binding on
// real published models (Llama 2, a unigram model) is checked in
// tests/integration/tokenizers.sh.
#include "chunk.hpp"
#include "model_tokenizer.hpp"
#include "sentencepiece.hpp"

#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>

#include <string>
#include <vector>

namespace {

class Sentences : public sentencepiece::SentenceIterator {
public:
    explicit Sentences(std::vector<std::string> s) : s_(std::move(s)) {}
    bool done() const override { return i_ >= s_.size(); }
    void Next() override { i_++; }
    const std::string &value() const override { return s_[i_]; }
    sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

private:
    std::vector<std::string> s_;
    size_t i_ = 0;
};

std::vector<std::string> corpus() {
    const char *words[] = {"Genehmigung", "der",     "Anlage", "wurde", "erteilt", "the",      "permit",
                           "was",         "granted", "für",    "Größe", "Straße",  "Bescheid", "Antrag"};
    std::vector<std::string> out;
    for (int i = 0; i < 400; i++) {
        std::string line;
        for (int k = 0; k < 9; k++) line += std::string(k ? " " : "") + words[(i * 7 + k * 3 + k * k) % 14];
        out.push_back(line);
    }
    return out;
}

// A model trained by the library on corpus(): "unigram" or "bpe" (with byte fallback).
const std::string &trained_model(const std::string &type) {
    static std::string unigram, bpe;
    std::string &model = type == "bpe" ? bpe : unigram;
    if (model.empty()) {
        Sentences it(corpus());
        std::string args = "--model_type=" + type + " --vocab_size=" + (type == "bpe" ? "330" : "30") +
                           " --character_coverage=1.0 --minloglevel=2" + (type == "bpe" ? " --byte_fallback=true" : "");
        auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &model);
        if (!status.ok()) ADD_FAILURE() << status.ToString();
    }
    return model;
}

}  // namespace

TEST(SentencePiece, LoadedByContentWithItsModelType) {
    auto unigram = clara::load_tokenizer(trained_model("unigram"));
    EXPECT_STREQ(unigram->kind(), "sentencepiece");
    EXPECT_STREQ(unigram->pattern(), "unigram");
    EXPECT_EQ(unigram->vocabulary_size(), 30u);
    auto bpe = clara::load_tokenizer(trained_model("bpe"));
    EXPECT_STREQ(bpe->pattern(), "bpe");
    EXPECT_EQ(bpe->vocabulary_size(), 330u);
}

TEST(SentencePiece, CountsAndIdsAreTheLibrarys) {
    auto t = clara::SentencePieceTokenizer::from_model(trained_model("unigram"));
    sentencepiece::SentencePieceProcessor sp;
    ASSERT_TRUE(sp.LoadFromSerializedProto(trained_model("unigram")).ok());
    for (const char *text : {"Die Genehmigung wurde erteilt.", "  the   permit\n\twas granted  ", "", "x",
                             "Größe Straße 中文 🙂"}) {
        std::vector<int> want;
        ASSERT_TRUE(sp.Encode(text, &want).ok());
        std::vector<uint32_t> got;
        t->encode(text, got);
        EXPECT_EQ(got, std::vector<uint32_t>(want.begin(), want.end())) << text;
        EXPECT_EQ(t->count(text), want.size()) << text;
        std::vector<uint32_t> ends;
        t->token_ends(text, ends);
        EXPECT_EQ(ends.size(), want.size()) << text;
    }
}

TEST(SentencePiece, ByteFallbackEndsInsideTheCharacter) {
    auto t = clara::SentencePieceTokenizer::from_model(trained_model("bpe"));
    const std::string text = "der \xF0\x9F\x99\x82 Antrag";  // 🙂 is in no piece: four byte pieces
    std::vector<uint32_t> ends;
    t->token_ends(text, ends);
    ASSERT_FALSE(ends.empty());
    EXPECT_EQ(ends.back(), text.size());
    std::vector<uint32_t> inside;
    for (size_t i = 0; i < ends.size(); i++) {
        if (i > 0) {
            EXPECT_GE(ends[i], ends[i - 1]);
        }
        if (ends[i] > 4 && ends[i] < 8) inside.push_back(ends[i]);
    }
    // The emoji's bytes [4, 8): its first three byte pieces end at 5, 6, 7.
    EXPECT_EQ(inside, (std::vector<uint32_t>{5, 6, 7}));
}

TEST(SentencePiece, ChunksStayWithinTheBudgetAndLoseNothing) {
    auto t = clara::load_tokenizer(trained_model("bpe"));
    std::string text;
    for (const std::string &s : corpus()) text += s + (text.size() % 3 ? ". " : "\n\n");
    text.resize(6000);
    const auto chunks = clara::chunk_text(
        text, 64, 8, [&](std::string_view s) { return t->count(s); },
        [&](std::string_view s, std::vector<uint32_t> &e) { t->token_ends(s, e); });
    ASSERT_GT(chunks.size(), 5u);
    uint32_t covered = 0;
    std::string rebuilt;
    for (const auto &c : chunks) {
        EXPECT_LE(c.token_count, 64u);
        EXPECT_EQ(c.token_count, t->count(std::string_view(text).substr(c.start, c.end - c.start)));
        ASSERT_LE(c.start, covered);
        rebuilt += text.substr(covered, c.end - covered);
        covered = c.end;
    }
    EXPECT_EQ(rebuilt, text);
}

TEST(SentencePiece, RefusesBrokenModelsAndOtherFiles) {
    const std::string &model = trained_model("unigram");
    EXPECT_THROW(clara::load_tokenizer(model.substr(0, model.size() / 2)), clara::TokenizerError);
    EXPECT_THROW(clara::SentencePieceTokenizer::from_model("not a model"), clara::TokenizerError);
    EXPECT_THROW(clara::load_tokenizer(std::string("\x01\x02\x03garbage", 10)), clara::TokenizerError);
    EXPECT_THROW(clara::load_tokenizer("GNU GENERAL PUBLIC LICENSE\nVersion 3\n"), clara::TokenizerError);
    EXPECT_THROW(clara::load_tokenizer("   \n"), clara::TokenizerError);
    EXPECT_EQ(clara::sentencepiece_model_type("\x0A\x09<unk>"), nullptr);  // a length past the end
}
