// Merging a postings list's blocks on write (issue 13, automatic merging).
//
// Every loading statement appends one block per term (and per gram) it
// touches, so a term written by many small statements is spread over many
// rows, and every query reading it pays a row (and a TOAST fetch) per block.
// When a term's statement sees that the term holds kMergeBlocks blocks or
// more, it merges some of them into one, choosing them by size as below.
// Merging is size-tiered: a block is rewritten only into one at least twice
// as large, so each posting is rewritten at most log2(postings) times and
// a term keeps O(log postings) blocks, without any manual step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

// A term is merged when a statement leaves it with this many blocks or more
// (the default of clara.index_merge_blocks).
constexpr int kDefaultMergeBlocks = 16;

// Which blocks of one postings list to merge, given their sizes in bytes:
// indexes into sizes. In size order, the longest run of the smallest blocks
// whose largest is at most the sum of the others (so the merged block is at
// least twice as large as any block in it); at least the two smallest
// (fewer than two blocks: none).
std::vector<size_t> blocks_to_merge(const std::vector<uint64_t> &sizes);

// Merges gram blocks (ngram.hpp's format) into blocks with ascending keys:
// one block unless a document key occurs in more than one input block (it
// then starts another, as GramPostingsBuilder does). False if an input block
// is malformed (out is then unspecified).
bool merge_gram_blocks(const std::vector<std::string_view> &blocks, std::vector<std::string> &out);

}  // namespace clara
