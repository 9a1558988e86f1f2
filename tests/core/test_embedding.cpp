// Hashed character n-gram embeddings: determinism, normalisation, German
// compounds and inflections, serialisation, int8 recall, speed.
#include "embedding.hpp"
#include "vector_search.hpp"

#include "core/corpus_generator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

using clara::HashedNgramEmbedder;

double dot(const std::vector<float> &a, const std::vector<float> &b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * double(b[i]);
    return s;
}

double norm(const std::vector<float> &a) { return std::sqrt(dot(a, a)); }

double cosine(HashedNgramEmbedder &e, const char *a, const char *b) { return dot(e.embed(a), e.embed(b)); }

std::vector<std::string> sample_documents(size_t n, size_t *bytes) {
    clara::CorpusGenerator gen(42);
    clara::CorpusDocument doc;
    std::vector<std::string> texts;
    *bytes = 0;
    for (uint64_t i = 1; i <= n; ++i) {
        gen.generate(i, doc);
        texts.push_back(doc.title + "\n" + doc.content);
        *bytes += texts.back().size();
    }
    return texts;
}

// CPU time of this thread: the machine may be busy with other work.
double thread_cpu_us() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

const unsigned char *bytes_of(const std::string &s) { return reinterpret_cast<const unsigned char *>(s.data()); }

}  // namespace

TEST(Embedding, GoldenValues) {
    // Fixed input -> fixed vector: a change here changes every stored
    // embedding (bump kEmbeddingRecipe).
    HashedNgramEmbedder e;
    const std::vector<float> v = e.embed("Genehmigung einer Photovoltaikanlage");
    ASSERT_EQ(v.size(), 256u);
    std::vector<std::pair<int, float>> top;
    for (int i = 0; i < 256; ++i) top.emplace_back(i, v[i]);
    std::sort(top.begin(), top.end(), [](const auto &a, const auto &b) {
        if (std::fabs(a.second) != std::fabs(b.second)) return std::fabs(a.second) > std::fabs(b.second);
        return a.first < b.first;
    });
    for (int i = 0; i < 6; ++i) std::printf("[ golden   ] v[%d] = %.9g\n", top[i].first, top[i].second);
    const std::pair<int, float> expected[] = {
        {33, 0.358619571f}, {165, 0.358619571f}, {202, 0.226810917f},
        {19, -0.200383484f}, {42, 0.200383484f},  {179, 0.200383484f},
    };
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(top[i].first, expected[i].first) << i;
        EXPECT_NEAR(top[i].second, expected[i].second, 1e-6) << i;
    }
    double checksum = 0.0;
    for (int i = 0; i < 256; ++i) checksum += (i + 1) * double(v[i]);
    std::printf("[ golden   ] checksum %.9g\n", checksum);
    EXPECT_NEAR(checksum, 119.881908, 1e-5);
    // Every bit: the arithmetic has no multiply-add the compiler could fuse
    // differently, so this holds for any x86-64 build (and any IEEE-754
    // platform).
    uint64_t h = 0xCBF29CE484222325ull;
    for (float x : v) {
        uint32_t bits;
        std::memcpy(&bits, &x, 4);
        for (int b = 0; b < 4; ++b) h = (h ^ ((bits >> (8 * b)) & 0xFF)) * 0x100000001B3ull;
    }
    std::printf("[ golden   ] bits hash %016llx\n", static_cast<unsigned long long>(h));
    EXPECT_EQ(h, 0x42cdb20f483bcd0dull);
    EXPECT_EQ(e.last_tokens(), (std::vector<std::string>{"genehmigung", "photovoltaikanlage"}));
}

TEST(Embedding, SameBitsWhateverCameBefore) {
    size_t bytes = 0;
    const auto texts = sample_documents(50, &bytes);
    HashedNgramEmbedder reused;
    for (const auto &t : texts) {
        const std::vector<float> a = reused.embed(t);
        HashedNgramEmbedder fresh;
        const std::vector<float> b = fresh.embed(t);
        ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
    }
}

TEST(Embedding, FeatureCacheDoesNotChangeResults) {
    size_t bytes = 0;
    const auto texts = sample_documents(600, &bytes);  // enough distinct words to switch the cache on
    HashedNgramEmbedder cached, uncached(clara::EmbeddingParams{}, false);
    for (int round = 0; round < 2; ++round)  // the second round hits the cache
        for (const auto &t : texts) {
            const std::vector<float> a = cached.embed(t);
            const std::vector<float> b = uncached.embed(t);
            ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
            ASSERT_EQ(cached.last_tokens(), uncached.last_tokens());
        }
}

