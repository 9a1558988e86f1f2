// Character 4-gram postings and their BM25 scoring. See ngram.hpp.
#include "ngram.hpp"

#include "hash.hpp"
#include "text_classes.hpp"
#include "tokenizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace clara {
namespace {

using namespace clara::text;

// Diacritic folding of the lower-case Latin-1 letters U+00DF..U+00FF: one or
// two ASCII letters each ("" = keep the code point: ÷ is not a letter).
constexpr const char *kFoldLatin1[0x21] = {
    "ss",                                  // DF ß
    "a",  "a",  "a", "a", "a", "a", "ae",  // E0-E6 à á â ã ä å æ
    "c",                                   // E7 ç
    "e",  "e",  "e", "e",                  // E8-EB
    "i",  "i",  "i", "i",                  // EC-EF
    "d",  "n",                             // F0 ð, F1 ñ
    "o",  "o",  "o", "o", "o",             // F2-F6
    "",                                    // F7 ÷
    "o",                                   // F8 ø
    "u",  "u",  "u", "u",                  // F9-FC
    "y",  "th", "y",                       // FD ý, FE þ, FF ÿ
};

constexpr uint32_t kBow = '<';
constexpr uint32_t kEow = '>';
using hash::fmix64;
using hash::kFnvOffset;
using hash::kFnvPrime;

inline void push_folded(std::vector<uint32_t> &cps, uint32_t cp) {
    if (cp >= 0xDF && cp <= 0xFF && kFoldLatin1[cp - 0xDF][0] != '\0') {
        for (const char *f = kFoldLatin1[cp - 0xDF]; *f; ++f) cps.push_back(static_cast<unsigned char>(*f));
    } else {
        cps.push_back(cp);
    }
}

// Stop words are at most this many bytes lower-cased (the longest German
// one, "derselben", has 9); a longer word is never looked up.
constexpr size_t kMaxStopWordBytes = 16;

// Calls on_word(cps) for each word of text that is not a stop word (cps =
// "<" folded code points ">"), stopping before the first word that starts at
// or after max_cps code points (stop words count towards them).
template <class OnWord>
void for_each_word(std::string_view text, size_t max_cps, std::vector<uint32_t> &cps, OnWord &&on_word) {
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    size_t i = 0, consumed = 0;
    // The word lower-cased but not folded, for the stop-word check.
    char lower[kMaxStopWordBytes + 4];
    size_t lower_len = 0;
    auto end_word = [&] {
        if (lower_len > kMaxStopWordBytes || !is_stop_word(std::string_view(lower, lower_len))) {
            cps.push_back(kEow);
            on_word(cps);
        }
        cps.clear();
        lower_len = 0;
    };
    cps.clear();
    while (i < n) {
        const unsigned char c = p[i];
        uint32_t cp;
        size_t len;
        if (c < 0x80) {
            cp = c;
            len = 1;
        } else {
            len = decode_utf8(p + i, n - i, &cp);
        }
        const bool word = c < 0x80 ? kAscii.cls[c] != 0 : (cp != kInvalid && is_word_cp(cp));
        if (word) {
            if (cps.empty()) {
                if (consumed >= max_cps) return;
                cps.push_back(kBow);
            }
            const uint32_t lc = c < 0x80 ? static_cast<unsigned char>(kAscii.lower[c]) : lower_cp(cp);
            push_folded(cps, lc);
            if (lower_len <= kMaxStopWordBytes) lower_len += encode_utf8(lower + lower_len, lc);
            i += len;
            ++consumed;
            continue;
        }
        if (!cps.empty()) end_word();
        i += len;
        ++consumed;
        if (c == '<') {
            const size_t j = skip_tag(p, n, i);
            consumed += j - i;
            i = j;
        } else if (c == '&') {
            const size_t j = skip_entity(p, n, i);
            consumed += j - i;
            i = j;
        }
    }
    if (!cps.empty()) end_word();
}

constexpr size_t kInitialSlots = 2048;  // power of two

}  // namespace

