// The "vector" retriever: sparse vectors of hashed character 4-grams over a
// document's lead, scored with BM25 weights. Pure C++17: no PostgreSQL
// headers. Design and measurements: docs/hybrid.md.
//
// Recipe (kGramRecipe):
//  * Lead: the title, then the first kLeadCodePoints (700) code points of
//    the content (a word that starts before the limit is taken whole). On
//    the real evaluation sets a page's own description is best matched by
//    its beginning (the whole text: MRR@10 0.63 instead of 0.73 on the
//    manual pages); the whole text stays searchable through keyword search.
//  * Words: maximal runs of word characters with the tokenizer's character
//    classes, lower-casing and markup skipping (text_classes.hpp), NOT
//    stemmed; German and English stop words (clara::is_stop_word, checked
//    before folding) are dropped: 15 % fewer postings, the same ranking on
//    the real sets. Latin-1 letters lose their diacritics (ä -> a, ß -> ss,
//    é -> e, æ -> ae ...).
//  * Grams: every run of kGramN = 4 code points of "<word>" ('<' and '>'
//    mark the word's ends), so "Haus" gives "<hau", "haus", "aus>"; a word of
//    one character gives none. Compounds share grams with their parts
//    ("Verwaltungsgerichtsordnung" / "Verwaltungsgericht"), inflections with
//    their stems, whatever the stemmer does.
//  * Gram id: FNV-1a over the four code points, murmur3's fmix64, low 32
//    bits (two different grams collide with probability 2^-32 per pair).
//  * Score of a document d for a query q (Okapi BM25 over grams, k1 1.2,
//    b 0.75, length = number of grams in the lead):
//      sum over distinct grams g of q in at most half of the documents:
//      w_q(g) * idf(g) * tf(k1+1) / (tf + k1 (1 - b + b len/avglen))
//    with w_q(g) = 1 + ln(tf of g in q) and idf = ln(1 + (N - df + 0.5) / (df + 0.5)).
//    similarity = score / (sum_g w_q(g) idf(g) (k1+1)): the share of the
//    query's gram weight that d matches, in [0, 1) (1 only in the limit of
//    tf -> infinity).
//  * Stored per posting in one byte: tf capped at kMaxGramTf (8, where
//    BM25's tf saturation is at 87 %) and the lead length as the nearest of
//    32 lengths 19 % apart (kGramLengths): BM25 then sees that length, and
//    the corpus statistics add the same. On the real sets this costs no
//    measurable ranking (MRR@10 within 0.006) and a third of the bytes.
//
// Why BM25 over grams and not a dense embedding: 256 hashed dimensions share
// each bucket among tens of thousands of n-grams, and without idf common
// grams drown the rare ones that identify a document. Measured on the real
// sets (bench/realsets.py), MRR@10 of this recipe vs a sparse TF-IDF cosine
// over 3-5-grams of the first 4000 characters (bench/reference_ngram.py):
// docs/hybrid.md has the table.
#pragma once

#include "bm25.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

// Bump when any step of the recipe changes: the stored postings must then be
// rebuilt (clara_compact()).
constexpr const char *kGramRecipe = "char4-lead700-nostop-bm25-q8x32-v1";
constexpr uint32_t kGramN = 4;
constexpr uint32_t kLeadCodePoints = 700;
// A query's distinct grams beyond this many are ignored (a 1 MB query must not
// cost a postings lookup per gram).
constexpr size_t kMaxQueryGrams = 1024;

struct GramCount {
    uint32_t gram;
    uint32_t tf;
};

// Turns texts into their distinct grams. Keep one for many texts: it reuses
// its buffers. Not thread-safe.
class GramExtractor {
public:
    GramExtractor();

    // The distinct grams of a document's lead (title, then the start of the
    // content), in order of first occurrence; returns the number of grams
    // counted with repeats (the document's length for BM25).
    uint32_t document(std::string_view title, std::string_view content, std::vector<GramCount> &out);

