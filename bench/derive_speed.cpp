// What deriving a document's columns costs without PostgreSQL: each stage
// the load's triggers run per document (core code only), timed over a JSONL
// corpus, so the bulk-load rate can be read against what one core can
// derive at all. Prints per stage the best of --runs (thread CPU time), as
// ns per byte of text and MB/s, and a checksum of the stage's output, so two
// builds can be compared on the same machine at the same moment (same
// checksum = same output). Exits 3 when a stage's output differs between
// its runs (a cold cache against a warm one): tests/integration/bench_tools.sh.
//
//   make build/derive_speed
//   build/derive_speed ~/.cache/clara/realsets/de-manpages/corpus.jsonl [runs]
//
// Stages, as extension/derive.cpp and extension/index.cpp call them: the
// tokenizer (words, stop words, German stems) over title and content; the
// term index (tsvector layout, term frequencies); the quality signals with
// their JSON; the duplicate signature; the lead's character 4-grams. Not
// here: SHA-256 of the content, building the tsvector and jsonb datums, and
// everything PostgreSQL does to store the row and the postings.
#include "dedup.hpp"
#include "ngram.hpp"
#include "quality.hpp"
#include "term_index.hpp"
#include "tokenizer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include <time.h>

namespace {

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Document {
    std::string title, content;
};

// FNV-1a over a value's bytes, folded into a running checksum.
uint64_t mix(uint64_t h, const void *data, size_t len) {
    const auto *p = static_cast<const unsigned char *>(data);
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

template <typename T>
uint64_t mix_value(uint64_t h, const T &v) {
    return mix(h, &v, sizeof v);
}

struct Stage {
    const char *name;
    double seconds = 1e30;
    uint64_t checksum = 0;
    bool stable = true;  // every run gave the first run's output
};

// The first run is a cold one (the tokenizer's word cache fills as it
// goes); the later ones are warm: their output must not differ.
template <typename Pass>
void time_stage(Stage &stage, int runs, Pass &&pass) {
    for (int r = 0; r < runs; r++) {
        const double t0 = cpu_seconds();
        const uint64_t sum = pass();
        stage.seconds = std::min(stage.seconds, cpu_seconds() - t0);
        if (r > 0 && sum != stage.checksum) stage.stable = false;
        stage.checksum = sum;
    }
}

}  // namespace

int run(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s corpus.jsonl [runs]\n", argv[0]);
        return 2;
    }
    const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
    if (runs < 1) {
        std::fprintf(stderr, "derive_speed: runs must be at least 1\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::fprintf(stderr, "derive_speed: cannot read %s\n", argv[1]);
        return 1;
    }
    std::vector<Document> docs;
    size_t bytes = 0;
    std::string line;
    for (size_t number = 1; std::getline(in, line); number++) {
        if (line.empty()) continue;
        nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("content") || !j["content"].is_string()) {
            std::fprintf(stderr, "derive_speed: line %zu is not a document with a string content\n", number);
            return 1;
        }
        Document d;
        d.content = j["content"].get<std::string>();
        if (j.contains("title") && j["title"].is_string()) d.title = j["title"].get<std::string>();
        bytes += d.title.size() + d.content.size();
        docs.push_back(std::move(d));
    }
    if (docs.empty()) {
        std::fprintf(stderr, "derive_speed: no documents in %s\n", argv[1]);
        return 1;
    }

    clara::Tokenizer tokenizer;
    clara::LexemeList lexemes;
    clara::TermIndex index;
    clara::GramExtractor grams;
    std::vector<clara::GramCount> doc_grams;
    std::string json;
    std::vector<size_t> title_ends(docs.size());

    Stage stages[] = {{"tokenize"}, {"term index"}, {"quality + JSON"}, {"dedup signature"}, {"lead 4-grams"}};
    time_stage(stages[0], runs, [&] {
        uint64_t h = 14695981039346656037ULL;
        for (size_t i = 0; i < docs.size(); i++) {
            lexemes.clear();
            tokenizer.tokenize(docs[i].title, lexemes);
            title_ends[i] = lexemes.size();
            tokenizer.tokenize(docs[i].content, lexemes);
            h = mix(h, lexemes.arena.data(), lexemes.arena.size());
        }
        return h;
    });
    // The term index reads each document's lexemes: kept from one
    // tokenizing pass, outside the clock.
    std::vector<clara::LexemeList> all(docs.size());
    for (size_t i = 0; i < docs.size(); i++) {
        tokenizer.tokenize(docs[i].title, all[i]);
        tokenizer.tokenize(docs[i].content, all[i]);
    }
    time_stage(stages[1], runs, [&] {
        uint64_t h = 14695981039346656037ULL;
        for (size_t i = 0; i < docs.size(); i++) {
            clara::build_term_index(all[i], title_ends[i], index);
            for (const clara::TermEntry &t : index.terms) h = mix_value(mix_value(h, t.tf), t.npos);
        }
        return h;
    });
    time_stage(stages[2], runs, [&] {
        uint64_t h = 14695981039346656037ULL;
        for (const Document &d : docs) {
            clara::QualityInput q;
            q.title = d.title;
            q.content = d.content;
            q.metadata_fields_present = 5;
            clara::QualitySignals s = clara::assess_quality(q);
            json.clear();
            clara::append_quality_signals_json(json, s);
            h = mix(h, json.data(), json.size());
        }
        return h;
    });
    time_stage(stages[3], runs, [&] {
        uint64_t h = 14695981039346656037ULL;
        for (const Document &d : docs) {
            clara::DedupSignature s = clara::dedup_signature(d.content);
            h = mix_value(mix_value(h, s.exact), s.shingles);
        }
        return h;
    });
    time_stage(stages[4], runs, [&] {
        uint64_t h = 14695981039346656037ULL;
        for (const Document &d : docs) {
            const uint32_t length = grams.document(d.title, d.content, doc_grams);
            h = mix_value(mix_value(h, length), doc_grams.size());
        }
        return h;
    });
    std::printf("%zu documents, %.1f MB of title and content (%.0f bytes average), best of %d runs, thread CPU\n",
                docs.size(), static_cast<double>(bytes) / 1e6, static_cast<double>(bytes) / docs.size(), runs);
    std::printf("%-16s %10s %8s %10s %8s  %s\n", "stage", "seconds", "ns/byte", "us/doc", "MB/s", "checksum");
    double total = 0;
    bool stable = true;
    for (const Stage &s : stages) {
        total += s.seconds;
        stable = stable && s.stable;
        std::printf("%-16s %10.3f %8.1f %10.1f %8.1f  %016llx\n", s.name, s.seconds, 1e9 * s.seconds / bytes,
                    1e6 * s.seconds / docs.size(), bytes / s.seconds / 1e6,
                    static_cast<unsigned long long>(s.checksum));
    }
    std::printf("%-16s %10.3f %8.1f %10.1f %8.1f\n", "all stages", total, 1e9 * total / bytes,
                1e6 * total / docs.size(), bytes / total / 1e6);
    for (const Stage &s : stages)
        if (!s.stable)
            std::fprintf(stderr, "derive_speed: %s: a later run's output differs from the first's\n", s.name);
    return stable ? 0 : 3;
}

int main(int argc, char **argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception &e) {  // bad_alloc, a JSON value of an unexpected type
        std::fprintf(stderr, "derive_speed: %s\n", e.what());
        return 1;
    }
}
