#include "merge.hpp"

#include "ngram.hpp"

#include <algorithm>
#include <numeric>

namespace clara {

std::vector<size_t> blocks_to_merge(const std::vector<uint64_t> &sizes) {
    if (sizes.size() < 2) return {};
    std::vector<size_t> order(sizes.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] < sizes[b]; });
    size_t take = 2;
    uint64_t smaller = sizes[order[0]];  // sum of the blocks before order[i]
    for (size_t i = 1; i < order.size(); ++i) {
        if (sizes[order[i]] <= smaller) take = i + 1;
        smaller += sizes[order[i]];
    }
    order.resize(take);
    return order;
}

bool merge_gram_blocks(const std::vector<std::string_view> &blocks, std::vector<std::string> &out) {
    out.clear();
    // (doc_key, posting byte) of every posting, sorted by key.
    std::vector<uint64_t> postings;
    for (std::string_view b : blocks) {
        const auto *bytes = reinterpret_cast<const unsigned char *>(b.data());
        uint32_t count = 0;
        if (!gram_block_count(bytes, b.size(), &count)) return false;
        postings.reserve(postings.size() + count);
        const bool ok = decode_gram_block(bytes, b.size(), [&](uint32_t key, uint32_t tf, uint32_t bucket) {
            postings.push_back(uint64_t(key) << 8 | ((tf - 1) << 5 | bucket));
        });
        if (!ok) return false;
    }
    std::sort(postings.begin(), postings.end());
    GramBlockWriter writer;
    auto finish = [&] {
        out.emplace_back();
        writer.finish(out.back());
    };
    for (uint64_t p : postings) {
        // The writer takes a length and buckets it: a bucket's own length
        // maps back to that bucket.
        const uint32_t byte = static_cast<uint32_t>(p & 0xFF);
        GramPosting posting{static_cast<uint32_t>(p >> 8), (byte >> 5) + 1, kGramLengths[byte & 31]};
        if (!writer.add(posting)) {
            finish();
            writer.add(posting);
        }
    }
    if (!writer.empty()) finish();
    return true;
}

}  // namespace clara
