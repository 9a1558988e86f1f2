// The pending list's row format: one small statement's new document, with
// everything the retrievers read from the index (its terms with their
// frequencies, its length, its lead's grams), so searches score it as if it
// were indexed until a flush moves it into the postings (docs/limits.md,
// "Pending list"). Pure C++17: no PostgreSQL headers.
//
// Layout (little-endian, unaligned):
//   uint32 kPendingMagic, uint32 doc_length, uint32 lead_length (grams,
//   repeats included), uint32 nterms, uint32 ngrams;
//   ngrams x (uint32 gram, uint8 tf capped at 255), ascending by gram;
//   ceil(nterms / kPendingTermGroup) x (uint64 the first 8 bytes of the
//   group's first term, zero-padded, big-endian; uint32 where the group
//   starts in the term entries), then uint32 the entries' size;
//   nterms x (uint16 length, the term's bytes, uint32 tf, uint8 title tf
//   capped at 255), ascending bytewise (tsvector's order).
// The caps keep more than the postings do (kMaxPostingTf, kMaxGramTf), so
// a posting built from a pending row equals the one the indexer writes.
// The group directory lets a search find its few terms by binary search
// over the groups and a short walk in one, without reading (or checking)
// the row's other terms: every search reads every pending row, and the
// full merge over ~300 terms per row was most of its cost. The prefixes
// keep that search in the directory's few cache lines: a row is read
// from memory once per search, so lines touched, not comparisons, count.
#pragma once

#include "ngram.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

constexpr uint32_t kPendingMagic = 0x32504C43;  // "CLP2"
constexpr size_t kPendingHeader = 20;
constexpr size_t kMaxPendingTerm = 0xFFFF;
constexpr uint32_t kPendingTermGroup = 16;

struct PendingTerm {
    std::string_view term;
    uint32_t tf;
    uint32_t title_tf;
};

// Encodes one document into out (replacing it). Terms must be distinct and
// no longer than kMaxPendingTerm bytes (tsvector's lexemes are at most 2 KB);
// they and the grams are sorted here. Returns false for a term too long.
bool encode_pending(std::vector<PendingTerm> &terms, std::vector<GramCount> &grams, uint32_t doc_length,
                    uint32_t lead_length, std::string &out);

// A read-only view of one encoded row.
class PendingView {
public:
    // false if the bytes are not a well-formed row; checks every term (a
    // flush, which reads them all).
    bool parse(const unsigned char *data, size_t len);
    // The same for a search, which reads a few terms: checks the header,
    // the group directory and the last group only, so every cut or padded
    // row fails here; the terms a search reaches are checked as it reads
    // them (match_terms).
    bool open(const unsigned char *data, size_t len);
    uint32_t doc_length() const { return doc_length_; }
    uint32_t lead_length() const { return lead_length_; }
    uint32_t term_count() const { return nterms_; }
    uint32_t gram_count() const { return ngrams_; }

    // For each query term (query sorted bytewise, distinct) the document
    // holds: visit(query index, tf, title_tf). Per query term a binary
    // search over the groups, then a walk in one. false if a term entry it
    // reads is damaged (then some terms may have been visited).
    template <class Visit>
    bool match_terms(const std::vector<std::string_view> &query, Visit &&visit) const;
    // For each query gram (ascending, distinct) the document's lead holds:
    // visit(query index, tf).
    template <class Visit>
    void match_grams(const std::vector<uint32_t> &query, Visit &&visit) const;
    // Every term and gram, in stored order (a flush indexes them).
    template <class Visit>
    void each_term(Visit &&visit) const;
    template <class Visit>
    void each_gram(Visit &&visit) const;

private:
    // The term entry at offset `at` of the entries: its term and where its
    // tf follows; false if it does not fit in the entries.
    bool entry(size_t at, std::string_view *term, size_t *stats) const;
    uint32_t group_start(uint32_t g) const;
    uint64_t group_prefix(uint32_t g) const;

    const unsigned char *grams_ = nullptr;
    const unsigned char *groups_ = nullptr;
    const unsigned char *terms_ = nullptr;
    size_t terms_size_ = 0;
    uint32_t doc_length_ = 0, lead_length_ = 0, nterms_ = 0, ngrams_ = 0, ngroups_ = 0;
};