    // The distinct grams of a query (all of it), sorted by gram id, at most
    // kMaxQueryGrams of them (the first ones to occur).
    void query(std::string_view text, std::vector<GramCount> &out);

    // The grams of text as strings, in order, repeats included, up to the
    // first word that starts at or after max_cps code points (a document's
    // content is indexed with kLeadCodePoints): for tests and for seeing
    // what a text is indexed by.
    static std::vector<std::string> gram_strings(std::string_view text, size_t max_cps = SIZE_MAX);

private:
    // Adds the grams of text, stopping at the first word that starts at or
    // after max_cps code points; returns the number of grams added.
    uint32_t add_text(std::string_view text, size_t max_cps);
    void add_gram(uint32_t gram);
    void start(size_t capacity_hint);

    struct Slot {
        uint32_t gram;
        uint32_t epoch;
        uint32_t index;  // into distinct_
    };
    std::vector<Slot> table_;
    std::vector<GramCount> distinct_;
    uint32_t epoch_ = 0;
    std::vector<uint32_t> cps_;  // one word's folded code points, with markers
};

// Gram id of four code points.
uint32_t gram_id(const uint32_t *cps);

// ---------------------------------------------------------------------------
// Postings. A block holds one gram's postings for some documents, ascending
// by doc_key:
//   uint32 LE count, then per posting: varint(doc_key - previous doc_key,
//   the first from 0), then one byte: (min(tf, 8) - 1) << 5 | length bucket.
// About 2-3 bytes per posting.
struct GramPosting {
    uint32_t doc_key;
    uint32_t tf;      // stored capped at kMaxGramTf
    uint32_t length;  // lead length in grams; stored as its bucket
};

constexpr size_t kGramBlockHeader = 4;
constexpr uint32_t kMaxGramTf = 8;
constexpr uint32_t kGramLengthBuckets = 32;
// round(4 * 1.19^b): the lengths BM25 sees.
constexpr uint32_t kGramLengths[kGramLengthBuckets] = {4,   5,   6,   7,   8,   10,  11,  14,  16,  19,  23,
                                                       27,  32,  38,  46,  54,  65,  77,  92,  109, 130, 154,
                                                       184, 219, 260, 310, 368, 438, 522, 621, 739, 879};

// The bucket of a lead of `length` grams: the nearest of kGramLengths (ties
// to the shorter), and the length BM25 then uses (0 for an empty lead, which
// has no postings): the corpus statistics add the same value.
uint32_t gram_length_bucket(uint32_t length);
inline uint32_t gram_stored_length(uint32_t length) {
    return length == 0 ? 0 : kGramLengths[gram_length_bucket(length)];
}

// Builds one gram's block incrementally. Keys must ascend: add() returns
// false (and adds nothing) for a key not above the last one, so the caller
// can start another block.
class GramBlockWriter {
public:
    bool add(const GramPosting &p);
    uint32_t count() const { return count_; }
    bool empty() const { return count_ == 0; }
    // The finished block; the writer is empty afterwards.
    void finish(std::string &out);

private:
    std::string bytes_;  // postings without the header
    uint32_t count_ = 0;
    uint32_t last_key_ = 0;
};

// The gram postings of many documents (one flush of a loading statement),
// handed out as one block per gram (more where keys did not ascend). Each
// posting is appended as one 64-bit word (gram, document number, the posting
// byte) and sorted once at the end: sequential writes while loading, instead
// of a hash lookup and a cache miss per posting.
struct GramBlock {
    uint32_t gram;
    std::string bytes;
};

