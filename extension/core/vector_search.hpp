// Exact top-k by dot product over a contiguous float32 matrix. Pure C++17: no
// PostgreSQL headers, no intrinsics. Measurements: docs/hybrid.md.
//
//   clara::TopKScanner s;
//   s.reset(query, dim, k);
//   for (each chunk of rows) {            // e.g. 4096 rows
//       s.scan(rows, keys, n);            // rows: n * dim floats, row-major
//       if (InterruptPending) break;      // the caller's check, between chunks
//   }
//   std::vector<clara::ScoredDoc> top = s.take_ranked();
//
// Order (bm25.hpp's ranks_before): score descending, then doc_key ascending;
// among equal scores the smallest keys are kept. The heap holds only
// (score, doc_key) pairs, k of them. Rows whose score is NaN are skipped.
// The result does not depend on how the rows are split into chunks.
//
// Speed at dim 256 (tests/core/test_vector_search.cpp prints it; busy 2-core
// VM, CPU time): float32 ~45 ns/row from cache, ~130-145 ns/row from memory
// (~7 GB/s: memory-bound), i.e. ~14 ms per 100K and ~140 ms per 1M rows;
// int8 rows (scan_int8) ~52 ns/row either way (a quarter of the bytes),
// ~5 ms per 100K and ~52 ms per 1M.
#pragma once

#include "bm25.hpp"  // ScoredDoc, ranks_before

#include <cstddef>
#include <cstdint>
#include <vector>

namespace clara {

// Sum of a[i] * b[i]. The arithmetic order is fixed (16 running partial sums
// in lanes, combined pairwise, then the tail), so the result does not depend
// on how the compiler vectorises it: -O2 -march=x86-64 uses packed SSE
// multiplies and adds. (A build that fuses multiply-add, e.g. -march=native
// with FMA, may differ in the last bits.)
float dot_product(const float *a, const float *b, size_t n);

// Scores n rows of dim floats against query: scores[r] = dot(query, rows + r * dim).
void dot_products(const float *query, const float *rows, size_t n, size_t dim, float *scores);

// scale * sum of q[i] * float(r[i]) is the score of an int8 row (see
// scan_int8); this is the sum, with dot_product's lanes and order.
float dot_product_i8(const float *q, const int8_t *r, size_t n);

class TopKScanner {
public:
    TopKScanner() = default;

    // Starts a search: copies query[0..dim), keeps the best k rows.
    void reset(const float *query, size_t dim, size_t k);

    // Scores rows[0..n) (row r is rows[r * dim .. (r + 1) * dim), its key
    // keys[r]) and keeps the best k seen so far. Call as often as needed.
    void scan(const float *rows, const uint32_t *keys, size_t n);

    // The same over int8 rows (row r is rows[r * dim ..], meaning
    // scales[r] * rows[r][i], as embedding.hpp's kInt8 format stores them):
    // a quarter of the memory traffic. score = scales[r] * dot_product_i8(...).
    void scan_int8(const int8_t *rows, const float *scales, const uint32_t *keys, size_t n);

    // The kept rows, best first. The scanner is empty afterwards (reset
    // before the next search).
    std::vector<ScoredDoc> take_ranked();

    size_t dim() const { return dim_; }
    size_t k() const { return k_; }
    size_t rows_scanned() const { return scanned_; }
    size_t size() const { return heap_.size(); }

private:
    struct Entry {
        float score;
        uint32_t key;
    };
    void offer(float score, uint32_t key);
    void offer_block(const float *scores, const uint32_t *keys, size_t m);

    std::vector<float> query_;
    std::vector<float> scores_;  // scratch, one block
    std::vector<Entry> heap_;    // worst kept entry at the front once full
    size_t dim_ = 0;
    size_t k_ = 0;
    size_t scanned_ = 0;
};

}  // namespace clara
