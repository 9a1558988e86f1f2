// One document's lexemes turned into what the index stores: each distinct
// lexeme once, in byte order (tsvector's order), with its exact frequency and
// its positions in tsvector's encoding. Pure C++: no PostgreSQL headers.
#pragma once

#include "tokenizer.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace clara {

// tsvector limits: positions are 14 bits (1..16383) and a lexeme keeps at
// most 256 of them; the 2 high bits carry the weight (3 = A ... 0 = D).
constexpr uint32_t kMaxPosition = 16383;
constexpr uint32_t kMaxPositionsPerLexeme = 256;
constexpr uint16_t kWeightA = 3;

struct TermEntry {
    uint32_t offset;  // lexeme bytes in the LexemeList arena
    uint32_t length;
    uint32_t tf;         // every occurrence, uncapped
    uint32_t first_pos;  // index into TermIndex::positions
    uint32_t npos;       // <= kMaxPositionsPerLexeme
};

struct TermIndex {
    std::vector<TermEntry> terms;
    std::vector<uint16_t> positions;  // weight << 14 | position, ascending per term
    size_t doc_length = 0;            // number of tokens
    // scratch (kept between documents, so a load allocates once)
    std::vector<uint32_t> order;   // occurrences grouped by term, in byte order
    std::vector<uint32_t> ids;     // each occurrence's distinct-lexeme id
    std::vector<uint32_t> firsts;  // each distinct lexeme's first occurrence
    std::vector<uint32_t> slots;   // open-addressing table: id + 1, 0 empty
    std::vector<uint32_t> starts;  // per id, then per rank: where its occurrences go
    std::vector<uint32_t> ranks;   // distinct ids in byte order of their lexemes
};

// Builds the index of lexemes[0..n). Lexemes before title_end are title words
// (weight A, positions 1..title_end); the rest follow after a gap of one.
void build_term_index(const LexemeList &lexemes, size_t title_end, TermIndex &out);

}  // namespace clara
