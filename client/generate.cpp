#include "generate.hpp"

#include "core/corpus_generator.hpp"
#include "interrupt.hpp"
#include "output_file.hpp"

#include <cstdio>

namespace clara::cli {

void run_generate(const GenerateOptions &opt) {
    OutputFile out(opt.output);
    uint64_t bytes = 0;
    clara::CorpusOptions corpus;
    corpus.docs = opt.docs;
    corpus.seed = opt.seed;
    clara::generate_corpus(corpus, [&](const char *data, size_t size) {
        out.write(data, size);
        bytes += size;
        throw_if_interrupted("generate cancelled");
    });
    out.commit();
    if (opt.quiet) return;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opt.started).count();
    std::fprintf(stderr, "clara-stream generate: %llu documents (seed %llu), %.1f MB to %s in %.2f s\n",
                 static_cast<unsigned long long>(opt.docs), static_cast<unsigned long long>(opt.seed),
                 static_cast<double>(bytes) / 1e6, out.name().c_str(), seconds);
}

}  // namespace clara::cli