TEST(Embedding, UnitLengthOrZero) {
    HashedNgramEmbedder e;
    size_t bytes = 0;
    for (const auto &t : sample_documents(200, &bytes)) EXPECT_NEAR(norm(e.embed(t)), 1.0, 1e-5);
    for (const char *t : {"Photovoltaik", "xy z", "Straße 2016", "Ελληνικά κείμενα", "Привет мир"})
        EXPECT_NEAR(norm(e.embed(t)), 1.0, 1e-5) << t;
    // Nothing to embed: the zero vector.
    for (const char *t : {"", "   ", "!!! ... ---", "der die das und oder", "a b c 1 2 3", "<div class=\"x\"></div>"}) {
        const std::vector<float> v = e.embed(t);
        EXPECT_EQ(norm(v), 0.0) << t;
        EXPECT_TRUE(e.last_tokens().empty()) << t;
    }
}

TEST(Embedding, TokensKeptAndFolded) {
    HashedNgramEmbedder e;
    e.embed("Die GENEHMIGUNG für <b>Bäume</b> &amp; Straßen, 2016, K, 409/16, über-Gebühr");
    // Stop words (die, für, über) and one-character tokens go; markup is
    // skipped; tokens are lower-cased (folding happens inside the hashing).
    EXPECT_EQ(e.last_tokens(), (std::vector<std::string>{"genehmigung", "bäume", "straßen", "2016", "409", "16", "gebühr"}));
    // Case and diacritics do not matter.
    EXPECT_GT(cosine(e, "GENEHMIGUNG", "genehmigung"), 0.999999);
    EXPECT_GT(cosine(e, "Gebäude", "Gebaude"), 0.999999);
    EXPECT_GT(cosine(e, "Straße", "Strasse"), 0.999999);
    EXPECT_GT(cosine(e, "Café", "cafe"), 0.999999);
}

TEST(Embedding, CompoundsAndInflectionsAreClose) {
    HashedNgramEmbedder e;
    const std::pair<const char *, const char *> close[] = {
        {"Photovoltaikanlage", "Photovoltaik"},
        {"Genehmigungen", "Genehmigung"},
        {"Baugenehmigung", "Genehmigung"},
        {"Photovoltaikanlagen", "Photovoltaikanlage"},
        {"Bebauungsplans", "Bebauungsplan"},
        {"Windenergieanlage", "Windenergie"},
        {"Bäume", "Baum"},
        {"genehmigt", "Genehmigung"},
    };
    const std::pair<const char *, const char *> unrelated[] = {
        {"Photovoltaik", "Genehmigung"},   {"Kindertagesstätte", "Photovoltaikanlage"},
        {"Baum", "Widerspruch"},           {"Bebauungsplan", "Windenergie"},
        {"Datenschutz", "Gewerbesteuer"},  {"Genehmigungen", "Abwasserbeseitigung"},
    };
    double worst_unrelated = -1.0;
    for (const auto &[a, b] : unrelated) {
        const double c = cosine(e, a, b);
        std::printf("[ cosine   ] %-20s %-20s %.3f\n", a, b, c);
        EXPECT_LT(c, 0.25) << a << " / " << b;
        worst_unrelated = std::max(worst_unrelated, c);
    }
    for (const auto &[a, b] : close) {
        const double c = cosine(e, a, b);
        std::printf("[ cosine   ] %-20s %-20s %.3f\n", a, b, c);
        EXPECT_GT(c, 0.3) << a << " / " << b;
        EXPECT_GT(c, worst_unrelated + 0.1) << a << " / " << b;
    }
    EXPECT_GT(cosine(e, "Genehmigungen", "Genehmigung"), 0.5);
    EXPECT_GT(cosine(e, "Photovoltaikanlage", "Photovoltaik"), 0.45);
}

TEST(Embedding, QueryFindsItsDocument) {
    HashedNgramEmbedder e;
    const std::vector<float> q = e.embed("Genehmigung Photovoltaikanlage");
    const double pv = dot(q, e.embed("Die Genehmigungen für die Photovoltaikanlagen auf dem Dach wurden erteilt."));
    const double kita = dot(q, e.embed("Der Betreuungsplatz in der Kindertagesstätte wurde zugewiesen."));
    const double wind = dot(q, e.embed("Die Windenergieanlage verursacht Schattenwurf auf dem Nachbargrundstück."));
    EXPECT_GT(pv, 0.4);
    EXPECT_GT(pv, kita + 0.25);
    EXPECT_GT(pv, wind + 0.25);
}

