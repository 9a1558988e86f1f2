// Pre-token (piece) -> its tokens, for a BPE tokenizer (bpe.hpp). Natural
// text repeats its words: most pieces a document is split into were merged
// before, in this document or an earlier one, and merging is most of the
// cost of a token. Hugging Face's tokenizers and tiktoken keep the same kind
// of cache (word -> ids).
//
// Constant memory: a table of 128-byte entries (slots x 128 bytes,
// allocated on first use), each a piece of at most kMaxBytes bytes and
// kMaxTokens tokens with its ids and token ends. Two-way set associative:
// a piece may sit in either entry of its bucket; a new one takes the first,
// the one there moves to the second, and what was in the second is evicted
// (least recently used; one entry at a time, so frequent words stay and the
// table is never cleared as a whole). Longer pieces are merged every time.
// Not thread-safe.
#pragma once

#include "token_tables.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace clara {

class PieceCache {
public:
    // German compounds are long: " Planfeststellungsbeschluss" is 27 bytes
    // and 7 Llama 3 tokens; 64 bytes and 12 tokens hold almost every piece.
    static constexpr size_t kMaxBytes = 64;
    static constexpr size_t kMaxTokens = 12;
    // 16384 x 128 bytes = 2 MB: 20,000 generated German and English
    // documents hit 97.2 % of their pieces with Llama 3's tokenizer
    // (bench/tokenizer_speed; 64-byte entries of 32 bytes and 6 tokens hit
    // 95.8 % and were a third slower).
    static constexpr size_t kDefaultSlots = 16384;

    struct Entry {
        uint8_t length;  // of the piece; 0: empty
        uint8_t tokens;
        uint8_t ends[kMaxTokens];  // end of each token in the piece
        uint32_t ids[kMaxTokens];
        char bytes[kMaxBytes];
    };
    static_assert(sizeof(Entry) == 128, "two cache lines per entry");

    struct Stats {
        uint64_t hits = 0, misses = 0, stores = 0, evictions = 0;
    };

    // slots: rounded down to a power of two, at least 2; 0 turns the cache off.
    explicit PieceCache(size_t slots = kDefaultSlots) { resize(slots); }

    void resize(size_t slots) {
        while (slots & (slots - 1)) slots &= slots - 1;
        slots_ = slots == 1 ? 2 : slots;
        table_.reset();
    }
    size_t slots() const { return slots_; }
    bool cacheable(std::string_view piece) const { return slots_ != 0 && piece.size() <= kMaxBytes; }

    // The entry of piece, or nullptr (cacheable(piece) must hold).
    const Entry *find(std::string_view piece) {
        if (table_ == nullptr) {
            stats_.misses++;
            return nullptr;
        }
        Entry *way = &table_[bucket_of(piece)];
        for (int k = 0; k < 2; k++) {
            if (way[k].length == piece.size() && std::memcmp(way[k].bytes, piece.data(), piece.size()) == 0) {
                stats_.hits++;
                if (k == 1) std::swap(way[0], way[1]);  // most recently used first
                return &way[0];
            }
        }
        stats_.misses++;
        return nullptr;
    }
    // Keeps piece's tokens (ids[k] ends at ends[k] in the piece) when there
    // are at most kMaxTokens of them, in the first way of its bucket; what
    // was there moves to the second, whose entry is evicted.
    void store(std::string_view piece, const uint32_t *ends, const uint32_t *ids, size_t tokens) {
        if (tokens == 0 || tokens > kMaxTokens) return;
        if (table_ == nullptr) table_.reset(new Entry[slots_]());  // value-initialised: all empty
        Entry *way = &table_[bucket_of(piece)];
        if (way[1].length != 0) stats_.evictions++;
        stats_.stores++;
        way[1] = way[0];
        Entry &e = way[0];
        e.length = static_cast<uint8_t>(piece.size());
        e.tokens = static_cast<uint8_t>(tokens);
        for (size_t k = 0; k < tokens; k++) {
            e.ends[k] = static_cast<uint8_t>(ends[k]);
            e.ids[k] = ids[k];
        }
        std::memcpy(e.bytes, piece.data(), piece.size());
    }
    // Forgets every entry (the memory stays allocated).
    void clear() {
        if (table_ != nullptr) std::memset(static_cast<void *>(table_.get()), 0, slots_ * sizeof(Entry));
    }
    const Stats &stats() const { return stats_; }

private:
    // The first of the two entries (ways) piece may be kept in.
    size_t bucket_of(std::string_view piece) const { return hash_bytes(piece.data(), piece.size()) & (slots_ - 2); }
    std::unique_ptr<Entry[]> table_;
    size_t slots_ = 0;
    Stats stats_;
};

}  // namespace clara
