#include "generate.hpp"

#include "core/arguments.hpp"
#include "generator/corpus_generator.hpp"
#include "interrupt.hpp"
#include "output_file.hpp"

#include <cstdio>
#include <memory>

namespace clara::cli {

namespace {

// One line of the ground-truth TSV. Topic names contain no tab or newline
// (they may contain '"': the file is plain TSV, no quoting).
void append_truth_line(std::string &o, const clara::CorpusDocument &doc) {
    o.append(doc.document_id);
    o.push_back('\t');
    o.append(clara::to_string(doc.quality));
    o.push_back('\t');
    o.append(doc.domain);
    o.push_back('\t');
    o.append(std::to_string(doc.topic));
    o.push_back('\t');
    o.append(clara::corpus_topic_name(doc.topic));
    o.push_back('\t');
    if (doc.duplicate_of) o.append(clara::corpus_document_id(doc.duplicate_of));
    o.push_back('\t');
    o.push_back(clara::corpus_mentions_topic(doc) ? '1' : '0');
    o.push_back('\n');
}

}  // namespace

void run_generate(const GenerateOptions &opt) {
    if (!opt.truth.empty() && opt.truth == opt.output)
        throw ArgumentError("generate: --truth and --output must differ");
    OutputFile out(opt.output);
    std::unique_ptr<OutputFile> truth;
    std::string truth_buf;
    if (!opt.truth.empty()) {
        truth = std::make_unique<OutputFile>(opt.truth);
        truth_buf = "document_id\tquality\tdomain\ttopic_id\ttopic_name\tduplicate_of\ttopic_in_text\n";
    }
    uint64_t bytes = 0;
    clara::CorpusOptions corpus;
    corpus.docs = opt.docs;
    corpus.seed = opt.seed;
    std::function<void(const clara::CorpusDocument &)> each;
    if (truth) {
        each = [&](const clara::CorpusDocument &doc) {
            append_truth_line(truth_buf, doc);
            if (truth_buf.size() >= (1u << 20)) {
                truth->write(truth_buf.data(), truth_buf.size());
                truth_buf.clear();
            }
        };
    }
    clara::generate_corpus(
        corpus,
        [&](const char *data, size_t size) {
            out.write(data, size);
            bytes += size;
            throw_if_interrupted("generate cancelled");
        },
        each);
    if (truth) {
        truth->write(truth_buf.data(), truth_buf.size());
        truth->commit();
    }
    out.commit();
    if (opt.quiet) return;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opt.started).count();
    std::fprintf(stderr, "clara-stream generate: %llu documents (seed %llu), %.1f MB to %s%s%s in %.2f s\n",
                 static_cast<unsigned long long>(opt.docs), static_cast<unsigned long long>(opt.seed),
                 static_cast<double>(bytes) / 1e6, out.name().c_str(), truth ? ", ground truth to " : "",
                 truth ? truth->name().c_str() : "", seconds);
}

}  // namespace clara::cli