uint32_t gram_id(const uint32_t *cps) {
    uint64_t h = kFnvOffset;
    for (uint32_t i = 0; i < kGramN; ++i) h = (h ^ cps[i]) * kFnvPrime;
    return static_cast<uint32_t>(fmix64(h));
}

GramExtractor::GramExtractor() {
    table_.assign(kInitialSlots, Slot{0, 0, 0});
    cps_.reserve(64);
}

void GramExtractor::start(size_t capacity_hint) {
    distinct_.clear();
    if (++epoch_ == 0) {  // wrapped: forget every slot for real
        for (Slot &s : table_) s.epoch = 0;
        epoch_ = 1;
    }
    distinct_.reserve(capacity_hint);
}

void GramExtractor::add_gram(uint32_t gram) {
    size_t mask = table_.size() - 1;
    // The id is already a mixed hash: its bits index the table directly.
    for (size_t i = gram & mask;; i = (i + 1) & mask) {
        Slot &s = table_[i];
        if (s.epoch != epoch_) {
            s = Slot{gram, epoch_, static_cast<uint32_t>(distinct_.size())};
            break;
        }
        if (s.gram == gram) {
            ++distinct_[s.index].tf;
            return;
        }
    }
    distinct_.push_back(GramCount{gram, 1});
    if (distinct_.size() * 2 > table_.size()) {  // keep the load under 1/2
        std::vector<Slot> old;
        old.swap(table_);
        table_.assign(old.size() * 2, Slot{0, 0, 0});
        mask = table_.size() - 1;
        for (const Slot &s : old) {
            if (s.epoch != epoch_) continue;
            size_t i = s.gram & mask;
            while (table_[i].epoch == epoch_) i = (i + 1) & mask;
            table_[i] = s;
        }
    }
}

uint32_t GramExtractor::add_text(std::string_view text, size_t max_cps) {
    uint32_t added = 0;
    for_each_word(text, max_cps, cps_, [&](const std::vector<uint32_t> &w) {
        for (size_t i = 0; i + kGramN <= w.size(); ++i) {
            add_gram(gram_id(w.data() + i));
            ++added;
        }
    });
    return added;
}

uint32_t GramExtractor::document(std::string_view title, std::string_view content, std::vector<GramCount> &out) {
    start(512);
    uint32_t length = add_text(title, SIZE_MAX);
    length += add_text(content, kLeadCodePoints);
    out.assign(distinct_.begin(), distinct_.end());
    return length;
}

void GramExtractor::query(std::string_view text, std::vector<GramCount> &out) {
    start(64);
    add_text(text, SIZE_MAX);
    out.assign(distinct_.begin(), distinct_.begin() + std::min(distinct_.size(), kMaxQueryGrams));
    std::sort(out.begin(), out.end(), [](const GramCount &a, const GramCount &b) { return a.gram < b.gram; });
}

std::vector<std::string> GramExtractor::gram_strings(std::string_view text, size_t max_cps) {
    std::vector<std::string> out;
    std::vector<uint32_t> cps;
    for_each_word(text, max_cps, cps, [&](const std::vector<uint32_t> &w) {
        for (size_t i = 0; i + kGramN <= w.size(); ++i) {
            std::string s;
            char buf[4];
            for (size_t j = i; j < i + kGramN; ++j) s.append(buf, encode_utf8(buf, w[j]));
            out.push_back(std::move(s));
        }
    });
    return out;
}

// ---------------------------------------------------------------------------
// Postings.

uint32_t gram_length_bucket(uint32_t length) {
    uint32_t b = 0;
    while (b + 1 < kGramLengthBuckets && kGramLengths[b + 1] <= length) ++b;
    // length lies in [kGramLengths[b], kGramLengths[b + 1]): the nearer one.
    if (b + 1 < kGramLengthBuckets && length > kGramLengths[b] &&
        length - kGramLengths[b] > kGramLengths[b + 1] - length)
        ++b;
    return b;
}

