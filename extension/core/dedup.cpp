// Duplicate signatures and clusters. See dedup.hpp.
#include "dedup.hpp"

#include "hash.hpp"
#include "text_classes.hpp"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <unordered_set>

namespace clara {
namespace {

using namespace clara::text;

using hash::fmix64;
using hash::kFnvOffset;
constexpr uint64_t kShinglePrime = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kExactSalt = 0x6A09E667F3BCC908ull;
constexpr uint64_t kBandSalt = 0xBB67AE8584CAA73Bull;

// The text in NFC: text itself when it already is (all ASCII text is).
std::string_view nfc(std::string_view text, std::string &buf) {
    bool ascii = true;
    for (unsigned char c : text)
        if (c >= 0x80) {
            ascii = false;
            break;
        }
    if (ascii) return text;
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2 *n = icu::Normalizer2::getNFCInstance(err);
    if (U_FAILURE(err)) throw std::runtime_error("ICU has no NFC normaliser");
    icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
    if (n->isNormalizedUTF8(piece, err) && U_SUCCESS(err)) return text;
    err = U_ZERO_ERROR;
    buf.clear();
    icu::StringByteSink<std::string> sink(&buf);
    n->normalizeUTF8(0, piece, sink, nullptr, err);
    if (U_FAILURE(err)) return text;  // ill-formed UTF-8: hashed as it is
    return buf;
}

bool is_space_cp(uint32_t cp) {
    switch (cp) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
        case '\f':
        case '\v':
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000: return true;
        default: return cp >= 0x2000 && cp <= 0x200A;
    }
}

// Writes the normalised text (after NFC) to out (replacing its contents).
void normalize(std::string_view text, std::string &out) {
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    // Lower-casing never takes a code point past 3 bytes, nor 1 byte to more than 2.
    out.resize(2 * n + 4);
    char *w = out.data();
    char *const begin = w;
    bool space = false;
    for (size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            if (c == ' ' || (c >= '\t' && c <= '\r')) {
                space = w != begin;
            } else {
                if (space) *w++ = ' ';
                space = false;
                *w++ = kAscii.lower[c];
            }
            i++;
            continue;
        }
        uint32_t cp;
        const size_t len = decode_utf8(p + i, n - i, &cp);
        if (cp != kInvalid && is_space_cp(cp)) {
            space = w != begin;
        } else {
            if (space) *w++ = ' ';
            space = false;
            if (cp == kInvalid) {
                memcpy(w, p + i, len);
                w += len;
            } else {
                w += encode_utf8(w, lower_cp(cp));
            }
        }
        i += len;
    }
    out.resize(static_cast<size_t>(w - begin));
}

// A 64-bit hash of bytes, 8 at a time.
uint64_t hash_bytes(const char *s, size_t n, uint64_t seed) {
    uint64_t h = seed ^ (n * kShinglePrime);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        h = (h ^ fmix64(v)) * kShinglePrime;
    }
    uint64_t tail = 0;
    for (size_t k = 0; i + k < n; k++) tail |= static_cast<uint64_t>(static_cast<unsigned char>(s[i + k])) << (8 * k);
    return fmix64(h ^ tail);
}

// Calls word(hash) for each word of text, in order.
template <typename Word>
void for_each_word(std::string_view text, Word &&word) {
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    char buf[256];  // a word's lower-cased bytes; longer words hash in pieces
    size_t len = 0;
    uint64_t h = kFnvOffset;
    bool in_word = false;
    auto flush = [&] {
        h = hash_bytes(buf, len, h);
        len = 0;
    };
    auto end_word = [&] {
        if (!in_word) return;
        flush();
        word(h);
        in_word = false;
        h = kFnvOffset;
    };
    for (size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        if (len + 4 > sizeof buf) flush();
        if (c < 0x80) {
            if (kAscii.cls[c] != 0) {
                buf[len++] = kAscii.lower[c];
                in_word = true;
                i++;
                continue;
            }
            end_word();
            i++;
            if (c == '<') i = skip_tag(p, n, i);
            if (c == '&') i = skip_entity(p, n, i);
            continue;
        }
        uint32_t cp;
        i += decode_utf8(p + i, n - i, &cp);
        if (cp == kInvalid || !is_word_cp(cp)) {
            end_word();
            continue;
        }
        len += encode_utf8(buf + len, lower_cp(cp));
        in_word = true;
    }
    end_word();
}

void put_le(std::string &out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t get_le(const unsigned char *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
}

inline uint32_t bin_of(uint64_t h) {
    return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(h >> 32)) * kMinHashes) >> 32);
}

