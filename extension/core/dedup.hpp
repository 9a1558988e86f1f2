// Duplicate detection: a signature per document, computed when it is stored,
// and the clusters of duplicates it leads to. Pure C++17 (ICU for Unicode
// normalisation): no PostgreSQL headers. Design and measurements:
// docs/training.md#duplicates.
//
// Recipe (kDedupRecipe):
//  * Normalised text: Unicode NFC, lower-cased (the tokenizer's case
//    mapping), every run of white space one space, none at either end.
//    Documents with the same normalised text are exact duplicates: the
//    signature keeps a 64-bit hash of it (FNV-1a, murmur3's fmix64).
//  * Words: runs of word characters as the tokenizer sees them (markup
//    skipped, lower-cased), NOT stemmed, stop words kept (boilerplate is made
//    of them). Shingles: every kShingleWords (5) consecutive words; a text
//    of 1-4 words is one shingle.
//  * MinHash: one-permutation hashing into kMinHashes (112) bins with
//    optimal densification (Shrivastava, ICML 2017: an empty bin takes the
//    value of the first non-empty bin of its own probe sequence), the low 16
//    bits of each bin's minimum kept (b-bit MinHash). Two signatures agree
//    in a bin with probability J + (1 - J) / 65536, J the Jaccard similarity
//    of the two shingle sets. One hash per shingle, not 112: signatures cost
//    little at load time.
//  * LSH: kBands (16) bands of kRows (7) bins, each hashed to a 64-bit key:
//    documents sharing a band key are candidates (J = 0.5: 12 %, 0.7: 74 %,
//    0.8: 97 %, 0.9: > 99.9 % of pairs become candidates). A candidate pair
//    is a near duplicate when at least kNearThreshold (0.7) of the 112 bins
//    agree (the estimated J); exact duplicates always are. Chosen on real
//    text with planted duplicates (bench/dedup_eval.py, docs/training.md):
//    against datatrove's 14 x 8 bands, pair recall 0.84 instead of 0.82 and
//    precision 0.94 instead of 0.91; verification at 0.6 instead of 0.7
//    gains recall 0.01 and loses precision 0.16.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace clara {

// Bump when any step changes: stored signatures must then be recomputed.
constexpr const char *kDedupRecipe = "nfc-lower-ws+word5-oph112-b16-lsh16x7-j0.7-v1";
constexpr uint32_t kShingleWords = 5;
constexpr uint32_t kBands = 16;
constexpr uint32_t kRows = 7;
constexpr uint32_t kMinHashes = kBands * kRows;
constexpr double kNearThreshold = 0.7;
// Keys per signature: the exact key, then one per band.
constexpr uint32_t kDedupKeys = 1 + kBands;
// Stored form: a version byte, the exact hash (8 bytes), the number of
// shingles (4), the bins (2 each), little-endian.
constexpr uint8_t kDedupFormat = 1;
constexpr size_t kDedupBytes = 1 + 8 + 4 + 2 * kMinHashes;

struct DedupSignature {
    uint64_t exact = 0;     // hash of the normalised text
    uint32_t shingles = 0;  // distinct shingle hashes seen (0: no words, no bins)
    std::array<uint16_t, kMinHashes> bins{};
};

// The signature of a document's text.
DedupSignature dedup_signature(std::string_view text);

// The normalised text (for tests and documentation: the exact hash is taken
// over exactly these bytes).
std::string normalized_text(std::string_view text);

void encode_signature(const DedupSignature &sig, std::string &out);
// False when data is not a stored signature of this format.
bool decode_signature(const void *data, size_t len, DedupSignature *sig);

// The signature's index keys: the exact key first, then (for a text with
// words) one key per band. Returns how many were written to keys.
size_t dedup_keys(const DedupSignature &sig, int64_t keys[kDedupKeys]);

// The keys that find a document's candidates, as clara_dedup_bands stores
// them: the band keys of a text with words (its exact duplicates share all
// of them, so the exact key would add nothing but a row), the exact key of a
// text without. Returns how many were written to keys.
size_t dedup_lookup_keys(const DedupSignature &sig, int64_t keys[kDedupKeys]);

// Share of bins that agree, in [0, 1].
double estimated_jaccard(const DedupSignature &a, const DedupSignature &b);

bool exact_duplicates(const DedupSignature &a, const DedupSignature &b);
// Exact duplicates, or texts with words whose estimated J >= kNearThreshold.
bool near_duplicates(const DedupSignature &a, const DedupSignature &b);

// ---- clusters

// A document and its signature.
struct DupDocument {
    uint32_t doc_key = 0;
    DedupSignature sig;
};

// Cluster labels of a stored document: 0 = not in a cluster of that kind.
// A label is a doc_key of the cluster (the smallest one when it formed).
struct DupLabels {
    uint32_t near = 0;
    uint32_t exact = 0;
};

struct DupMember {
    uint32_t doc_key;
    DupLabels labels;
};

// What a batch of added documents changes in the stored clusters.
struct DupChanges {
    std::vector<DupMember> members;                           // upsert, by doc_key
    std::vector<std::pair<uint32_t, uint32_t>> near_relabel;  // every member of old -> new
    std::vector<std::pair<uint32_t, uint32_t>> exact_relabel;
};

// The documents of candidates sharing a key with an added document (the
// added documents may be among them, and are skipped as their own match),
// checked pairwise: edges join clusters. existing: the stored labels of
// every document in candidates that has some (others have none). Cluster
// labels: the smallest label (or doc_key) of the documents they join.
DupChanges cluster_duplicates(const std::vector<DupDocument> &added, const std::vector<DupDocument> &candidates,
                              const std::unordered_map<uint32_t, DupLabels> &existing);

}  // namespace clara

namespace clara {

// The 64-bit hashes of text's words, in order, by the rules above (NFC,
// word characters, markup skipped, lower-cased, not stemmed): shared with
// decontamination (decontam.hpp), so both see the same words.
void word_hashes(std::string_view text, std::vector<uint64_t> &out);

}  // namespace clara
