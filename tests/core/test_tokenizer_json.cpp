// Reading tokenizer.json with the vocabulary and merges as lists, the rest
// as a DOM (core/tokenizer_json.hpp).
#include "model_tokenizer.hpp"
#include "tokenizer_json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string refusal(const std::string &file) {
    try {
        clara::TokenizerJson f;
        clara::read_tokenizer_json(file, f);
    } catch (const clara::TokenizerError &e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(TokenizerJson, VocabularyAndMergesAsListsTheRestAsDocument) {
    clara::TokenizerJson f;
    clara::read_tokenizer_json(R"({
        "version": "1.0", "added_tokens": [{"id": 5, "content": "<s>", "special": true}],
        "normalizer": {"type": "NFC"},
        "model": {"type": "BPE", "ignore_merges": true,
                  "vocab": {"a": 0, "b": 1, "ab": 2, "a": 3},
                  "merges": ["a b", ["ab", "b"], "a  b"],
                  "extra": {"vocab": {"x": 1}, "merges": ["x y"]}}})",
                               f);
    ASSERT_TRUE(f.has_vocab);
    ASSERT_TRUE(f.has_merges);
    ASSERT_EQ(f.vocab.size(), 4u);  // in file order, the repeated key too
    EXPECT_EQ(f.text(f.vocab[2].token), "ab");
    EXPECT_EQ(f.vocab[2].id, 2u);
    EXPECT_EQ(f.text(f.vocab[3].token), "a");
    EXPECT_EQ(f.vocab[3].id, 3u);
    ASSERT_EQ(f.merges.size(), 3u);
    EXPECT_EQ(f.text(f.merges[0].left), "a");
    EXPECT_EQ(f.text(f.merges[0].right), "b");
    EXPECT_EQ(f.text(f.merges[1].left), "ab");
    EXPECT_EQ(f.text(f.merges[1].right), "b");
    EXPECT_EQ(f.text(f.merges[2].right), " b");  // split at the first space after the first character
    // The rest is a document; model.vocab and model.merges are there, empty;
    // a "vocab" anywhere else is plain JSON.
    EXPECT_EQ(f.doc.at("normalizer").at("type"), "NFC");
    EXPECT_EQ(f.doc.at("added_tokens").at(0).at("content"), "<s>");
    EXPECT_EQ(f.doc.at("model").at("type"), "BPE");
    EXPECT_EQ(f.doc.at("model").at("ignore_merges"), true);
    EXPECT_TRUE(f.doc.at("model").at("vocab").empty());
    EXPECT_TRUE(f.doc.at("model").at("merges").empty());
    EXPECT_EQ(f.doc.at("model").at("extra").at("vocab").at("x"), 1);
    EXPECT_EQ(f.doc.at("model").at("extra").at("merges").at(0), "x y");
}

TEST(TokenizerJson, AVocabularyThatIsNoObjectStaysInTheDocument) {
    // A Unigram model's vocab is an array of [piece, score]: the reader
    // leaves it to the caller, which refuses the model type by name.
    clara::TokenizerJson f;
    clara::read_tokenizer_json(R"({"model": {"type": "Unigram", "vocab": [["a", -1.5], ["b", -2.0]]}})", f);
    EXPECT_FALSE(f.has_vocab);
    EXPECT_FALSE(f.has_merges);
    EXPECT_EQ(f.doc.at("model").at("vocab").size(), 2u);
}

TEST(TokenizerJson, RefusesWhatItCannotRead) {
    EXPECT_NE(refusal("{not json").find("not valid JSON"), std::string::npos);
    EXPECT_NE(refusal(R"({"model": {}} trailing)").find("not valid JSON"), std::string::npos);
    const std::string id = "a vocab id is not a number below 2^31";
    EXPECT_NE(refusal(R"({"model": {"vocab": {"a": -1}}})").find(id), std::string::npos);
    EXPECT_NE(refusal(R"({"model": {"vocab": {"a": 2147483648}}})").find(id), std::string::npos);
    EXPECT_NE(refusal(R"({"model": {"vocab": {"a": "1"}}})").find(id), std::string::npos);
    EXPECT_NE(refusal(R"({"model": {"vocab": {"a": [1]}}})").find(id), std::string::npos);
    EXPECT_EQ(refusal(R"({"model": {"vocab": {"a": 2147483647}}})"), "");
    const std::string merge = "a merge is neither";
    EXPECT_NE(refusal(R"({"model": {"merges": [1]}})").find(merge), std::string::npos);
    EXPECT_NE(refusal(R"({"model": {"merges": [["a"]]}})").find(merge), std::string::npos);
    EXPECT_NE(refusal(R"({"model": {"merges": [["a", "b", "c"]]}})").find(merge), std::string::npos);
    EXPECT_NE(refusal(R"({"model": {"merges": [["a", ["b"]]]}})").find(merge), std::string::npos);
    EXPECT_NE(refusal(R"({"model": {"merges": [{"a": "b"}]}})").find(merge), std::string::npos);
    EXPECT_NE(refusal(R"({"model": {"merges": ["ab"]}})").find("has no space"), std::string::npos);
    // Nesting: 64 levels are read, 65 refused (a DOM's recursion would
    // otherwise run deep on a hostile file).
    EXPECT_EQ(refusal(std::string(63, '[') + std::string(63, ']')), "");
    EXPECT_EQ(refusal(std::string(64, '[') + std::string(64, ']')), "");
    EXPECT_NE(refusal(std::string(65, '[') + std::string(65, ']')).find("nests deeper than 64"), std::string::npos);
    EXPECT_NE(refusal(std::string(100000, '[')).find("nests deeper than 64"), std::string::npos);
}
