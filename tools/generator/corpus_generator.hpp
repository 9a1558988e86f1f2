// Deterministic sample corpus: German administrative-law documents (plus ~5 %
// English EU directive summaries) with deliberate quality variety, written as
// JSONL in the `clara-stream load` input format.
//
// Pure C++17, standard library only. Byte-identical output for the same
// (docs, seed) on every platform: own PRNG (splitmix64), integer-only
// decisions, no <random> distributions.
//
// Document i (1-based, id "doc-%07d") depends only on (seed, i): the first K
// lines of an N-document corpus equal a K-document corpus. Near-duplicates and
// citations only refer to documents with a smaller index.
//
// A fixtures library (tools/generator/), not client logic: `clara-stream
// generate` writes it, the core tests and the benchmark's corpora use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace clara {

struct CorpusOptions {
    uint64_t docs = 1000;
    uint64_t seed = 42;
};

// Designed quality mix (per mille, drawn per document from its own stream):
//   good 750, boilerplate 80, near_duplicate 70, stub 50, garbage 50.
enum class DocQuality : uint8_t { good, boilerplate, near_duplicate, stub, garbage };
const char *to_string(DocQuality q);

// One generated document. Reuse one instance across calls: strings keep their
// capacity. Only the fields from document_id to citations go into the JSON
// line; `quality`, `duplicate_of` and `topic` are the generator's ground truth
// (for tests, quality-score and ranking evaluation) and are not written.
struct CorpusDocument {
    uint64_t index = 0;
    DocQuality quality = DocQuality::good;
    uint64_t duplicate_of = 0;  // index of the base document of a near-duplicate, else 0
    // The subject the document was generated about: a global topic number in
    // [0, corpus_topic_count()), see corpus_topic_name(). A near-duplicate has
    // its base's topic. Every class gets one, but only good, near-duplicate and
    // boilerplate texts are written about it: a stub names it at most in its
    // title, garbage never recognisably.
    uint32_t topic = 0;
    std::string document_id, title, content, domain, document_type, source, created_at;
    // metadata: always the same keys with the same JSON types; "" when absent.
    std::string aktenzeichen, gericht, behoerde, language;
    int64_t year = 0, pages = 0;
    std::vector<uint64_t> citations;  // indices of cited documents, all < index
};

class CorpusGenerator {
public:
    explicit CorpusGenerator(uint64_t seed) : seed_(seed) {}
    // index is 1-based.
    DocQuality quality_of(uint64_t index) const;
    void generate(uint64_t index, CorpusDocument &doc) const;
    uint64_t seed() const { return seed_; }

private:
    uint64_t seed_;
};

// The topics, numbered German ones first (domain by domain, in table order),
// then the EU acts of the English summaries. Two German topics of different
// domains may share a name ("Photovoltaikanlage auf einem Baudenkmal" is an
// energy-law and a monument-law topic).
uint32_t corpus_topic_count();
// The topic's name as it appears in titles ("Photovoltaikanlage auf einem
// Carport"; for English topics the act's title); "" when out of range.
const char *corpus_topic_name(uint32_t topic);
// The domain of a topic ("baurecht"); "" when out of range.
const char *corpus_topic_domain(uint32_t topic);
// Whether the document's title or content names its topic verbatim (in the
// nominative or genitive form the texts use). True for every good,
// near-duplicate and boilerplate document except some laws and ordinances
// (their titles are the law's name; the topic comes up in some paragraphs
// only); for stubs only through the title; never for garbage.
bool corpus_mentions_topic(const CorpusDocument &doc);

// "doc-0000042" (at least 7 digits).
std::string corpus_document_id(uint64_t index);
// Appends one JSON object and '\n'. Key order:
// document_id, title, content, domain, document_type, source, created_at,
// metadata {aktenzeichen, gericht, behoerde, language, year, pages}, citations.
void append_corpus_json_line(std::string &out, const CorpusDocument &doc);

// Calls sink with chunks of about 4 MB (each a whole number of lines); each,
// if set, with every document in order, before its line reaches sink.
void generate_corpus(const CorpusOptions &opt, const std::function<void(const char *, std::size_t)> &sink,
                     const std::function<void(const CorpusDocument &)> &each = nullptr);
// Writes the corpus to out; stops early if out goes bad (the caller checks).
void generate_corpus(std::ostream &out, const CorpusOptions &opt);

}  // namespace clara