class GramPostingsBuilder {
public:
    // A document's distinct grams (as GramExtractor::document gives them)
    // with its lead length. Keys should ascend across calls.
    void add_document(uint32_t doc_key, uint32_t length, const std::vector<GramCount> &grams);
    size_t postings() const { return entries_.size(); }
    size_t documents() const { return keys_.size(); }
    // Room for this many postings (and their sort), so a large statement's
    // buffer does not grow by copying.
    void reserve(size_t postings) {
        entries_.reserve(postings);
        sorted_.reserve(postings);
    }
    // Documents one builder numbers (24 bits); flush before reaching it.
    static constexpr size_t kMaxDocuments = size_t(1) << 24;
    // Moves every block into out, ordered by gram as a signed 32-bit integer
    // (the order of the int4 column's index), postings in the order their
    // documents were added; the builder is empty afterwards.
    void take_blocks(std::vector<GramBlock> &out);

private:
    std::vector<uint64_t> entries_;  // (gram ^ sign bit) << 32 | document number << 8 | posting byte
    std::vector<uint32_t> keys_;     // doc_key of each document number
    std::vector<uint64_t> sorted_;   // scratch for the radix sort
};

// The number of postings a block says it holds; false if it is too short.
bool gram_block_count(const unsigned char *block, size_t len, uint32_t *count);

// Calls visit(doc_key, tf, length_bucket) for each posting (tf 1..8); false
// if the block is malformed (then some postings may have been visited).
template <class Visit>
bool decode_gram_block(const unsigned char *block, size_t len, Visit &&visit);

// ---------------------------------------------------------------------------
// Scoring. One query: reset(), then per distinct query gram begin_gram() and
// add_block() for each of its blocks, then ranked() as often as needed (a
// deeper list does not score again).
class GramScorer {
public:
    void reset(double n_docs, double avg_length, Bm25Params params = Bm25Params{});
    // Whether a query gram in doc_freq documents is scored at all: one in
    // more than half of them (idf below ln 2) only counts towards the
    // maximum score (begin_gram, then no blocks). Such grams hold most of the
    // postings a query would read (at 1M generated documents, most of a
    // second) and change the ranking little: MRR@10 within 0.003 on the real
    // sets.
    bool worth_scoring(double doc_freq) const { return doc_freq * 2.0 <= n_docs_; }
    // df: documents with the gram (the sum of its blocks' counts), capped at N.
    void begin_gram(double doc_freq, uint32_t query_tf);
    // false if the block is malformed.
    bool add_block(const unsigned char *block, size_t len);
    // The best `depth` documents with similarity above min_similarity, by
    // similarity descending then doc_key ascending. *more receives whether
    // further documents above min_similarity were left out.
    std::vector<ScoredDoc> ranked(size_t depth, double min_similarity, bool *more) const;
    // The number of documents that share a gram with the query.
    size_t matched() const { return touched_.size(); }

private:
    double n_docs_ = 0.0;
    double avg_length_ = 0.0;
    Bm25Params params_;
    float weight_ = 0.0f;                  // w_q * idf of the current gram
    double max_score_ = 0.0;               // sum of w_q * idf * (k1 + 1)
    float norm_[kGramLengthBuckets] = {};  // k1 * (1 - b + b * len / avg) for each length bucket
    std::vector<float> score_;             // by doc_key
    std::vector<uint32_t> touched_;
};

// --- inline definitions -----------------------------------------------------

template <class Visit>
bool decode_gram_block(const unsigned char *block, size_t len, Visit &&visit) {
    uint32_t count;
    if (!gram_block_count(block, len, &count)) return false;
    const unsigned char *p = block + kGramBlockHeader;
    const unsigned char *end = block + len;
    uint32_t key = 0;
    for (uint32_t i = 0; i < count; ++i) {
        uint32_t delta = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (p == end || shift > 28) return false;
            const unsigned char b = *p++;
            delta |= static_cast<uint32_t>(b & 0x7F) << shift;
            if (!(b & 0x80)) break;
        }
        if (p == end || (i > 0 && delta == 0) || delta > UINT32_MAX - key) return false;
        key += delta;
        visit(key, static_cast<uint32_t>(*p >> 5) + 1, static_cast<uint32_t>(*p & 31));
        ++p;
    }
    return p == end;
}

}  // namespace clara