// --- inline definitions -----------------------------------------------------

inline uint32_t pending_u32(const unsigned char *p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
           static_cast<uint32_t>(p[3]) << 24;
}

template <class Visit>
void PendingView::each_term(Visit &&visit) const {
    const unsigned char *p = terms_;
    for (uint32_t i = 0; i < nterms_; ++i) {
        const size_t len = static_cast<size_t>(p[0]) | static_cast<size_t>(p[1]) << 8;
        const std::string_view term(reinterpret_cast<const char *>(p + 2), len);
        p += 2 + len;
        visit(term, pending_u32(p), static_cast<uint32_t>(p[4]));
        p += 5;
    }
}

template <class Visit>
void PendingView::each_gram(Visit &&visit) const {
    for (uint32_t i = 0; i < ngrams_; ++i)
        visit(pending_u32(grams_ + size_t(5) * i), static_cast<uint32_t>(grams_[size_t(5) * i + 4]));
}

// The first 8 bytes of a term, zero-padded, as a number that orders as
// the bytes do (lexemes hold no zero byte).
inline uint64_t pending_prefix(std::string_view term) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i)
        v = v << 8 | (i < term.size() ? static_cast<uint64_t>(static_cast<unsigned char>(term[i])) : 0);
    return v;
}

inline uint64_t PendingView::group_prefix(uint32_t g) const {
    const unsigned char *p = groups_ + size_t(12) * g;
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = v << 8 | p[i];
    return v;
}

inline uint32_t PendingView::group_start(uint32_t g) const { return pending_u32(groups_ + size_t(12) * g + 8); }

inline bool PendingView::entry(size_t at, std::string_view *term, size_t *stats) const {
    if (at > terms_size_ || terms_size_ - at < 7) return false;
    const size_t len = static_cast<size_t>(terms_[at]) | static_cast<size_t>(terms_[at + 1]) << 8;
    if (terms_size_ - at - 7 < len) return false;
    *term = std::string_view(reinterpret_cast<const char *>(terms_ + at + 2), len);
    *stats = at + 2 + len;
    return true;
}

template <class Visit>
bool PendingView::match_terms(const std::vector<std::string_view> &query, Visit &&visit) const {
    uint32_t lo = 0;  // groups before lo hold only terms below the current query term
    for (size_t q = 0; q < query.size() && lo < ngroups_; ++q) {
        // The last group whose first term is <= query[q]; the whole first
        // term is read only when the prefixes tie.
        const uint64_t prefix = pending_prefix(query[q]);
        uint32_t a = lo, b = ngroups_;
        while (b - a > 1) {
            const uint32_t mid = a + (b - a) / 2;
            const uint64_t first_prefix = group_prefix(mid);
            bool below = first_prefix < prefix;
            if (first_prefix == prefix) {
                std::string_view first;
                size_t stats;
                if (!entry(group_start(mid), &first, &stats)) return false;
                below = first <= query[q];
            }
            (below ? a : b) = mid;
        }
        lo = a;
        size_t at = group_start(a);
        const size_t end = std::min<size_t>(nterms_, (size_t(a) + 1) * kPendingTermGroup);
        for (size_t i = size_t(a) * kPendingTermGroup; i < end; ++i) {
            std::string_view term;
            size_t stats;
            if (!entry(at, &term, &stats)) return false;
            if (term >= query[q]) {
                if (term == query[q]) visit(q, pending_u32(terms_ + stats), static_cast<uint32_t>(terms_[stats + 4]));
                break;
            }
            at = stats + 5;
        }
    }
    return true;
}

template <class Visit>
void PendingView::match_grams(const std::vector<uint32_t> &query, Visit &&visit) const {
    size_t q = 0;
    for (uint32_t i = 0; i < ngrams_ && q < query.size(); ++i) {
        const uint32_t gram = pending_u32(grams_ + size_t(5) * i);
        while (q < query.size() && query[q] < gram) ++q;
        if (q < query.size() && query[q] == gram) visit(q++, static_cast<uint32_t>(grams_[size_t(5) * i + 4]));
    }
}

}  // namespace clara
