#include "term_index.hpp"

#include <algorithm>

namespace clara {

void build_term_index(const LexemeList &lexemes, size_t title_end, TermIndex &out) {
    const size_t n = lexemes.size();
    out.terms.clear();
    out.positions.clear();
    out.doc_length = n;
    out.order.resize(n);
    for (size_t i = 0; i < n; ++i) out.order[i] = static_cast<uint32_t>(i);
    // Byte order of the lexemes (string_view compares like memcmp, shorter
    // first on a common prefix: tsvector's order), then occurrence order.
    std::sort(out.order.begin(), out.order.end(), [&](uint32_t a, uint32_t b) {
        int c = lexemes[a].compare(lexemes[b]);
        return c != 0 ? c < 0 : a < b;
    });
    for (size_t i = 0; i < n;) {
        const std::string_view lexeme = lexemes[out.order[i]];
        TermEntry entry{lexemes.lexemes[out.order[i]].offset, static_cast<uint32_t>(lexeme.size()), 0,
                        static_cast<uint32_t>(out.positions.size()), 0};
        size_t j = i;
        for (; j < n && lexemes[out.order[j]] == lexeme; ++j) {
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
