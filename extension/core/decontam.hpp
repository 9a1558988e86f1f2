// Decontamination: word n-grams of evaluation texts, kept as 64-bit hashes,
// and the check of a document against them. Pure C++17: no PostgreSQL
// headers. Design: docs/training.md#decontamination.
//
// Words are dedup's (word_hashes in dedup.hpp: NFC, runs of word characters
// as the tokenizer sees them, markup skipped, lower-cased, not stemmed, stop
// words kept). A gram is n consecutive words (13 by default, as in GPT-3's
// and NeMo Curator's task decontamination); a text of 1..n-1 words is one
// gram of all its words, so a short evaluation item still counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace clara {

constexpr uint32_t kDefaultGramWords = 13;
constexpr uint32_t kMaxGramWords = 64;

// The hashes of text's grams of n words (1 <= n <= kMaxGramWords), in text
// order, repeats included, appended to out (cleared first). words is
// scratch, reused across calls.
void gram_hashes(std::string_view text, uint32_t n, std::vector<uint64_t> &out, std::vector<uint64_t> &words);

// A set of gram hashes: a sorted vector, 8 bytes a gram, binary search.
class GramSet {
public:
    void reserve(size_t n) { grams_.reserve(n); }
    void add(uint64_t gram) {
        grams_.push_back(gram);
        sorted_ = false;
    }
    // Sorts and removes repeats; contains() and overlap() need it.
    void finish();
    bool contains(uint64_t gram) const;
    // Distinct grams of grams in the set (grams is overwritten).
    size_t overlap(std::vector<uint64_t> &grams) const;
    size_t size() const { return grams_.size(); }
    bool empty() const { return grams_.empty(); }

private:
    std::vector<uint64_t> grams_;
    bool sorted_ = true;
};

}  // namespace clara
