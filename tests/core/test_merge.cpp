#include "merge.hpp"
#include "ngram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

namespace {

using clara::blocks_to_merge;

std::vector<uint64_t> chosen_sizes(const std::vector<uint64_t> &sizes) {
    std::vector<uint64_t> out;
    for (size_t i : blocks_to_merge(sizes)) out.push_back(sizes[i]);
    std::sort(out.begin(), out.end());
    return out;
}

TEST(BlocksToMerge, NothingBelowTwoBlocks) {
    EXPECT_TRUE(blocks_to_merge({}).empty());
    EXPECT_TRUE(blocks_to_merge({120}).empty());
}

TEST(BlocksToMerge, EqualBlocksAllMerge) { EXPECT_EQ(chosen_sizes({12, 12, 12, 12, 12, 12, 12, 12}).size(), 8u); }

TEST(BlocksToMerge, ALargeBlockIsLeftAloneUntilTheSmallOnesOutweighIt) {
    // 7 new 12-byte blocks beside 12,000 bytes: only the small ones merge.
    EXPECT_EQ(chosen_sizes({12000, 12, 12, 12, 12, 12, 12, 12}), std::vector<uint64_t>(7, 12));
    // Once the small ones add up to it, it joins them.
    EXPECT_EQ(chosen_sizes({96, 12, 12, 12, 12, 12, 12, 12, 12}).size(), 9u);
}

TEST(BlocksToMerge, GeometricSizesMergeTheTwoSmallest) {
    // No block is at most the sum of the smaller ones: the two smallest.
    EXPECT_EQ(chosen_sizes({12, 48, 192, 768, 3072}), (std::vector<uint64_t>{12, 48}));
}

TEST(BlocksToMerge, IndexesPointAtTheChosenBlocks) {
    std::vector<uint64_t> sizes{500, 10, 9000, 20, 30};
    std::vector<size_t> idx = blocks_to_merge(sizes);
    std::sort(idx.begin(), idx.end());
    EXPECT_EQ(idx, (std::vector<size_t>{1, 3, 4}));  // 10, 20, 30 (500 > 60)
}

// Simulates a term written by many single-row statements with merging at
// the default threshold: blocks stay below it and each posting is rewritten
// fewer than log2(n) times (a threshold of 8 would take 28 rewrites, 16 takes
// 10.4, 32 takes 10.0).
TEST(BlocksToMerge, TrickledWritesKeepFewBlocksAndBoundedRewrites) {
    const int threshold = clara::kDefaultMergeBlocks;
    std::vector<uint64_t> blocks;
    uint64_t written = 0, postings = 0;
    size_t most_blocks = 0;
    for (int statement = 0; statement < 100000; ++statement) {
        blocks.push_back(12);
        postings += 12;
        written += 12;
        if (static_cast<int>(blocks.size()) >= threshold) {
            std::vector<size_t> idx = blocks_to_merge(blocks);
            uint64_t merged = 0;
            for (size_t i : idx) merged += blocks[i];
            std::sort(idx.rbegin(), idx.rend());
            for (size_t i : idx) blocks.erase(blocks.begin() + static_cast<long>(i));
            blocks.push_back(merged);
            written += merged;
        }
        most_blocks = std::max(most_blocks, blocks.size());
    }
    EXPECT_LT(most_blocks, static_cast<size_t>(threshold));
    // Bytes written per byte of postings: log2(100,000) is 16.6.
    const double amplification = static_cast<double>(written) / static_cast<double>(postings);
    EXPECT_LT(amplification, std::log2(100000.0) + 1.0) << amplification;
}

std::string gram_block(const std::vector<clara::GramPosting> &postings) {
    clara::GramBlockWriter w;
    for (const auto &p : postings) EXPECT_TRUE(w.add(p));
    std::string out;
    w.finish(out);
    return out;
}

using Decoded = std::vector<std::tuple<uint32_t, uint32_t, uint32_t>>;

Decoded decode_all(const std::vector<std::string> &blocks) {
    Decoded out;
    for (const auto &b : blocks) {
        const bool ok = clara::decode_gram_block(
            reinterpret_cast<const unsigned char *>(b.data()), b.size(),
            [&](uint32_t k, uint32_t tf, uint32_t bucket) { out.emplace_back(k, tf, bucket); });
        EXPECT_TRUE(ok);
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(MergeGramBlocks, InterleavedKeysBecomeOneAscendingBlock) {
    std::mt19937 rng(7);
    std::vector<std::string> inputs;
    std::vector<uint32_t> keys(300);
    for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<uint32_t>(i * 3 + 1);
    std::shuffle(keys.begin(), keys.end(), rng);
    for (int b = 0; b < 5; ++b) {
        std::vector<clara::GramPosting> ps;
        for (size_t i = static_cast<size_t>(b) * 60; i < static_cast<size_t>(b + 1) * 60; ++i)
            ps.push_back({keys[i], 1 + keys[i] % 8, 4 + keys[i] % 800});
        std::sort(ps.begin(), ps.end(), [](const auto &x, const auto &y) { return x.doc_key < y.doc_key; });
        inputs.push_back(gram_block(ps));
    }
    std::vector<std::string_view> views(inputs.begin(), inputs.end());
    std::vector<std::string> merged;
    ASSERT_TRUE(clara::merge_gram_blocks(views, merged));
    EXPECT_EQ(merged.size(), 1u);
    EXPECT_EQ(decode_all(merged), decode_all(inputs));
    uint32_t count = 0;
    ASSERT_TRUE(
        clara::gram_block_count(reinterpret_cast<const unsigned char *>(merged[0].data()), merged[0].size(), &count));
    EXPECT_EQ(count, 300u);
}

TEST(MergeGramBlocks, ARepeatedKeyStartsAnotherBlockAndNothingIsLost) {
    std::vector<std::string> inputs{gram_block({{5, 1, 10}, {9, 2, 20}}), gram_block({{5, 3, 30}, {7, 1, 4}})};
    std::vector<std::string_view> views(inputs.begin(), inputs.end());
    std::vector<std::string> merged;
    ASSERT_TRUE(clara::merge_gram_blocks(views, merged));
    EXPECT_EQ(merged.size(), 2u);
    EXPECT_EQ(decode_all(merged), decode_all(inputs));
}

TEST(MergeGramBlocks, MalformedInputIsRefused) {
    std::string bad = gram_block({{5, 1, 10}});
    bad.pop_back();
    std::vector<std::string_view> views{bad};
    std::vector<std::string> merged;
    EXPECT_FALSE(clara::merge_gram_blocks(views, merged));
}

}  // namespace
