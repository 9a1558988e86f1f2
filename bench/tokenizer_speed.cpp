// Tokens per second of a model tokenizer (core/model_tokenizer.hpp) on the
// benchmark's generated corpus, without PostgreSQL: what a chunked export
// spends per document. Prints the time to read the file, then per pass
// (count, encode, token_ends, chunk_text as the export calls it) the best
// of --runs (thread CPU time) and a checksum of the ids, so two builds can be compared on
// the same machine at the same moment (same checksum = same ids).
//
//   make build/tokenizer_speed
//   build/tokenizer_speed ~/.cache/clara/tokref/files/llama3.json [docs] [runs] [cache slots]
//
// The first count pass starts with an empty piece cache (a backend's first
// export); the best of --runs is a warm one. Cache slots 0 turns the
// cache off (the ids stay the same: compare the checksums).
#include "bpe.hpp"
#include "chunk.hpp"
#include "generator/corpus_generator.hpp"
#include "model_tokenizer.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <time.h>

namespace {

// CPU time of this thread: on a shared machine (other builds, the lead's
// measurements) wall time says more about the neighbours than the code.
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <typename Pass>
double best_of(int runs, Pass &&pass) {
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        const double t0 = cpu_seconds();
        pass();
        best = std::min(best, cpu_seconds() - t0);
    }
    return best;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s TOKENIZER_FILE [DOCS=2000] [RUNS=3] [CACHE_SLOTS]\n", argv[0]);
        return 2;
    }
    const uint64_t docs = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2000;
    const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
    std::ifstream in(argv[1], std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (file.empty()) {
        std::fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[1]);
        return 1;
    }
    const double t0 = cpu_seconds();
    std::unique_ptr<clara::ModelTokenizer> t = clara::load_tokenizer(file);
    const double load = cpu_seconds() - t0;

    clara::CorpusGenerator gen(42);
    clara::CorpusDocument doc;
    std::vector<std::string> texts;
    size_t bytes = 0;
    for (uint64_t i = 1; i <= docs; i++) {
        gen.generate(i, doc);
        texts.push_back(doc.content);
        bytes += doc.content.size();
    }
    std::printf("%s: %s/%s, vocabulary %zu, read in %.3f s; %llu documents, %.1f MB\n", argv[1], t->kind(),
                t->pattern(), t->vocabulary_size(), load, static_cast<unsigned long long>(docs), bytes / 1e6);

    auto *bpe = dynamic_cast<clara::BpeTokenizer *>(t.get());
    if (bpe != nullptr && argc > 4) bpe->piece_cache().resize(std::strtoull(argv[4], nullptr, 10));
    size_t tokens = 0;
    const double cold_s = best_of(1, [&] {
        for (const std::string &s : texts) tokens += t->count(s);
    });
    if (bpe != nullptr) {
        const clara::PieceCache::Stats &c = bpe->piece_cache().stats();
        const unsigned long long lookups = c.hits + c.misses, evictions = c.evictions;
        std::printf(
            "cold count: %.3f s, %.2fM tokens/s; piece cache of %zu slots: %.1f %% of %llu lookups hit, "
            "%llu evictions\n",
            cold_s, tokens / cold_s / 1e6, bpe->piece_cache().slots(),
            100.0 * static_cast<double>(c.hits) / static_cast<double>(std::max(1ull, lookups)), lookups, evictions);
    }
    uint64_t checksum = 1469598103934665603ull;  // FNV-1a over the ids
    std::vector<uint32_t> ids;
    const double count_s = best_of(runs, [&] {
        tokens = 0;
        for (const std::string &s : texts) tokens += t->count(s);
    });
    const double encode_s = best_of(runs, [&] {
        checksum = 1469598103934665603ull;
        for (const std::string &s : texts) {
            ids.clear();
            t->encode(s, ids);
            for (uint32_t id : ids) checksum = (checksum ^ id) * 1099511628211ull;
        }
    });
    std::vector<uint32_t> ends;
    const double ends_s = best_of(runs, [&] {
        for (const std::string &s : texts) {
            ends.clear();
            t->token_ends(s, ends);
        }
    });
    size_t chunks = 0;
    const double chunk_s = best_of(runs, [&] {
        chunks = 0;
        for (const std::string &s : texts)
            chunks += clara::chunk_text(
                          s, 2048, 0, [&](std::string_view x) { return t->count(x); },
                          [&](std::string_view x, std::vector<uint32_t> &e) { t->token_ends(x, e); })
                          .size();
    });
    auto rate = [&](double s) { return tokens / s / 1e6; };
    std::printf("tokens %zu (ids checksum %016llx), best of %d:\n", tokens, static_cast<unsigned long long>(checksum),
                runs);
    std::printf("  count      %7.3f s  %6.2fM tokens/s\n", count_s, rate(count_s));
    std::printf("  encode     %7.3f s  %6.2fM tokens/s\n", encode_s, rate(encode_s));
    std::printf("  token_ends %7.3f s  %6.2fM tokens/s\n", ends_s, rate(ends_s));
    std::printf("  chunk 2048 %7.3f s  %6.2fM tokens/s  %.0f documents/s (%zu chunks)\n", chunk_s, rate(chunk_s),
                docs / chunk_s, chunks);
    return 0;
}