// Union-find over doc_keys.
struct Components {
    std::unordered_map<uint32_t, uint32_t> parent;
    uint32_t find(uint32_t x) {
        if (parent.emplace(x, x).second) return x;
        uint32_t root = x;
        while (parent[root] != root) root = parent[root];
        while (x != root) {
            const uint32_t next = parent[x];
            parent[x] = root;
            x = next;
        }
        return root;
    }
    void unite(uint32_t a, uint32_t b) {
        a = find(a);
        b = find(b);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
};

// One kind of cluster (near or exact): labels of the nodes joined by edges,
// and the stored labels that change.
void label_components(const std::vector<std::pair<uint32_t, uint32_t>> &edges,
                      const std::unordered_map<uint32_t, DupLabels> &existing, uint32_t DupLabels::*kind,
                      std::unordered_map<uint32_t, uint32_t> &labels,
                      std::vector<std::pair<uint32_t, uint32_t>> &relabel) {
    Components uf;
    for (const auto &e : edges) uf.unite(e.first, e.second);
    auto stored = [&](uint32_t doc) {
        auto it = existing.find(doc);
        return it == existing.end() ? 0u : it->second.*kind;
    };
    // Documents already in one stored cluster stay together.
    std::unordered_map<uint32_t, uint32_t> first_with_label;
    std::vector<uint32_t> nodes;
    nodes.reserve(uf.parent.size());
    for (const auto &p : uf.parent) nodes.push_back(p.first);
    std::sort(nodes.begin(), nodes.end());
    for (uint32_t doc : nodes) {
        const uint32_t l = stored(doc);
        if (l == 0) continue;
        auto ins = first_with_label.emplace(l, doc);
        if (!ins.second) uf.unite(doc, ins.first->second);
    }
    std::unordered_map<uint32_t, uint32_t> component_label;
    for (uint32_t doc : nodes) {
        const uint32_t l = stored(doc);
        const uint32_t own = l != 0 ? l : doc;
        auto ins = component_label.emplace(uf.find(doc), own);
        if (!ins.second) ins.first->second = std::min(ins.first->second, own);
    }
    std::unordered_set<uint32_t> relabelled;
    for (uint32_t doc : nodes) {
        const uint32_t label = component_label[uf.find(doc)];
        labels[doc] = label;
        const uint32_t l = stored(doc);
        if (l != 0 && l != label && relabelled.insert(l).second) relabel.emplace_back(l, label);
    }
    std::sort(relabel.begin(), relabel.end());
}

}  // namespace

std::string normalized_text(std::string_view text) {
    std::string buf, out;
    normalize(nfc(text, buf), out);
    return out;
}

DedupSignature dedup_signature(std::string_view text) {
    DedupSignature sig;
    thread_local std::string buf, normalized;  // reused: no allocation per document
    const std::string_view t = nfc(text, buf);
    normalize(t, normalized);
    sig.exact = hash_bytes(normalized.data(), normalized.size(), kFnvOffset);

    std::array<uint32_t, kMinHashes> mins;
    std::array<bool, kMinHashes> filled{};
    mins.fill(UINT32_MAX);
    uint64_t ring[kShingleWords];
    uint64_t words = 0;
    auto add_shingle = [&](uint64_t s) {
        s = fmix64(s);
        const uint32_t b = bin_of(s);
        const auto v = static_cast<uint32_t>(s);
        if (!filled[b] || v < mins[b]) mins[b] = v;
        filled[b] = true;
        sig.shingles++;
    };
    auto shingle_of = [&](uint64_t first, uint64_t count) {
        uint64_t s = 0;
        for (uint64_t k = 0; k < count; k++) s = s * kShinglePrime + ring[(first + k) % kShingleWords];
        return s;
    };
    for_each_word(t, [&](uint64_t w) {
        ring[words % kShingleWords] = w;
        words++;
        if (words >= kShingleWords) add_shingle(shingle_of(words - kShingleWords, kShingleWords));
    });
    if (words > 0 && words < kShingleWords) add_shingle(shingle_of(0, words));
    if (sig.shingles == 0) return sig;
    // Optimal densification: an empty bin takes the value of the first
    // filled bin along its own probe sequence.
    for (uint32_t i = 0; i < kMinHashes; i++) {
        uint32_t v = mins[i];
        if (!filled[i]) {
            for (uint64_t attempt = 1;; attempt++) {
                const uint32_t j = bin_of(fmix64((static_cast<uint64_t>(i) << 32) | attempt));
                if (filled[j]) {
                    v = mins[j];
                    break;
                }
            }
        }
        sig.bins[i] = static_cast<uint16_t>(v);
    }
    return sig;
}

void encode_signature(const DedupSignature &sig, std::string &out) {
    out.push_back(static_cast<char>(kDedupFormat));
    put_le(out, sig.exact, 8);
    put_le(out, sig.shingles, 4);
    for (uint16_t b : sig.bins) put_le(out, b, 2);
}

bool decode_signature(const void *data, size_t len, DedupSignature *sig) {
    const auto *p = static_cast<const unsigned char *>(data);
    if (len != kDedupBytes || p[0] != kDedupFormat) return false;
    sig->exact = get_le(p + 1, 8);
    sig->shingles = static_cast<uint32_t>(get_le(p + 9, 4));
    for (size_t i = 0; i < kMinHashes; i++) sig->bins[i] = static_cast<uint16_t>(get_le(p + 13 + 2 * i, 2));
    return true;
}