TEST(Embedding, BagOfWordsWithSublinearTf) {
    clara::EmbeddingParams p;
    p.dim = 4096;  // few collisions: the weights show through
    HashedNgramEmbedder e(p);
    const std::vector<float> ab = e.embed("Verwaltung Gericht");
    const std::vector<float> ba = e.embed("Gericht, Verwaltung.");
    EXPECT_NEAR(dot(ab, ba), 1.0, 1e-6);
    // "gericht" 4 times and "verwaltung" once: weights 1 + ln 4 and 1 for two
    // (nearly orthogonal) unit token vectors.
    const std::vector<float> doc = e.embed("Gericht Gericht Verwaltung Gericht Gericht");
    const double w = 1.0 + std::log(4.0);
    const double g = dot(doc, e.embed("Gericht"));
    const double v = dot(doc, e.embed("Verwaltung"));
    EXPECT_NEAR(g, w / std::sqrt(w * w + 1.0), 0.03);
    EXPECT_NEAR(v, 1.0 / std::sqrt(w * w + 1.0), 0.03);
    // Repeating the whole text changes nothing but the weights' scale.
    EXPECT_GT(dot(e.embed("Gericht"), e.embed("Gericht Gericht Gericht")), 0.999999);
}

TEST(Embedding, NumbersAreExactFeatures) {
    clara::EmbeddingParams p;
    p.dim = 4096;
    HashedNgramEmbedder e(p);
    EXPECT_LT(std::fabs(cosine(e, "2016", "2017")), 0.1);
    EXPECT_GT(cosine(e, "2016", "2016"), 0.999999);
    // Letters and digits mixed are words: n-grams apply.
    EXPECT_GT(cosine(e, "covid19", "covid20"), 0.3);
}

TEST(Embedding, Params) {
    EXPECT_TRUE(clara::valid_embedding_params(clara::EmbeddingParams{}));
    EXPECT_FALSE(clara::valid_embedding_params(clara::EmbeddingParams{0, 3, 5, 0.25f}));
    EXPECT_FALSE(clara::valid_embedding_params(clara::EmbeddingParams{256, 4, 3, 0.25f}));
    EXPECT_FALSE(clara::valid_embedding_params(clara::EmbeddingParams{256, 3, 9, 0.25f}));
    EXPECT_FALSE(clara::valid_embedding_params(clara::EmbeddingParams{256, 3, 5, 1.5f}));
    EXPECT_FALSE(clara::valid_embedding_params(clara::EmbeddingParams{70000, 3, 5, 0.25f}));
    for (uint32_t dim : {1u, 7u, 1024u}) {
        HashedNgramEmbedder e(clara::EmbeddingParams{dim, 3, 5, 0.25f});
        const std::vector<float> v = e.embed("Photovoltaikanlage");
        EXPECT_EQ(v.size(), dim);
        EXPECT_NEAR(norm(v), 1.0, 1e-5);
    }
    // Only whole words, or only n-grams.
    HashedNgramEmbedder words(clara::EmbeddingParams{4096, 3, 5, 1.0f});
    EXPECT_LT(std::fabs(cosine(words, "Genehmigungen", "Genehmigung")), 0.1);
    HashedNgramEmbedder grams(clara::EmbeddingParams{4096, 3, 5, 0.0f});
    EXPECT_GT(cosine(grams, "Genehmigungen", "Genehmigung"), 0.7);
}

TEST(Embedding, AnyBytesAreSafe) {
    HashedNgramEmbedder e;
    uint64_t x = 12345;
    std::string s;
    for (int doc = 0; doc < 300; ++doc) {
        s.clear();
        const size_t len = doc * 37 % 3000;
        for (size_t i = 0; i < len; ++i) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            s.push_back(static_cast<char>(x >> 56));
        }
        const double n = norm(e.embed(s));
        EXPECT_TRUE(n == 0.0 || std::fabs(n - 1.0) < 1e-5);
    }
    // A very long token (dropped beyond 2047 bytes) and many distinct tokens
    // (the table grows).
    EXPECT_EQ(norm(e.embed(std::string(5000, 'a'))), 0.0);
    std::string many;
    for (int i = 0; i < 20000; ++i) many += "w" + std::to_string(i) + "x ";
    EXPECT_NEAR(norm(e.embed(many)), 1.0, 1e-5);
    EXPECT_EQ(e.last_tokens().size(), 20000u);
}

