// Exact top-k dot-product scan: equals a brute-force sort, whatever the
// chunking; ties by doc_key; NaN rows skipped; speed printed.
#include "vector_search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

namespace {

struct Rng {
    uint64_t s;
    uint64_t next() {
        s += 0x9E3779B97F4A7C15ull;
        uint64_t z = s;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    float uniform() { return float(next() >> 40) / float(1 << 24) * 2.0f - 1.0f; }  // [-1, 1)
};

// CPU time of this thread: the machine may be busy with other work.
double thread_cpu_ns() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + double(ts.tv_nsec);
}

struct Data {
    size_t n, dim;
    std::vector<float> rows;
    std::vector<uint32_t> keys;
};

Data make_data(size_t n, size_t dim, uint64_t seed, int distinct_values = 0) {
    Rng rng{seed};
    Data d{n, dim, std::vector<float>(n * dim), std::vector<uint32_t>(n)};
    for (float &x : d.rows)
        x = distinct_values > 0 ? float(rng.next() % distinct_values) : rng.uniform();
    for (size_t i = 0; i < n; ++i) d.keys[i] = uint32_t(i * 7919 % 1000003);  // distinct, not in order
    return d;
}

std::vector<clara::ScoredDoc> brute_force(const Data &d, const float *q, size_t k) {
    std::vector<clara::ScoredDoc> all;
    for (size_t i = 0; i < d.n; ++i) {
        const float s = clara::dot_product(q, &d.rows[i * d.dim], d.dim);
        if (!std::isnan(s)) all.push_back(clara::ScoredDoc{d.keys[i], double(s)});
    }
    std::sort(all.begin(), all.end(), clara::ranks_before);
    if (all.size() > k) all.resize(k);
    return all;
}

std::vector<clara::ScoredDoc> scan_in_chunks(const Data &d, const float *q, size_t k, size_t chunk) {
    clara::TopKScanner s;
    s.reset(q, d.dim, k);
    for (size_t i = 0; i < d.n; i += chunk) s.scan(&d.rows[i * d.dim], &d.keys[i], std::min(chunk, d.n - i));
    EXPECT_EQ(s.rows_scanned(), d.n);
    return s.take_ranked();
}

void expect_same(const std::vector<clara::ScoredDoc> &a, const std::vector<clara::ScoredDoc> &b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].doc_key, b[i].doc_key) << i;
        EXPECT_EQ(a[i].score, b[i].score) << i;
    }
}

}  // namespace

TEST(DotProduct, MatchesDoublePrecision) {
    Rng rng{1};
    for (size_t n : {0, 1, 3, 15, 16, 17, 31, 32, 100, 255, 256, 257, 1000}) {
        std::vector<float> a(n), b(n);
        double exact = 0.0, mag = 0.0;
        for (size_t i = 0; i < n; ++i) {
            a[i] = rng.uniform();
            b[i] = rng.uniform();
            exact += double(a[i]) * double(b[i]);
            mag += std::fabs(double(a[i]) * double(b[i]));
        }
        EXPECT_NEAR(clara::dot_product(a.data(), b.data(), n), exact, 1e-6 * (mag + 1.0)) << n;
    }
    std::vector<float> q(8, 1.0f), rows(3 * 8);
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = float(i / 8);
    float scores[3];
    clara::dot_products(q.data(), rows.data(), 3, 8, scores);
    EXPECT_EQ(scores[0], 0.0f);
    EXPECT_EQ(scores[1], 8.0f);
    EXPECT_EQ(scores[2], 16.0f);
}

TEST(TopKScanner, EqualsBruteForceSort) {
    for (size_t dim : {256, 20, 1}) {
        const Data d = make_data(3000, dim, dim);
        Rng rng{99};
        std::vector<float> q(dim);
        for (float &x : q) x = rng.uniform();
        for (size_t k : {0, 1, 10, 100, 2999, 3000, 5000}) {
            const auto expected = brute_force(d, q.data(), k);
            ASSERT_EQ(expected.size(), std::min<size_t>(k, 3000));
            for (size_t chunk : {1, 7, 256, 1000, 3000}) {
                SCOPED_TRACE(testing::Message() << "dim " << dim << " k " << k << " chunk " << chunk);
                expect_same(scan_in_chunks(d, q.data(), k, chunk), expected);
            }
        }
    }
}

TEST(TopKScanner, Int8RowsEqualBruteForce) {
    for (size_t dim : {256, 20}) {
        const size_t n = 2000;
        Rng rng{dim + 7};
        std::vector<int8_t> rows(n * dim);
        std::vector<float> scales(n);
        std::vector<uint32_t> keys(n);
        for (auto &x : rows) x = static_cast<int8_t>(int(rng.next() % 255) - 127);
        for (size_t i = 0; i < n; ++i) {
            scales[i] = (i % 10 == 0) ? scales[i / 2] : float(rng.next() % 1000 + 1) / 1e5f;  // some equal scales
            keys[i] = uint32_t((i * 104729) % 65537);
        }
        std::vector<float> q(dim);
        for (float &x : q) x = rng.uniform();
        std::vector<clara::ScoredDoc> all;
        for (size_t i = 0; i < n; ++i)
            all.push_back({keys[i], double(scales[i] * clara::dot_product_i8(q.data(), &rows[i * dim], dim))});
        std::sort(all.begin(), all.end(), clara::ranks_before);
        for (size_t k : {1, 10, 100, 2000}) {
            for (size_t chunk : {1, 300, 2000}) {
                clara::TopKScanner s;
                s.reset(q.data(), dim, k);
                for (size_t i = 0; i < n; i += chunk)
                    s.scan_int8(&rows[i * dim], &scales[i], &keys[i], std::min(chunk, n - i));
                const std::vector<clara::ScoredDoc> expected(all.begin(), all.begin() + std::min(k, n));
                SCOPED_TRACE(testing::Message() << "dim " << dim << " k " << k << " chunk " << chunk);
                expect_same(s.take_ranked(), expected);
            }
        }
        // The int8 sum is the float dot product of the expanded row, up to rounding.
        std::vector<float> expanded(dim);
        for (size_t j = 0; j < dim; ++j) expanded[j] = float(rows[j]);
        EXPECT_NEAR(clara::dot_product_i8(q.data(), rows.data(), dim), clara::dot_product(q.data(), expanded.data(), dim),
                    1e-3);
    }
}

