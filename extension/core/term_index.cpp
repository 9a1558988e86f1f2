#include "term_index.hpp"

#include "hash.hpp"

#include <algorithm>

namespace clara {

void build_term_index(const LexemeList &lexemes, size_t title_end, TermIndex &out) {
    const size_t n = lexemes.size();
    out.terms.clear();
    out.positions.clear();
    out.doc_length = n;
    // Group the occurrences by lexeme (a hash table of distinct lexemes),
    // sort only the distinct lexemes (byte order: string_view compares like
    // memcmp, shorter first on a common prefix, tsvector's order), then lay
    // the occurrences out by rank with a stable counting sort, so each
    // lexeme's occurrences stay in document order. The same order as sorting
    // every occurrence by (lexeme, index), with about one string compare per
    // occurrence instead of log n of them (a load spent 4 % of its time in
    // that sort).
    out.ids.resize(n);
    out.firsts.clear();
    size_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    out.slots.assign(cap, 0);
    const size_t mask = cap - 1;
    for (size_t i = 0; i < n; ++i) {
        const std::string_view lexeme = lexemes[i];
        uint64_t h = hash::kFnvOffset;
        for (unsigned char c : lexeme) h = (h ^ c) * hash::kFnvPrime;
        size_t slot = hash::fmix64(h) & mask;
        for (;;) {
            const uint32_t held = out.slots[slot];
            if (held == 0) {
                out.slots[slot] = static_cast<uint32_t>(out.firsts.size()) + 1;
                out.ids[i] = static_cast<uint32_t>(out.firsts.size());
                out.firsts.push_back(static_cast<uint32_t>(i));
                break;
            }
            if (lexemes[out.firsts[held - 1]] == lexeme) {
                out.ids[i] = held - 1;
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    const size_t distinct = out.firsts.size();
    out.ranks.resize(distinct);
    for (size_t d = 0; d < distinct; ++d) out.ranks[d] = static_cast<uint32_t>(d);
    std::sort(out.ranks.begin(), out.ranks.end(),
              [&](uint32_t a, uint32_t b) { return lexemes[out.firsts[a]] < lexemes[out.firsts[b]]; });
    // starts[id]: occurrences counted per id, then turned into where each
    // id's occurrences begin in rank order.
    out.starts.assign(distinct, 0);
    for (size_t i = 0; i < n; ++i) ++out.starts[out.ids[i]];
    uint32_t at = 0;
    for (size_t r = 0; r < distinct; ++r) {
        const uint32_t id = out.ranks[r];
        const uint32_t count = out.starts[id];
        out.starts[id] = at;
        at += count;
    }
    out.order.resize(n);
    for (size_t i = 0; i < n; ++i) out.order[out.starts[out.ids[i]]++] = static_cast<uint32_t>(i);
    for (size_t i = 0; i < n;) {
        const uint32_t id = out.ids[out.order[i]];
        TermEntry entry{lexemes.lexemes[out.order[i]].offset,
                        static_cast<uint32_t>(lexemes.lexemes[out.order[i]].length), 0,
                        static_cast<uint32_t>(out.positions.size()), 0};
        size_t j = i;
        for (; j < n && out.ids[out.order[j]] == id; ++j) {
            uint32_t index = out.order[j];
            bool title = index < title_end;
            uint32_t pos = std::min<uint32_t>(title ? index + 1 : index + 2, kMaxPosition);
            uint16_t encoded = static_cast<uint16_t>((title ? kWeightA : 0) << 14 | pos);
            ++entry.tf;
            if (entry.npos > 0) {
                uint16_t &last = out.positions.back();
                // Positions past the limit collapse into one; keep the higher weight.
                if ((last & 0x3FFF) == pos) {
                    if ((encoded >> 14) > (last >> 14)) last = encoded;
                    continue;
                }
            }
            if (entry.npos < kMaxPositionsPerLexeme) {
                out.positions.push_back(encoded);
                ++entry.npos;
            }
        }
        out.terms.push_back(entry);
        i = j;
    }
}

}  // namespace clara