TEST(EmbeddingEncoding, Float32LittleEndian) {
    const float v[2] = {1.0f, -2.5f};
    std::string out;
    clara::encode_embedding(v, 2, clara::EmbeddingFormat::kFloat32, out);
    const unsigned char expected[] = {'E', 1, 2, 0, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0};
    ASSERT_EQ(out.size(), sizeof expected);
    EXPECT_EQ(0, std::memcmp(out.data(), expected, sizeof expected));
    EXPECT_EQ(clara::encoded_embedding_size(256, clara::EmbeddingFormat::kFloat32), 1028u);
    EXPECT_EQ(clara::encoded_embedding_size(256, clara::EmbeddingFormat::kInt8), 264u);
}

TEST(EmbeddingEncoding, RoundTrips) {
    HashedNgramEmbedder e;
    const std::vector<float> v = e.embed("Die Genehmigung der Photovoltaikanlage wurde erteilt.");
    std::string f32, i8;
    clara::encode_embedding(v.data(), 256, clara::EmbeddingFormat::kFloat32, f32);
    clara::encode_embedding(v.data(), 256, clara::EmbeddingFormat::kInt8, i8);
    EXPECT_EQ(f32.size(), 1028u);
    EXPECT_EQ(i8.size(), 264u);
    uint32_t dim = 0;
    ASSERT_TRUE(clara::embedding_dim(bytes_of(i8), i8.size(), &dim));
    EXPECT_EQ(dim, 256u);
    std::vector<float> a(256), b(256);
    ASSERT_TRUE(clara::decode_embedding(bytes_of(f32), f32.size(), 256, a.data()));
    EXPECT_EQ(0, std::memcmp(a.data(), v.data(), 256 * sizeof(float)));
    ASSERT_TRUE(clara::decode_embedding(bytes_of(i8), i8.size(), 256, b.data()));
    float max_abs = 0.0f;
    for (float x : v) max_abs = std::max(max_abs, std::fabs(x));
    for (int i = 0; i < 256; ++i) EXPECT_LE(std::fabs(b[i] - v[i]), max_abs / 127.0f / 2.0f * 1.001f) << i;
    EXPECT_NEAR(dot(b, v), 1.0, 5e-3);
    // Zero vector.
    const std::vector<float> z(4, 0.0f);
    std::string zs;
    clara::encode_embedding(z.data(), 4, clara::EmbeddingFormat::kInt8, zs);
    std::vector<float> zd(4, 9.0f);
    ASSERT_TRUE(clara::decode_embedding(bytes_of(zs), zs.size(), 4, zd.data()));
    EXPECT_EQ(zd, z);
}

TEST(EmbeddingEncoding, RejectsMalformed) {
    const float v[3] = {0.5f, 0.5f, -0.5f};
    std::string good;
    clara::encode_embedding(v, 3, clara::EmbeddingFormat::kFloat32, good);
    float out[3] = {7, 7, 7};
    uint32_t dim;
    EXPECT_FALSE(clara::decode_embedding(bytes_of(good), good.size(), 4, out));  // other dim
    EXPECT_FALSE(clara::decode_embedding(bytes_of(good), good.size() - 1, 3, out));
    EXPECT_FALSE(clara::embedding_dim(bytes_of(good), 3, &dim));
    EXPECT_FALSE(clara::embedding_dim(nullptr, 0, &dim));
    std::string bad = good;
    bad[0] = 'X';
    EXPECT_FALSE(clara::decode_embedding(bytes_of(bad), bad.size(), 3, out));
    bad = good;
    bad[1] = 3;  // unknown format
    EXPECT_FALSE(clara::decode_embedding(bytes_of(bad), bad.size(), 3, out));
    bad = good + "x";
    EXPECT_FALSE(clara::decode_embedding(bytes_of(bad), bad.size(), 3, out));
    EXPECT_EQ(out[0], 7.0f);
    EXPECT_TRUE(clara::decode_embedding(bytes_of(good), good.size(), 3, out));
    EXPECT_EQ(out[2], -0.5f);
}

// The in-place view the extension's scan uses agrees with decoding.
TEST(EmbeddingEncoding, Int8ViewMatchesDecode) {
    HashedNgramEmbedder e;
    const std::vector<float> v = e.embed("Bebauungsplan und Abstandsflächen einer Grenzgarage");
    std::string i8, f32;
    clara::encode_embedding(v.data(), 256, clara::EmbeddingFormat::kInt8, i8);
    clara::encode_embedding(v.data(), 256, clara::EmbeddingFormat::kFloat32, f32);
    float scale = 0.0f;
    const int8_t *q = nullptr;
    ASSERT_TRUE(clara::view_int8_embedding(bytes_of(i8), i8.size(), 256, &scale, &q));
    std::vector<float> decoded(256);
    ASSERT_TRUE(clara::decode_embedding(bytes_of(i8), i8.size(), 256, decoded.data()));
    for (int i = 0; i < 256; ++i) EXPECT_EQ(decoded[i], scale * static_cast<float>(q[i])) << i;
    EXPECT_FALSE(clara::view_int8_embedding(bytes_of(i8), i8.size(), 128, &scale, &q));       // other dim
    EXPECT_FALSE(clara::view_int8_embedding(bytes_of(f32), f32.size(), 256, &scale, &q));     // float32
    EXPECT_FALSE(clara::view_int8_embedding(bytes_of(i8), i8.size() - 1, 256, &scale, &q));  // truncated
}

