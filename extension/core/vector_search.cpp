// Exact top-k dot-product scan. See vector_search.hpp.
#include "vector_search.hpp"

#include <algorithm>

namespace clara {
namespace {

constexpr size_t kLanes = 16;        // partial sums: 4 SSE registers, 2 AVX registers
constexpr size_t kBlockRows = 256;   // rows scored before the heap pass

// The kernel: lanes are independent (no reassociation needed), so GCC's SLP
// vectoriser turns the inner loop into packed mulps/addps at -O2.
inline float dot_kernel(const float *a, const float *b, size_t n) {
    float acc[kLanes] = {};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
#pragma GCC unroll 16
        for (size_t j = 0; j < kLanes; ++j) acc[j] += a[i + j] * b[i + j];
    }
    float tail = 0.0f;
    for (; i < n; ++i) tail += a[i] * b[i];
#pragma GCC unroll 4
    for (size_t w = kLanes / 2; w > 0; w /= 2) {
#pragma GCC unroll 8
        for (size_t j = 0; j < w; ++j) acc[j] += acc[j + w];
    }
    return acc[0] + tail;
}

// Two rows at once, each with exactly dot_kernel's arithmetic (same lanes,
// same order, same reduction), so the scores are the same bits; the query
// is loaded once for both.
inline void dot_kernel2(const float *q, const float *r0, const float *r1, size_t n, float *s0, float *s1) {
    float a0[kLanes] = {}, a1[kLanes] = {};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
#pragma GCC unroll 16
        for (size_t j = 0; j < kLanes; ++j) {
            a0[j] += q[i + j] * r0[i + j];
            a1[j] += q[i + j] * r1[i + j];
        }
    }
    float t0 = 0.0f, t1 = 0.0f;
    for (; i < n; ++i) {
        t0 += q[i] * r0[i];
        t1 += q[i] * r1[i];
    }
#pragma GCC unroll 4
    for (size_t w = kLanes / 2; w > 0; w /= 2) {
#pragma GCC unroll 8
        for (size_t j = 0; j < w; ++j) {
            a0[j] += a0[j + w];
            a1[j] += a1[j + w];
        }
    }
    *s0 = a0[0] + t0;
    *s1 = a1[0] + t1;
}

// The same for int8 rows: sum of q[i] * float(r[i]), lanes and order as in
// dot_kernel; the caller multiplies by the row's scale.
inline float dot_kernel_i8(const float *q, const int8_t *r, size_t n) {
    float acc[kLanes] = {};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
#pragma GCC unroll 16
        for (size_t j = 0; j < kLanes; ++j) acc[j] += q[i + j] * static_cast<float>(r[i + j]);
    }
    float tail = 0.0f;
    for (; i < n; ++i) tail += q[i] * static_cast<float>(r[i]);
#pragma GCC unroll 4
    for (size_t w = kLanes / 2; w > 0; w /= 2) {
#pragma GCC unroll 8
        for (size_t j = 0; j < w; ++j) acc[j] += acc[j + w];
    }
    return acc[0] + tail;
}

struct Better {
    template <class E>
    bool operator()(const E &a, const E &b) const {
        if (a.score != b.score) return a.score > b.score;
        return a.key < b.key;
    }
};

}  // namespace

float dot_product(const float *a, const float *b, size_t n) { return dot_kernel(a, b, n); }

void dot_products(const float *query, const float *rows, size_t n, size_t dim, float *scores) {
    size_t r = 0;
    for (; r + 2 <= n; r += 2) dot_kernel2(query, rows + r * dim, rows + (r + 1) * dim, dim, &scores[r], &scores[r + 1]);
    if (r < n) scores[r] = dot_kernel(query, rows + r * dim, dim);
}

float dot_product_i8(const float *q, const int8_t *r, size_t n) { return dot_kernel_i8(q, r, n); }

void TopKScanner::reset(const float *query, size_t dim, size_t k) {
    query_.assign(query, query + dim);
    dim_ = dim;
    k_ = k;
    scanned_ = 0;
    heap_.clear();
    heap_.reserve(k < 65536 ? k : 65536);
    scores_.resize(kBlockRows);
}

inline void TopKScanner::offer(float score, uint32_t key) {
    const Entry e{score, key};
    if (heap_.size() < k_) {
        heap_.push_back(e);
        std::push_heap(heap_.begin(), heap_.end(), Better());  // front: the worst kept
        return;
    }
    if (!Better()(e, heap_.front())) return;
    std::pop_heap(heap_.begin(), heap_.end(), Better());
    heap_.back() = e;
    std::push_heap(heap_.begin(), heap_.end(), Better());
}

void TopKScanner::offer_block(const float *scores, const uint32_t *keys, size_t m) {
    size_t r = 0;
    for (; r < m && heap_.size() < k_; ++r)
        if (scores[r] == scores[r]) offer(scores[r], keys[r]);
    if (r == m) return;
    // Full heap: most rows lose to the current threshold in one compare
    // (NaN compares false and is skipped here too).
    float threshold = heap_.front().score;
    for (; r < m; ++r) {
        if (scores[r] >= threshold) {
            offer(scores[r], keys[r]);
            threshold = heap_.front().score;
        }
    }
}

void TopKScanner::scan(const float *rows, const uint32_t *keys, size_t n) {
    scanned_ += n;
    if (k_ == 0) return;
    for (size_t base = 0; base < n; base += kBlockRows) {
        const size_t m = std::min(kBlockRows, n - base);
        dot_products(query_.data(), rows + base * dim_, m, dim_, scores_.data());
        offer_block(scores_.data(), keys + base, m);
    }
}

void TopKScanner::scan_int8(const int8_t *rows, const float *scales, const uint32_t *keys, size_t n) {
    scanned_ += n;
    if (k_ == 0) return;
    float *scores = scores_.data();
    for (size_t base = 0; base < n; base += kBlockRows) {
        const size_t m = std::min(kBlockRows, n - base);
        for (size_t r = 0; r < m; ++r)
            scores[r] = scales[base + r] * dot_kernel_i8(query_.data(), rows + (base + r) * dim_, dim_);
        offer_block(scores, keys + base, m);
    }
}

std::vector<ScoredDoc> TopKScanner::take_ranked() {
    std::sort(heap_.begin(), heap_.end(), Better());
    std::vector<ScoredDoc> out;
    out.reserve(heap_.size());
    for (const Entry &e : heap_) out.push_back(ScoredDoc{e.key, static_cast<double>(e.score)});
    heap_.clear();
    scanned_ = 0;
    return out;
}

}  // namespace clara