namespace {

inline uint8_t posting_byte(uint32_t tf, uint32_t length) {
    const uint32_t t = tf < 1 ? 1 : tf > kMaxGramTf ? kMaxGramTf : tf;
    return static_cast<uint8_t>((t - 1) << 5 | gram_length_bucket(length));
}

// Varint of a key delta, then the posting byte.
inline void put_posting(std::string &out, uint32_t delta, uint8_t byte) {
    while (delta >= 0x80) {
        out.push_back(static_cast<char>((delta & 0x7F) | 0x80));
        delta >>= 7;
    }
    out.push_back(static_cast<char>(delta));
    out.push_back(static_cast<char>(byte));
}

inline void put_count(std::string &out, size_t at, uint32_t count) {
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((count >> (8 * i)) & 0xFF);
}

}  // namespace

bool GramBlockWriter::add(const GramPosting &p) {
    if (count_ > 0 && p.doc_key <= last_key_) return false;
    put_posting(bytes_, p.doc_key - (count_ > 0 ? last_key_ : 0), posting_byte(p.tf, p.length));
    last_key_ = p.doc_key;
    ++count_;
    return true;
}

void GramBlockWriter::finish(std::string &out) {
    out.clear();
    out.reserve(kGramBlockHeader + bytes_.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((count_ >> (8 * i)) & 0xFF));
    out.append(bytes_);
    bytes_.clear();
    count_ = 0;
    last_key_ = 0;
}

void GramPostingsBuilder::add_document(uint32_t doc_key, uint32_t length, const std::vector<GramCount> &grams) {
    if (keys_.size() >= kMaxDocuments) throw std::length_error("too many documents in one gram flush");
    const uint64_t doc = static_cast<uint64_t>(keys_.size()) << 8;
    keys_.push_back(doc_key);
    const uint32_t bucket = gram_length_bucket(length);
    for (const GramCount &g : grams) {
        const uint32_t t = g.tf < 1 ? 1 : g.tf > kMaxGramTf ? kMaxGramTf : g.tf;
        entries_.push_back(uint64_t(g.gram ^ 0x80000000u) << 32 | doc | ((t - 1) << 5 | bucket));
    }
}

void GramPostingsBuilder::take_blocks(std::vector<GramBlock> &out) {
    out.clear();
    // By gram (sign-flipped, so unsigned order is the int4 order); within a
    // gram in the order added. LSD radix sort on the gram's 32 bits in three
    // stable passes of 11 bits: several times faster than a comparison sort.
    sorted_.resize(entries_.size());
    for (unsigned shift = 32; shift < 64; shift += 11) {
        size_t count[2049] = {};
        for (const uint64_t e : entries_) ++count[((e >> shift) & 2047) + 1];
        for (size_t b = 1; b <= 2048; ++b) count[b] += count[b - 1];
        for (const uint64_t e : entries_) sorted_[count[(e >> shift) & 2047]++] = e;
        entries_.swap(sorted_);
    }
    for (size_t i = 0; i < entries_.size();) {
        const uint32_t flipped = static_cast<uint32_t>(entries_[i] >> 32);
        out.push_back(GramBlock{flipped ^ 0x80000000u, std::string(kGramBlockHeader, '\0')});
        std::string *block = &out.back().bytes;
        uint32_t count = 0, last = 0;
        for (; i < entries_.size() && static_cast<uint32_t>(entries_[i] >> 32) == flipped; ++i) {
            const uint32_t key = keys_[static_cast<uint32_t>(entries_[i]) >> 8];
            if (count > 0 && key <= last) {  // keys did not ascend: another block
                put_count(*block, 0, count);
                out.push_back(GramBlock{flipped ^ 0x80000000u, std::string(kGramBlockHeader, '\0')});
                block = &out.back().bytes;
                count = 0;
            }
            put_posting(*block, key - (count > 0 ? last : 0), static_cast<uint8_t>(entries_[i] & 0xFF));
            last = key;
            ++count;
        }
        put_count(*block, 0, count);
    }
    entries_.clear();
    keys_.clear();
}

