// Gram hashes and gram sets. See decontam.hpp.
#include "decontam.hpp"

#include "dedup.hpp"

#include <algorithm>
#include <stdexcept>

namespace clara {
namespace {

constexpr uint64_t kGramPrime = 0x9E3779B97F4A7C15ull;

inline uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ull;
    k ^= k >> 33;
    return k;
}

// The hash of count words from first: position matters ("a b" != "b a").
inline uint64_t gram_of(const uint64_t *first, uint32_t count) {
    uint64_t h = count;
    for (uint32_t k = 0; k < count; k++) h = h * kGramPrime + first[k];
    return fmix64(h);
}

}  // namespace

void gram_hashes(std::string_view text, uint32_t n, std::vector<uint64_t> &out, std::vector<uint64_t> &words) {
    if (n == 0 || n > kMaxGramWords) throw std::invalid_argument("gram length out of range");
    out.clear();
    word_hashes(text, words);
    if (words.empty()) return;
    if (words.size() < n) {
        out.push_back(gram_of(words.data(), static_cast<uint32_t>(words.size())));
        return;
    }
    out.reserve(words.size() - n + 1);
    for (size_t i = 0; i + n <= words.size(); i++) out.push_back(gram_of(words.data() + i, n));
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
    std::sort(grams.begin(), grams.end());
    grams.erase(std::unique(grams.begin(), grams.end()), grams.end());
    size_t shared = 0;
    for (uint64_t g : grams) shared += contains(g) ? 1 : 0;
    return shared;
}

}  // namespace clara
