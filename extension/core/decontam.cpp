// Gram hashes and gram sets. See decontam.hpp.
#include "decontam.hpp"

#include "dedup.hpp"
#include "hash.hpp"

#include <algorithm>
#include <stdexcept>

namespace clara {
namespace {

using hash::fmix64;
constexpr uint64_t kGramPrime = 0x9E3779B97F4A7C15ull;

// The polynomial sum of count words from first (position matters: "a b" !=
// "b a"), mod 2^64; a window of n words rolls along in O(1) per word.
inline uint64_t poly_of(const uint64_t *first, uint32_t count) {
    uint64_t h = 0;
    for (uint32_t k = 0; k < count; k++) h = h * kGramPrime + first[k];
    return h;
}

// A gram's hash: its polynomial, salted with its length, mixed.
inline uint64_t gram_hash(uint64_t poly, uint32_t count) { return fmix64(poly ^ (static_cast<uint64_t>(count) << 56)); }

}  // namespace

void gram_hashes(std::string_view text, uint32_t n, std::vector<uint64_t> &out, std::vector<uint64_t> &words) {
    if (n == 0 || n > kMaxGramWords) throw std::invalid_argument("gram length out of range");
    out.clear();
    word_hashes(text, words);
    if (words.empty()) return;
    if (words.size() < n) {
        const auto count = static_cast<uint32_t>(words.size());
        out.push_back(gram_hash(poly_of(words.data(), count), count));
        return;
    }
    out.reserve(words.size() - n + 1);
    uint64_t top = 1;  // kGramPrime^(n-1): the weight of the word leaving the window
    for (uint32_t k = 1; k < n; k++) top *= kGramPrime;
    uint64_t h = poly_of(words.data(), n);
    out.push_back(gram_hash(h, n));
    for (size_t i = n; i < words.size(); i++) {
        h = (h - words[i - n] * top) * kGramPrime + words[i];
        out.push_back(gram_hash(h, n));
    }
}

void GramSet::finish() {
    if (sorted_) return;
    std::sort(grams_.begin(), grams_.end());
    grams_.erase(std::unique(grams_.begin(), grams_.end()), grams_.end());
    grams_.shrink_to_fit();
    sorted_ = true;
}

bool GramSet::contains(uint64_t gram) const {
    if (!sorted_) throw std::logic_error("GramSet used before finish()");
    return std::binary_search(grams_.begin(), grams_.end(), gram);
}

size_t GramSet::overlap(std::vector<uint64_t> &grams) const {
    if (grams_.empty() || grams.empty()) return 0;
    if (!sorted_) throw std::logic_error("GramSet used before finish()");
    // Keep only the hits (usually none), then count them once each: no sort
    // of a clean document's grams.
    size_t hits = 0;
    for (uint64_t g : grams)
        if (std::binary_search(grams_.begin(), grams_.end(), g)) grams[hits++] = g;
    grams.resize(hits);
    std::sort(grams.begin(), grams.end());
    return static_cast<size_t>(std::unique(grams.begin(), grams.end()) - grams.begin());
}

}  // namespace clara