bool gram_block_count(const unsigned char *block, size_t len, uint32_t *count) {
    if (len < kGramBlockHeader) return false;
    const uint32_t c = uint32_t(block[0]) | (uint32_t(block[1]) << 8) | (uint32_t(block[2]) << 16) |
                       (uint32_t(block[3]) << 24);
    // Every posting takes at least 2 bytes.
    if (c > (len - kGramBlockHeader) / 2) return false;
    *count = c;
    return true;
}

// ---------------------------------------------------------------------------
// Scoring.

void GramScorer::reset(double n_docs, double avg_length, Bm25Params params) {
    n_docs_ = n_docs;
    avg_length_ = avg_length;
    params_ = params;
    weight_ = 0.0f;
    max_score_ = 0.0;
    for (uint32_t u = 0; u < kGramLengthBuckets; ++u) {
        const double rel = avg_length_ > 0.0 ? kGramLengths[u] / avg_length_ : 1.0;
        norm_[u] = static_cast<float>(params_.k1 * (1.0 - params_.b + params_.b * rel));
    }
    for (const uint32_t key : touched_) score_[key] = 0.0f;
    touched_.clear();
}

void GramScorer::begin_gram(double doc_freq, uint32_t query_tf) {
    const double df = std::min(std::max(doc_freq, 0.0), n_docs_);
    const double wq = query_tf > 0 ? 1.0 + std::log(static_cast<double>(query_tf)) : 0.0;
    const double w = wq * bm25_idf(n_docs_, df);
    weight_ = static_cast<float>(w * (params_.k1 + 1.0));
    max_score_ += w * (params_.k1 + 1.0);
}

bool GramScorer::add_block(const unsigned char *block, size_t len) {
    const float weight = weight_;
    return decode_gram_block(block, len, [&](uint32_t key, uint32_t tf, uint32_t bucket) {
        // Only positive additions: every touched score is > 0, so touched_
        // lists each key once.
        if (!(weight > 0.0f)) return;
        if (key >= score_.size()) score_.resize(std::max<size_t>(size_t(key) + 1, score_.size() * 2), 0.0f);
        float &s = score_[key];
        if (s == 0.0f) touched_.push_back(key);
        const float t = static_cast<float>(tf);
        s += weight * t / (t + norm_[bucket]);
    });
}

std::vector<ScoredDoc> GramScorer::ranked(size_t depth, double min_similarity, bool *more) const {
    std::vector<ScoredDoc> out;
    *more = false;
    if (max_score_ <= 0.0) return out;
    const double inv = 1.0 / max_score_;
    if (depth >= touched_.size()) {
        out.reserve(touched_.size());
        for (const uint32_t key : touched_) {
            const double sim = static_cast<double>(score_[key]) * inv;
            if (sim > min_similarity) out.push_back(ScoredDoc{key, sim});
        }
        std::sort(out.begin(), out.end(), ranks_before);
        return out;
    }
    // The best `depth` in a heap whose top is the worst of them: memory in
    // depth, not in the documents matched (a query shares a gram with most
    // of a large corpus).
    out.reserve(depth);
    for (const uint32_t key : touched_) {
        const ScoredDoc d{key, static_cast<double>(score_[key]) * inv};
        if (!(d.score > min_similarity)) continue;
        if (out.size() < depth) {
            out.push_back(d);
            std::push_heap(out.begin(), out.end(), ranks_before);
        } else {
            *more = true;
            if (depth > 0 && ranks_before(d, out.front())) {
                std::pop_heap(out.begin(), out.end(), ranks_before);
                out.back() = d;
                std::push_heap(out.begin(), out.end(), ranks_before);
            }
        }
    }
    std::sort_heap(out.begin(), out.end(), ranks_before);
    return out;
}

}  // namespace clara
