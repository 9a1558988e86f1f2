// The hashing building blocks the core shares: FNV-1a's constants and
// murmur3's 64-bit finaliser. Pure C++: no PostgreSQL headers. Stored values
// depend on them (gram ids, duplicate signatures): changing one means a new
// recipe (ngram.hpp, dedup.hpp).
#pragma once

#include <cstdint>

namespace clara::hash {

constexpr uint64_t kFnvOffset = 0xCBF29CE484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001B3ull;

inline uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ull;
    k ^= k >> 33;
    return k;
}

}  // namespace clara::hash