// int8 storage keeps the exact scan's top 10 (and top 100): queries are the
// titles of generated documents, the corpus their contents. Scanned both as
// decoded floats and directly as int8 rows (TopKScanner::scan_int8).
TEST(EmbeddingEncoding, Int8KeepsTopKRecall) {
    const size_t n_docs = 3000, n_queries = 100;
    clara::CorpusGenerator gen(7);
    clara::CorpusDocument doc;
    HashedNgramEmbedder e;
    std::vector<float> f32(n_docs * 256), i8(n_docs * 256), scales(n_docs);
    std::vector<int8_t> raw(n_docs * 256);
    std::vector<uint32_t> keys(n_docs);
    std::vector<std::string> titles;
    std::string buf;
    for (size_t i = 0; i < n_docs; ++i) {
        gen.generate(i + 1, doc);
        e.embed(doc.content, &f32[i * 256]);
        buf.clear();
        clara::encode_embedding(&f32[i * 256], 256, clara::EmbeddingFormat::kInt8, buf);
        ASSERT_TRUE(clara::decode_embedding(bytes_of(buf), buf.size(), 256, &i8[i * 256]));
        std::memcpy(&scales[i], buf.data() + clara::kEmbeddingHeaderBytes, 4);  // little-endian host
        std::memcpy(&raw[i * 256], buf.data() + clara::kEmbeddingHeaderBytes + 4, 256);
        keys[i] = uint32_t(i);
        if (titles.size() < n_queries && i % 7 == 0) titles.push_back(doc.title);
    }
    clara::TopKScanner s;
    for (size_t k : {10, 100}) {
        size_t same = 0, same_raw = 0;
        for (const auto &t : titles) {
            const std::vector<float> q = e.embed(t);
            s.reset(q.data(), 256, k);
            s.scan(f32.data(), keys.data(), n_docs);
            const auto exact = s.take_ranked();
            s.reset(q.data(), 256, k);
            s.scan(i8.data(), keys.data(), n_docs);
            const auto quant = s.take_ranked();
            s.reset(q.data(), 256, k);
            s.scan_int8(raw.data(), scales.data(), keys.data(), n_docs);
            const auto direct = s.take_ranked();
            for (const auto &a : exact) {
                for (const auto &b : quant) same += a.doc_key == b.doc_key;
                for (const auto &b : direct) same_raw += a.doc_key == b.doc_key;
            }
        }
        const double recall = double(same) / double(k * titles.size());
        const double recall_raw = double(same_raw) / double(k * titles.size());
        std::printf("[ int8     ] top-%zu overlap with float32 over %zu queries, %zu docs: decoded %.4f, scan_int8 %.4f\n",
                    k, titles.size(), n_docs, recall, recall_raw);
        EXPECT_GE(recall, 0.97);
        EXPECT_GE(recall_raw, 0.97);
    }
}

// Not a correctness test: prints the embedder's speed on generated German
// documents, normalised to 2 KB of text.
TEST(EmbeddingBenchmark, MicrosecondsPer2KB) {
    size_t bytes = 0;
    const auto texts = sample_documents(2000, &bytes);
    HashedNgramEmbedder e;
    std::vector<float> out(e.dim());
    for (const auto &t : texts) e.embed(t, out.data());  // warm up
    const int rounds = 3;
    const double cpu_start = thread_cpu_us();
    const auto start = std::chrono::steady_clock::now();
    float sink = 0.0f;
    for (int r = 0; r < rounds; ++r)
        for (const auto &t : texts) {
            e.embed(t, out.data());
            sink += out[0];
        }
    const double wall =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / rounds;
    const double us = (thread_cpu_us() - cpu_start) / rounds;
    std::printf("[ bench    ] %zu docs, %.0f bytes/doc: %.2f us/doc, %.2f us per 2 KB (CPU time; wall %.2f), "
                "%.1f MB/s (%g)\n",
                texts.size(), double(bytes) / texts.size(), us / texts.size(), us / bytes * 2048,
                wall / bytes * 2048, bytes / us, double(sink) * 0);
}
