#include "pending_row.hpp"

#include <algorithm>

namespace clara {

namespace {

void put_u32(std::string &out, uint32_t v) {
    const char b[4] = {static_cast<char>(v & 0xFF), static_cast<char>(v >> 8 & 0xFF), static_cast<char>(v >> 16 & 0xFF),
                       static_cast<char>(v >> 24 & 0xFF)};
    out.append(b, 4);
}

char capped_byte(uint32_t v) { return static_cast<char>(std::min<uint32_t>(v, 255)); }

}  // namespace

bool encode_pending(std::vector<PendingTerm> &terms, std::vector<GramCount> &grams, uint32_t doc_length,
                    uint32_t lead_length, std::string &out) {
    auto by_term = [](const PendingTerm &a, const PendingTerm &b) { return a.term < b.term; };
    if (!std::is_sorted(terms.begin(), terms.end(), by_term)) std::sort(terms.begin(), terms.end(), by_term);
    std::sort(grams.begin(), grams.end(), [](const GramCount &a, const GramCount &b) { return a.gram < b.gram; });
    size_t size = kPendingHeader + 5 * grams.size();
    for (const PendingTerm &t : terms) {
        if (t.term.size() > kMaxPendingTerm) return false;
        size += 7 + t.term.size();
    }
    out.clear();
    out.reserve(size);
    put_u32(out, kPendingMagic);
    put_u32(out, doc_length);
    put_u32(out, lead_length);
    put_u32(out, static_cast<uint32_t>(terms.size()));
    put_u32(out, static_cast<uint32_t>(grams.size()));
    for (const GramCount &g : grams) {
        put_u32(out, g.gram);
        out.push_back(capped_byte(g.tf));
    }
    for (const PendingTerm &t : terms) {
        out.push_back(static_cast<char>(t.term.size() & 0xFF));
        out.push_back(static_cast<char>(t.term.size() >> 8));
        out.append(t.term);
        put_u32(out, t.tf);
        out.push_back(capped_byte(t.title_tf));
    }
    return true;
}

bool PendingView::parse(const unsigned char *data, size_t len) {
    if (len < kPendingHeader || pending_u32(data) != kPendingMagic) return false;
    doc_length_ = pending_u32(data + 4);
    lead_length_ = pending_u32(data + 8);
    nterms_ = pending_u32(data + 12);
    ngrams_ = pending_u32(data + 16);
    const size_t rest = len - kPendingHeader;
    if (ngrams_ > rest / 5) return false;
    grams_ = data + kPendingHeader;
    terms_ = grams_ + size_t(5) * ngrams_;
    // Walk the terms once: every length must stay inside the row.
    const unsigned char *p = terms_;
    const unsigned char *end = data + len;
    for (uint32_t i = 0; i < nterms_; ++i) {
        if (end - p < 2) return false;
        const size_t tlen = static_cast<size_t>(p[0]) | static_cast<size_t>(p[1]) << 8;
        if (static_cast<size_t>(end - p) < 7 + tlen) return false;
        p += 7 + tlen;
    }
    return p == end;
}

}  // namespace clara
