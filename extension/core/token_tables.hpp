// The lookup tables of a BPE tokenizer (bpe.hpp), flat and open-addressed:
// a vocabulary (token bytes -> id) looked up by string_view without
// building a std::string, and the merges ((left id, right id) -> rank and
// merged id) in one probe. A node-based std::unordered_map costs a heap
// node per token and a string copy per lookup; these are one array each
// (plus the vocabulary's bytes in one arena). Pure C++17.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

// A 64-bit hash of bytes: 8 bytes a step, multiplied and folded (short
// pre-tokens and tokens are what it hashes; not for untrusted keys where
// collisions would be an attack: a tokenizer file is the user's own).
inline uint64_t hash_bytes(const char *p, size_t n) {
    constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
    uint64_t h = 0x243F6A8885A308D3ull ^ (n * kMul);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        h = (h ^ w) * kMul;
        h ^= h >> 29;
    }
    if (i < n) {
        uint64_t w = 0;
        std::memcpy(&w, p + i, n - i);
        h = (h ^ w) * kMul;
    }
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h;
}

// Token bytes -> id. Keys are non-empty; the first insert of a key wins.
class TokenVocabulary {
public:
    // Returns false (and keeps the first id) if bytes are there already.
    bool insert(std::string_view bytes, uint32_t id) {
        if (bytes.empty()) return false;
        if ((count_ + 1) * 4 > slots_.size() * 3) grow();
        const uint64_t h = hash_bytes(bytes.data(), bytes.size());
        for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
            Slot &s = slots_[i];
            if (s.length == 0) {
                s = Slot{static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(bytes.size()), id,
                         static_cast<uint32_t>(h >> 32)};
                arena_.append(bytes.data(), bytes.size());
                count_++;
                return true;
            }
            if (matches(s, h, bytes)) return false;
        }
    }
    // The id of bytes, or nullptr.
    const uint32_t *find(std::string_view bytes) const {
        if (slots_.empty() || bytes.empty()) return nullptr;
        const uint64_t h = hash_bytes(bytes.data(), bytes.size());
        for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
            const Slot &s = slots_[i];
            if (s.length == 0) return nullptr;
            if (matches(s, h, bytes)) return &s.id;
        }
    }
    size_t size() const { return count_; }
    void reserve(size_t n) {
        size_t want = 1024;
        while (want * 3 < n * 4) want *= 2;
        if (want > slots_.size()) rehash(want);
    }

private:
    struct Slot {
        uint32_t offset;  // of the bytes in arena_
        uint32_t length;  // 0: empty
        uint32_t id;
        uint32_t hash_high;  // the hash's upper bits: most mismatches end here
    };
    bool matches(const Slot &s, uint64_t h, std::string_view bytes) const {
        return s.hash_high == static_cast<uint32_t>(h >> 32) && s.length == bytes.size() &&
               std::memcmp(arena_.data() + s.offset, bytes.data(), bytes.size()) == 0;
    }
    void grow() { rehash(slots_.empty() ? 1024 : slots_.size() * 2); }
    void rehash(size_t size) {
        std::vector<Slot> old;
        old.swap(slots_);
        slots_.assign(size, Slot{0, 0, 0, 0});
        for (const Slot &s : old) {
            if (s.length == 0) continue;
            const uint64_t h = hash_bytes(arena_.data() + s.offset, s.length);
            size_t i = h & (slots_.size() - 1);
            while (slots_[i].length != 0) i = (i + 1) & (slots_.size() - 1);
            slots_[i] = s;
        }
    }
    std::string arena_;
    std::vector<Slot> slots_;  // a power of two, at most three quarters full
    size_t count_ = 0;
};

// (left id, right id) -> the merge's rank and the merged token's id. The
// first insert of a pair wins.
class MergeTable {
public:
    struct Merge {
        uint32_t rank;
        uint32_t merged;
    };
    bool insert(uint32_t left, uint32_t right, Merge m) {
        if ((count_ + 1) * 4 > slots_.size() * 3) grow();
        const uint64_t key = pair_key(left, right);
        for (size_t i = slot_of(key);; i = (i + 1) & (slots_.size() - 1)) {
            Slot &s = slots_[i];
            if (s.key == kEmpty) {
                s = Slot{key, m};
                count_++;
                return true;
            }
            if (s.key == key) return false;
        }
    }
    const Merge *find(uint32_t left, uint32_t right) const {
        if (slots_.empty()) return nullptr;
        const uint64_t key = pair_key(left, right);
        for (size_t i = slot_of(key);; i = (i + 1) & (slots_.size() - 1)) {
            const Slot &s = slots_[i];
            if (s.key == key) return &s.merge;
            if (s.key == kEmpty) return nullptr;
        }
    }
    size_t size() const { return count_; }
    void reserve(size_t n) {
        size_t want = 1024;
        while (want * 3 < n * 4) want *= 2;
        if (want > slots_.size()) rehash(want);
    }

private:
    // Ids are below 2^31 (the vocabularies check), so no pair is all ones.
    static constexpr uint64_t kEmpty = ~uint64_t(0);
    struct Slot {
        uint64_t key;
        Merge merge;
    };
    static uint64_t pair_key(uint32_t left, uint32_t right) { return (uint64_t(left) << 32) | right; }
    size_t slot_of(uint64_t key) const {
        uint64_t h = key * 0x9E3779B97F4A7C15ull;
        return (h ^ (h >> 31)) & (slots_.size() - 1);
    }
    void grow() { rehash(slots_.empty() ? 1024 : slots_.size() * 2); }
    void rehash(size_t size) {
        std::vector<Slot> old;
        old.swap(slots_);
        slots_.assign(size, Slot{kEmpty, Merge{0, 0}});
        for (const Slot &s : old) {
            if (s.key == kEmpty) continue;
            size_t i = slot_of(s.key);
            while (slots_[i].key != kEmpty) i = (i + 1) & (slots_.size() - 1);
            slots_[i] = s;
        }
    }
    std::vector<Slot> slots_;  // a power of two, at most three quarters full
    size_t count_ = 0;
};

}  // namespace clara
