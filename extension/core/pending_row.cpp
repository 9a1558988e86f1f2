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
    const size_t ngroups = (terms.size() + kPendingTermGroup - 1) / kPendingTermGroup;
    size_t size = kPendingHeader + 5 * grams.size() + 12 * ngroups + 4;
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
    size_t at = 0;  // offset of the next term entry
    for (size_t i = 0; i < terms.size(); ++i) {
        if (i % kPendingTermGroup == 0) {
            const uint64_t prefix = pending_prefix(terms[i].term);
            for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(prefix >> shift & 0xFF));
            put_u32(out, static_cast<uint32_t>(at));
        }
        at += 7 + terms[i].term.size();
    }
    put_u32(out, static_cast<uint32_t>(at));
    for (const PendingTerm &t : terms) {
        out.push_back(static_cast<char>(t.term.size() & 0xFF));
        out.push_back(static_cast<char>(t.term.size() >> 8));
        out.append(t.term);
        put_u32(out, t.tf);
        out.push_back(capped_byte(t.title_tf));
    }
    return true;
}

bool PendingView::open(const unsigned char *data, size_t len) {
    if (len < kPendingHeader || pending_u32(data) != kPendingMagic) return false;
    doc_length_ = pending_u32(data + 4);
    lead_length_ = pending_u32(data + 8);
    nterms_ = pending_u32(data + 12);
    ngrams_ = pending_u32(data + 16);
    ngroups_ = nterms_ / kPendingTermGroup + (nterms_ % kPendingTermGroup != 0 ? 1 : 0);
    size_t rest = len - kPendingHeader;
    if (ngrams_ > rest / 5) return false;
    rest -= size_t(5) * ngrams_;
    if (rest < 4 || ngroups_ > (rest - 4) / 12) return false;
    grams_ = data + kPendingHeader;
    groups_ = grams_ + size_t(5) * ngrams_;
    terms_ = groups_ + size_t(12) * ngroups_ + 4;
    terms_size_ = rest - size_t(12) * ngroups_ - 4;
    // The stored size of the entries is the row's rest: a cut or padded
    // row fails here.
    if (pending_u32(terms_ - 4) != terms_size_) return false;
    if (nterms_ == 0) return terms_size_ == 0;
    // Groups start at 0 and ascend, each leaving room for its terms.
    if (group_start(0) != 0) return false;
    for (uint32_t g = 1; g < ngroups_; ++g)
        if (group_start(g) < size_t(group_start(g - 1)) + size_t(7) * kPendingTermGroup) return false;
    return group_start(ngroups_ - 1) <= terms_size_;
}

bool PendingView::parse(const unsigned char *data, size_t len) {
    if (!open(data, len)) return false;
    // Every term entry follows the previous one, each group where the
    // directory says.
    size_t at = 0;
    for (uint32_t i = 0; i < nterms_; ++i) {
        std::string_view term;
        size_t stats;
        if (!entry(at, &term, &stats)) return false;
        if (i % kPendingTermGroup == 0 &&
            (group_start(i / kPendingTermGroup) != at || group_prefix(i / kPendingTermGroup) != pending_prefix(term)))
            return false;
        at = stats + 5;
    }
    return at == terms_size_;
}

}  // namespace clara