TEST(TopKScanner, TiesKeepSmallestKeys) {
    // Few distinct values: many equal scores; order is score desc, key asc.
    const Data d = make_data(2000, 16, 5, 3);
    std::vector<float> q(16, 1.0f);
    for (size_t k : {1, 5, 50, 500}) {
        const auto got = scan_in_chunks(d, q.data(), k, 333);
        expect_same(got, brute_force(d, q.data(), k));
        for (size_t i = 1; i < got.size(); ++i) EXPECT_TRUE(clara::ranks_before(got[i - 1], got[i]));
    }
    // All rows equal: the k smallest keys, ascending.
    Data same{6, 2, std::vector<float>(12, 0.5f), {50, 3, 40, 7, 1, 9}};
    const auto top = scan_in_chunks(same, q.data(), 3, 2);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0].doc_key, 1u);
    EXPECT_EQ(top[1].doc_key, 3u);
    EXPECT_EQ(top[2].doc_key, 7u);
}

TEST(TopKScanner, SkipsNaNAndHandlesEmpty) {
    Data d = make_data(100, 4, 3);
    for (size_t i = 0; i < 100; i += 3) d.rows[i * 4 + 1] = NAN;
    std::vector<float> q(4, 1.0f);
    const auto got = scan_in_chunks(d, q.data(), 1000, 10);
    EXPECT_EQ(got.size(), 100u - 34u);
    expect_same(got, brute_force(d, q.data(), 1000));

    clara::TopKScanner s;
    EXPECT_TRUE(s.take_ranked().empty());
    s.reset(q.data(), 4, 10);
    s.scan(nullptr, nullptr, 0);
    EXPECT_TRUE(s.take_ranked().empty());
    s.reset(q.data(), 4, 0);
    s.scan(d.rows.data(), d.keys.data(), 100);
    EXPECT_TRUE(s.take_ranked().empty());
    // take_ranked empties the scanner.
    s.reset(q.data(), 4, 5);
    s.scan(d.rows.data(), d.keys.data(), 100);
    EXPECT_EQ(s.take_ranked().size(), 5u);
    EXPECT_TRUE(s.take_ranked().empty());
}

// Not a correctness test: prints the scan speed in ns per row (dim 256),
// for a matrix that fits in the cache and one that does not, and the
// implied exact-scan latency at 100K and 1M documents.
TEST(VectorSearchBenchmark, NanosecondsPerRow) {
    const size_t dim = 256;
    for (size_t n : {4096, 200000}) {
        const Data d = make_data(n, dim, 11);
        std::vector<float> q(dim, 0.0625f);
        clara::TopKScanner s;
        const int rounds = n > 10000 ? 5 : 200;
        s.reset(q.data(), dim, 100);
        s.scan(d.rows.data(), d.keys.data(), n);  // warm up
        (void)s.take_ranked();
        const double cpu_start = thread_cpu_ns();
        const auto start = std::chrono::steady_clock::now();
        size_t kept = 0;
        for (int r = 0; r < rounds; ++r) {
            s.reset(q.data(), dim, 100);
            for (size_t i = 0; i < n; i += 4096) s.scan(&d.rows[i * dim], &d.keys[i], std::min<size_t>(4096, n - i));
            kept += s.take_ranked().size();
        }
        const double wall =
            std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / rounds / n;
        const double ns = (thread_cpu_ns() - cpu_start) / rounds / n;
        std::printf("[ bench    ] float32: %zu rows x %zu (%.1f MB), top-100: %.1f ns/row CPU time (wall %.1f), "
                    "%.2f GB/s; 100K rows %.1f ms, 1M rows %.0f ms (kept %zu)\n",
                    n, dim, n * dim * 4 / 1e6, ns, wall, dim * 4 / ns, ns * 1e5 / 1e6, ns * 1e6 / 1e6, kept / rounds);

        // The same rows as int8 with a scale each.
        std::vector<int8_t> q8(n * dim);
        for (size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<int8_t>(std::lround(d.rows[i] * 127.0f));
        std::vector<float> scales(n, 1.0f / 127.0f);
        const double cpu8 = thread_cpu_ns();
        for (int r = 0; r < rounds; ++r) {
            s.reset(q.data(), dim, 100);
            for (size_t i = 0; i < n; i += 4096)
                s.scan_int8(&q8[i * dim], &scales[i], &d.keys[i], std::min<size_t>(4096, n - i));
            kept += s.take_ranked().size();
        }
        const double ns8 = (thread_cpu_ns() - cpu8) / rounds / n;
        std::printf("[ bench    ] int8:    %zu rows x %zu (%.1f MB), top-100: %.1f ns/row CPU time, "
                    "%.2f GB/s; 100K rows %.1f ms, 1M rows %.0f ms\n",
                    n, dim, n * (dim + 4) / 1e6, ns8, (dim + 4) / ns8, ns8 * 1e5 / 1e6, ns8 * 1e6 / 1e6);
    }
}