size_t dedup_keys(const DedupSignature &sig, int64_t keys[kDedupKeys]) {
    keys[0] = static_cast<int64_t>(fmix64(sig.exact ^ kExactSalt));
    if (sig.shingles == 0) return 1;
    for (uint32_t b = 0; b < kBands; b++) {
        uint64_t h = fmix64(kBandSalt + b);
        for (uint32_t r = 0; r < kRows; r++) h = (h ^ sig.bins[b * kRows + r]) * kShinglePrime;
        keys[1 + b] = static_cast<int64_t>(fmix64(h));
    }
    return kDedupKeys;
}

size_t dedup_lookup_keys(const DedupSignature &sig, int64_t keys[kDedupKeys]) {
    const size_t n = dedup_keys(sig, keys);
    if (n == 1) return 1;
    std::copy(keys + 1, keys + n, keys);
    return n - 1;
}

double estimated_jaccard(const DedupSignature &a, const DedupSignature &b) {
    if (a.shingles == 0 || b.shingles == 0) return a.shingles == b.shingles ? 1.0 : 0.0;
    uint32_t same = 0;
    for (uint32_t i = 0; i < kMinHashes; i++) same += a.bins[i] == b.bins[i];
    return static_cast<double>(same) / kMinHashes;
}

bool exact_duplicates(const DedupSignature &a, const DedupSignature &b) { return a.exact == b.exact; }

bool near_duplicates(const DedupSignature &a, const DedupSignature &b) {
    if (exact_duplicates(a, b)) return true;
    if (a.shingles == 0 || b.shingles == 0) return false;
    return estimated_jaccard(a, b) >= kNearThreshold;
}

DupChanges cluster_duplicates(const std::vector<DupDocument> &added, const std::vector<DupDocument> &candidates,
                              const std::unordered_map<uint32_t, DupLabels> &existing) {
    std::unordered_map<int64_t, std::vector<uint32_t>> by_key;
    int64_t keys[kDedupKeys];
    for (uint32_t i = 0; i < candidates.size(); i++) {
        const size_t n = dedup_keys(candidates[i].sig, keys);
        for (size_t k = 0; k < n; k++) by_key[keys[k]].push_back(i);
    }
    std::vector<std::pair<uint32_t, uint32_t>> near_edges, exact_edges;
    std::unordered_set<uint64_t> checked;
    for (const DupDocument &a : added) {
        const size_t n = dedup_keys(a.sig, keys);
        for (size_t k = 0; k < n; k++) {
            auto it = by_key.find(keys[k]);
            if (it == by_key.end()) continue;
            for (uint32_t ci : it->second) {
                const DupDocument &c = candidates[ci];
                if (c.doc_key == a.doc_key) continue;
                const uint32_t lo = std::min(a.doc_key, c.doc_key), hi = std::max(a.doc_key, c.doc_key);
                if (!checked.insert((static_cast<uint64_t>(lo) << 32) | hi).second) continue;
                if (exact_duplicates(a.sig, c.sig)) {
                    exact_edges.emplace_back(lo, hi);
                    near_edges.emplace_back(lo, hi);
                } else if (near_duplicates(a.sig, c.sig)) {
                    near_edges.emplace_back(lo, hi);
                }
            }
        }
    }
    DupChanges changes;
    std::unordered_map<uint32_t, uint32_t> near_labels, exact_labels;
    label_components(near_edges, existing, &DupLabels::near, near_labels, changes.near_relabel);
    label_components(exact_edges, existing, &DupLabels::exact, exact_labels, changes.exact_relabel);
    auto relabelled = [](const std::vector<std::pair<uint32_t, uint32_t>> &relabel, uint32_t l) {
        auto it = std::lower_bound(relabel.begin(), relabel.end(), std::make_pair(l, 0u));
        return it != relabel.end() && it->first == l ? it->second : l;
    };
    std::vector<uint32_t> docs;
    docs.reserve(near_labels.size() + exact_labels.size());
    for (const auto &p : near_labels) docs.push_back(p.first);
    for (const auto &p : exact_labels)
        if (near_labels.count(p.first) == 0) docs.push_back(p.first);
    std::sort(docs.begin(), docs.end());
    for (uint32_t doc : docs) {
        auto st = existing.find(doc);
        DupLabels l = st == existing.end() ? DupLabels{} : st->second;
        auto n = near_labels.find(doc);
        l.near = n != near_labels.end() ? n->second : relabelled(changes.near_relabel, l.near);
        auto e = exact_labels.find(doc);
        l.exact = e != exact_labels.end() ? e->second : relabelled(changes.exact_relabel, l.exact);
        changes.members.push_back(DupMember{doc, l});
    }
    return changes;
}

}  // namespace clara

namespace clara {

void word_hashes(std::string_view text, std::vector<uint64_t> &out) {
    out.clear();
    thread_local std::string buf;
    for_each_word(nfc(text, buf), [&](uint64_t w) { out.push_back(w); });
}

}  // namespace clara
