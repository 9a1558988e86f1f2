#include "chunk.hpp"

#include <algorithm>
#include <cstring>

namespace clara {

namespace {

bool char_boundary(std::string_view text, uint32_t p) {
    return p == 0 || p >= text.size() || (static_cast<unsigned char>(text[p]) & 0xC0) != 0x80;
}

bool starts_with(std::string_view text, uint32_t p, const char *prefix) {
    size_t n = std::strlen(prefix);
    return text.size() - p >= n && text.compare(p, n, prefix) == 0;
}

// How good a cut between text[p - 1] and text[p] is: 3 paragraph or legal
// heading, 2 line or sentence end, 1 white space, 0 anything else.
int cut_level(std::string_view text, uint32_t p) {
    if (p == 0 || p >= text.size()) return 3;
    const char prev = text[p - 1], cur = text[p];
    if (prev == '\n') {
        if (p >= 2 && (text[p - 2] == '\n' || (text[p - 2] == '\r' && p >= 3 && text[p - 3] == '\n'))) return 3;
        for (const char *heading : {"\xC2\xA7", "Art. ", "Artikel ", "Abs. "})
            if (starts_with(text, p, heading)) return 3;
        return 2;
    }
    // Before a line break: the same cut, the break going with the next chunk
    // (where the tokens carry their leading white space).
    if (cur == '\n' || (cur == '\r' && p + 1 < text.size() && text[p + 1] == '\n')) {
        uint32_t next_line = cur == '\n' ? p + 1 : p + 2;
        if (next_line < text.size() && (text[next_line] == '\n' || text[next_line] == '\r')) return 3;
        for (const char *heading : {"\xC2\xA7", "Art. ", "Artikel ", "Abs. "})
            if (starts_with(text, next_line, heading)) return 3;
        return 2;
    }
    const bool space = cur == ' ' || cur == '\t' || cur == '\r';
    if (space && (prev == '.' || prev == '!' || prev == '?')) return 2;
    if (space || prev == ' ' || prev == '\t') return 1;
    return 0;
}

}  // namespace

uint32_t code_points_before(std::string_view text, uint32_t byte_offset) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < byte_offset && i < text.size(); i++)
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) n++;
    return n;
}

namespace {

// Fills char_start / char_end: starts and ends both ascend, one walk each.
void add_code_point_offsets(std::string_view text, std::vector<TextChunk> &chunks) {
    uint32_t byte = 0, cp = 0;
    for (TextChunk &c : chunks) {
        cp += code_points_before(text.substr(byte), c.start - byte);
        byte = c.start;
        c.char_start = cp;
    }
    byte = 0;
    cp = 0;
    for (TextChunk &c : chunks) {
        cp += code_points_before(text.substr(byte), c.end - byte);
        byte = c.end;
        c.char_end = cp;
    }
}

std::vector<TextChunk> cut(std::string_view text, uint32_t max_tokens, uint32_t overlap, const TokenCounter &count,
                           const TokenEnds &ends);

}  // namespace

std::vector<TextChunk> chunk_text(std::string_view text, uint32_t max_tokens, uint32_t overlap,
                                  const TokenCounter &count, const TokenEnds &ends) {
    std::vector<TextChunk> chunks = cut(text, max_tokens, overlap, count, ends);
    add_code_point_offsets(text, chunks);
    return chunks;
}

namespace {

std::vector<TextChunk> cut(std::string_view text, uint32_t max_tokens, uint32_t overlap, const TokenCounter &count,
                           const TokenEnds &ends) {
    std::vector<TextChunk> out;
    if (text.empty()) return out;
    std::vector<uint32_t> te;  // where each token of the whole text ends
    ends(text, te);
    const size_t total = te.size();
    const uint32_t n = static_cast<uint32_t>(text.size());
    // The whole text's ends are its tokens (one end per token): a text that
    // fits is one chunk without counting it again.
    if (total <= max_tokens) {
        out.push_back(TextChunk{0, n, static_cast<uint32_t>(total), 0, 0});
        return out;
    }
    uint32_t start = 0;
    size_t k0 = 0;      // first token after start
    size_t prev_k = 0;  // the previous chunk's last token (0: none yet)
    bool first = true;
    for (;;) {
        // What is left fits: the last chunk.
        if (total - k0 <= max_tokens) {
            size_t alone = count(text.substr(start));
            if (alone <= max_tokens) {
                out.push_back(TextChunk{start, n, static_cast<uint32_t>(alone), 0, 0});
                return out;
            }
        }
        // The cut: the best level in the second half of the budget, latest first.
        size_t hi = std::min(total - 1, k0 + max_tokens - 1);
        size_t lo = std::max(k0 + max_tokens / 2 - 1, first ? k0 : prev_k + 1);
        if (lo > hi) lo = hi;
        size_t best = SIZE_MAX;
        int best_level = -1;
        for (size_t k = hi + 1; k-- > lo;) {
            uint32_t p = te[k];
            if (!char_boundary(text, p)) continue;
            int level = cut_level(text, p);
            if (level > best_level) {
                best_level = level;
                best = k;
                if (level == 3) break;
            }
        }
        if (best == SIZE_MAX) {  // no character boundary in the window: the first one before it
            for (size_t k = lo; k-- > k0;)
                if (char_boundary(text, te[k])) {
                    best = k;
                    break;
                }
            if (best == SIZE_MAX) best = hi;  // cannot happen with max_tokens >= kMinChunkTokens
        }
        // The chunk's own count decides; step back while it is over budget.
        size_t c = count(text.substr(start, te[best] - start));
        while (c > max_tokens && best > k0) {
            do {
                best--;
            } while (best > k0 && !char_boundary(text, te[best]));
            c = count(text.substr(start, te[best] - start));
        }
        const uint32_t end = te[best];
        out.push_back(TextChunk{start, end, static_cast<uint32_t>(c), 0, 0});
        if (end >= n) return out;
        // The next chunk: `overlap` tokens back from the cut, at white space
        // if one is near (a quarter of the overlap, at most 8 tokens).
        size_t next_k = best;  // index of the token ending where the next chunk starts
        if (overlap > 0 && best + 1 > overlap) {
            size_t target = best + 1 - overlap;
            size_t slack = std::min<size_t>(8, overlap / 4);
            size_t chosen = SIZE_MAX;
            for (size_t d = 0; d <= slack && chosen == SIZE_MAX; d++)
                for (size_t k : {target - std::min(d, target), target + d})
                    if (k > k0 && k < best && char_boundary(text, te[k]) && cut_level(text, te[k]) >= 1) {
                        chosen = k;
                        break;
                    }
            for (size_t k = target; chosen == SIZE_MAX && k < best; k++)
                if (k > k0 && char_boundary(text, te[k])) chosen = k;
            if (chosen != SIZE_MAX) next_k = chosen;
        }
        start = te[next_k];
        k0 = next_k + 1;
        prev_k = best;
        first = false;
    }
}

}  // namespace

}  // namespace clara
