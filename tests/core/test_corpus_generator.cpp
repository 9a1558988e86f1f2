// Tests for the deterministic sample corpus generator (tools/generator/corpus_generator.*).
#include "generator/corpus_generator.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

using clara::CorpusDocument;
using clara::CorpusGenerator;
using clara::CorpusOptions;
using clara::DocQuality;
using nlohmann::json;

std::string corpus(uint64_t docs, uint64_t seed) {
    std::ostringstream os;
    clara::generate_corpus(os, CorpusOptions{docs, seed});
    return os.str();
}

std::vector<std::string> split_lines(const std::string &s) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < s.size()) {
        std::size_t nl = s.find('\n', start);
        if (nl == std::string::npos) {
            lines.push_back(s.substr(start));  // unterminated: a bug the tests catch
            break;
        }
        lines.push_back(s.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

// One shared 5000-document corpus for the structural tests.
const std::string &shared_corpus() {
    static const std::string c = corpus(5000, 42);
    return c;
}
const std::vector<json> &shared_docs() {
    static const std::vector<json> docs = [] {
        std::vector<json> v;
        for (const auto &line : split_lines(shared_corpus())) v.push_back(json::parse(line));
        return v;
    }();
    return docs;
}

uint32_t word_count(const std::string &s) {
    uint32_t n = 0;
    bool in = false;
    for (char ch : s) {
        bool sp = ch == ' ' || ch == '\n' || ch == '\t';
        if (!sp && !in) ++n;
        in = !sp;
    }
    return n;
}

bool valid_utf8(const std::string &s) {
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : std::string::npos;
        if (n == std::string::npos || i + n >= s.size()) return false;
        for (std::size_t k = 1; k <= n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
        i += n + 1;
    }
    return true;
}

// YYYY-MM-DDTHH:MM:SSZ (no std::regex: GCC 12 warns inside it under -O1 sanitizer builds).
bool is_iso_utc(const std::string &s) {
    const char *pattern = "dddd-dd-ddTdd:dd:ddZ";
    if (s.size() != std::strlen(pattern)) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (pattern[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != pattern[i]) return false;
    }
    return std::stoi(s.substr(11, 2)) < 24 && std::stoi(s.substr(14, 2)) < 60 && std::stoi(s.substr(17, 2)) < 60;
}

// Word 3-shingles, for near-duplicate similarity.
std::set<std::string> shingles(const std::string &s) {
    std::vector<std::string> w;
    std::string cur;
    for (char ch : s) {
        if (ch == ' ' || ch == '\n') {
            if (!cur.empty()) w.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(ch);
        }
    }
    if (!cur.empty()) w.push_back(cur);
    std::set<std::string> out;
    for (std::size_t i = 0; i + 2 < w.size(); ++i) out.insert(w[i] + ' ' + w[i + 1] + ' ' + w[i + 2]);
    return out;
}

double jaccard(const std::set<std::string> &a, const std::set<std::string> &b) {
    std::size_t inter = 0;
    for (const auto &x : a) inter += b.count(x);
    std::size_t uni = a.size() + b.size() - inter;
    return uni ? static_cast<double>(inter) / static_cast<double>(uni) : 1.0;
}

TEST(CorpusGenerator, SameSeedSameBytes) {
    EXPECT_EQ(corpus(500, 7), corpus(500, 7));
    EXPECT_EQ(corpus(500, 42), corpus(500, 42));
}

TEST(CorpusGenerator, DifferentSeedDifferentCorpus) {
    auto a = split_lines(corpus(200, 7));
    auto b = split_lines(corpus(200, 8));
    ASSERT_EQ(a.size(), 200u);
    ASSERT_EQ(b.size(), 200u);
    // Nearly every line differs (ids coincide, content does not).
    int same = 0;
    for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
    EXPECT_LT(same, 5);
}

TEST(CorpusGenerator, PrefixProperty) {
    const std::string small = corpus(300, 42);
    const std::string big = corpus(3000, 42);
    ASSERT_GT(big.size(), small.size());
    EXPECT_EQ(big.compare(0, small.size(), small), 0);
}

TEST(CorpusGenerator, CallbackAndStreamFormsAgree) {
    std::string via_sink;
    std::size_t calls = 0;
    clara::generate_corpus(CorpusOptions{400, 3}, [&](const char *p, std::size_t n) {
        via_sink.append(p, n);
        ++calls;
    });
    EXPECT_EQ(via_sink, corpus(400, 3));
    EXPECT_GE(calls, 1u);
    // Chunks are whole lines.
    clara::generate_corpus(CorpusOptions{3000, 3}, [&](const char *p, std::size_t n) {
        ASSERT_GT(n, 0u);
        EXPECT_EQ(p[n - 1], '\n');
    });
}

TEST(CorpusGenerator, ZeroDocsIsEmpty) { EXPECT_EQ(corpus(0, 42), ""); }

TEST(CorpusGenerator, EveryLineIsOneJsonObjectWithTheContractKeys) {
    const std::string &text = shared_corpus();
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    auto lines = split_lines(text);
    ASSERT_EQ(lines.size(), 5000u);
    EXPECT_TRUE(valid_utf8(text));

    const std::vector<std::string> keys = {"document_id", "title",      "content",  "domain",   "document_type",
                                           "source",      "created_at", "metadata", "citations"};
    const std::set<std::string> domains = {"verwaltungsrecht", "baurecht",           "umweltrecht", "energierecht",
                                           "planungsrecht",    "denkmalschutzrecht", "wasserrecht", "kommunalrecht"};
    const std::set<std::string> types = {"urteil",   "beschluss", "gesetz",    "verordnung",
                                         "bescheid", "kommentar", "merkblatt", "richtlinie"};
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string &line = lines[i];
        ASSERT_EQ(line.find('\r'), std::string::npos);
        for (char ch : line) ASSERT_GE(static_cast<unsigned char>(ch), 0x20u) << "raw control char in line " << i + 1;
        const json &d = shared_docs()[i];
        ASSERT_TRUE(d.is_object());
        // Exactly the contract keys, in order.
        std::vector<std::string> got;
        for (auto it = d.begin(); it != d.end(); ++it) got.push_back(it.key());
        std::vector<std::string> sorted_keys = keys;
        std::sort(sorted_keys.begin(), sorted_keys.end());
        ASSERT_EQ(got, sorted_keys) << "line " << i + 1;  // nlohmann sorts keys
        ASSERT_EQ(line.rfind("{\"document_id\":", 0), 0u);
        for (const char *k : {"document_id", "title", "content", "domain", "document_type", "source", "created_at"})
            ASSERT_TRUE(d[k].is_string()) << k;
        ASSERT_TRUE(d["metadata"].is_object());
        ASSERT_TRUE(d["citations"].is_array());
        EXPECT_TRUE(domains.count(d["domain"].get<std::string>())) << d["domain"];
        EXPECT_TRUE(types.count(d["document_type"].get<std::string>())) << d["document_type"];
        EXPECT_FALSE(d["source"].get<std::string>().empty());
        std::string ts = d["created_at"].get<std::string>();
        ASSERT_TRUE(is_iso_utc(ts)) << ts;
        int year = std::stoi(ts.substr(0, 4)), month = std::stoi(ts.substr(5, 2)), day = std::stoi(ts.substr(8, 2));
        EXPECT_GE(year, 2000);
        EXPECT_LE(year, 2025);
        EXPECT_GE(month, 1);
        EXPECT_LE(month, 12);
        EXPECT_GE(day, 1);
        EXPECT_LE(day, 31);
        EXPECT_EQ(d["metadata"]["year"].get<int>(), year);
    }
}

TEST(CorpusGenerator, ContentHasParagraphsAndEscapesRoundTrip) {
    CorpusGenerator gen(42);
    CorpusDocument doc;
    int with_paragraphs = 0, good = 0;
    for (uint64_t i = 1; i <= 500; ++i) {
        gen.generate(i, doc);
        std::string line;
        clara::append_corpus_json_line(line, doc);
        ASSERT_EQ(line.back(), '\n');
        ASSERT_EQ(line.find('\n'), line.size() - 1);
        json j = json::parse(line);
        ASSERT_EQ(j["content"].get<std::string>(), doc.content);
        ASSERT_EQ(j["title"].get<std::string>(), doc.title);
        if (doc.quality == DocQuality::good) {
            ++good;
            with_paragraphs += doc.content.find("\n\n") != std::string::npos;
        }
    }
    EXPECT_EQ(with_paragraphs, good);
}

TEST(CorpusGenerator, UniqueIds) {
    std::unordered_set<std::string> ids;
    uint64_t i = 0;
    for (const json &d : shared_docs()) {
        ++i;
        std::string id = d["document_id"].get<std::string>();
        EXPECT_TRUE(ids.insert(id).second) << id;
        EXPECT_EQ(id, clara::corpus_document_id(i));
    }
    EXPECT_EQ(clara::corpus_document_id(1), "doc-0000001");
    EXPECT_EQ(clara::corpus_document_id(1000000), "doc-1000000");
    EXPECT_EQ(clara::corpus_document_id(12345678), "doc-12345678");
}

TEST(CorpusGenerator, CitationsReferToEarlierDistinctDocuments) {
    std::size_t total = 0, docs_with = 0;
    std::map<std::string, int> in_degree;
    uint64_t i = 0;
    for (const json &d : shared_docs()) {
        ++i;
        const auto &c = d["citations"];
        EXPECT_LE(c.size(), 5u);
        std::set<std::string> seen;
        for (const auto &x : c) {
            ASSERT_TRUE(x.is_string());
            std::string id = x.get<std::string>();
            ASSERT_EQ(id.rfind("doc-", 0), 0u);
            uint64_t j = std::stoull(id.substr(4));
            EXPECT_GE(j, 1u);
            EXPECT_LT(j, i) << "doc " << i << " cites " << id;
            EXPECT_TRUE(seen.insert(id).second) << "duplicate citation in doc " << i;
            ++in_degree[id];
        }
        total += c.size();
        docs_with += !c.empty();
    }
    // A real graph: most documents cite something, some documents are hubs.
    EXPECT_GT(docs_with, 2500u);
    EXPECT_GT(total, 5000u);
    int max_in = 0;
    for (const auto &kv : in_degree) max_in = std::max(max_in, kv.second);
    EXPECT_GT(max_in, 20);
}

TEST(CorpusGenerator, CitedDocumentsAreMentionedInTheText) {
    // Every citation of a good document appears in its text as a reference
    // (court decisions by file number, other documents by title).
    CorpusGenerator gen(42);
    CorpusDocument doc, cited;
    int checked = 0;
    for (uint64_t i = 2; i <= 600; ++i) {
        gen.generate(i, doc);
        if (doc.quality != DocQuality::good) continue;
        for (uint64_t j : doc.citations) {
            gen.generate(j, cited);
            bool found = (!cited.aktenzeichen.empty() && !cited.gericht.empty() &&
                          doc.content.find(cited.aktenzeichen) != std::string::npos) ||
                         doc.content.find(cited.title.substr(0, 40)) != std::string::npos;
            EXPECT_TRUE(found) << "doc " << i << " cites " << j << " (" << cited.title << ")";
            ++checked;
        }
    }
    EXPECT_GT(checked, 300);
}

TEST(CorpusGenerator, MetadataKeysHaveStableTypes) {
    std::map<std::string, json::value_t> types;
    std::set<std::string> first_keys;
    bool first = true;
    for (const json &d : shared_docs()) {
        const json &m = d["metadata"];
        std::set<std::string> keys;
        for (auto it = m.begin(); it != m.end(); ++it) {
            keys.insert(it.key());
            ASSERT_FALSE(it.value().is_null()) << it.key();
            json::value_t t = it.value().type();
            if (t == json::value_t::number_unsigned) t = json::value_t::number_integer;
            auto ins = types.emplace(it.key(), t);
            ASSERT_EQ(ins.first->second, t) << "metadata key " << it.key() << " changes type in " << d["document_id"];
        }
        if (first) {
            first_keys = keys;
            first = false;
        }
        ASSERT_EQ(keys, first_keys) << d["document_id"];
    }
    const std::set<std::string> expected = {"aktenzeichen", "gericht", "behoerde", "language", "year", "pages"};
    EXPECT_EQ(first_keys, expected);
    EXPECT_EQ(types["year"], json::value_t::number_integer);
    EXPECT_EQ(types["pages"], json::value_t::number_integer);
    EXPECT_EQ(types["aktenzeichen"], json::value_t::string);
}

TEST(CorpusGenerator, QualityMixMatchesDesign) {
    CorpusGenerator gen(42);
    const uint64_t n = 40000;
    std::map<DocQuality, uint64_t> count;
    for (uint64_t i = 1; i <= n; ++i) ++count[gen.quality_of(i)];
    auto frac = [&](DocQuality q) { return static_cast<double>(count[q]) / static_cast<double>(n); };
    EXPECT_NEAR(frac(DocQuality::good), 0.75, 0.015);
    EXPECT_NEAR(frac(DocQuality::boilerplate), 0.08, 0.008);
    EXPECT_NEAR(frac(DocQuality::near_duplicate), 0.07, 0.008);
    EXPECT_NEAR(frac(DocQuality::stub), 0.05, 0.006);
    EXPECT_NEAR(frac(DocQuality::garbage), 0.05, 0.006);
    // quality_of agrees with generate().
    CorpusDocument doc;
    for (uint64_t i = 1; i <= 300; ++i) {
        gen.generate(i, doc);
        EXPECT_EQ(doc.quality, gen.quality_of(i)) << i;
    }
}

TEST(CorpusGenerator, QualityClassesLookTheirPart) {
    CorpusGenerator gen(42);
    CorpusDocument doc, base;
    std::map<DocQuality, std::vector<std::size_t>> sizes;
    int near_dups = 0, boiler_with_markers = 0, boilers = 0;
    std::vector<double> sims;
    for (uint64_t i = 1; i <= 3000; ++i) {
        gen.generate(i, doc);
        sizes[doc.quality].push_back(doc.content.size());
        switch (doc.quality) {
            case DocQuality::stub: {
                uint32_t w = word_count(doc.content);
                EXPECT_GE(w, 3u) << doc.content;
                EXPECT_LE(w, 10u) << doc.content;
                break;
            }
            case DocQuality::near_duplicate: {
                ASSERT_GT(doc.duplicate_of, 0u);
                ASSERT_LT(doc.duplicate_of, i);
                gen.generate(doc.duplicate_of, base);
                EXPECT_EQ(base.quality, DocQuality::good);
                EXPECT_NE(doc.content, base.content);
                double sim = jaccard(shingles(doc.content), shingles(base.content));
                EXPECT_GT(sim, 0.7) << "doc " << i << " vs " << doc.duplicate_of;
                sims.push_back(sim);
                EXPECT_EQ(doc.domain, base.domain);
                EXPECT_EQ(doc.title.rfind(base.title, 0), 0u);
                ++near_dups;
                break;
            }
            case DocQuality::boilerplate:
                ++boilers;
                boiler_with_markers += (doc.content.find("Seite 1 von") != std::string::npos ||
                                        doc.content.find("Page 1 of") != std::string::npos) &&
                                       (doc.content.find("Datenschutz") != std::string::npos ||
                                        doc.content.find("Privacy") != std::string::npos ||
                                        doc.content.find("Impressum") != std::string::npos ||
                                        doc.content.find("Legal notice") != std::string::npos ||
                                        doc.content.find("ookie") != std::string::npos);
                break;
            case DocQuality::garbage: EXPECT_EQ(doc.duplicate_of, 0u); break;
            default: EXPECT_EQ(doc.duplicate_of, 0u); break;
        }
    }
    EXPECT_GT(near_dups, 100);
    std::sort(sims.begin(), sims.end());
    EXPECT_GT(sims[sims.size() / 2], 0.85);  // median near-duplicate is very close
    EXPECT_GT(boiler_with_markers, boilers * 8 / 10);
    auto avg = [](const std::vector<std::size_t> &v) {
        std::size_t s = 0;
        for (auto x : v) s += x;
        return v.empty() ? 0.0 : static_cast<double>(s) / static_cast<double>(v.size());
    };
    EXPECT_GT(avg(sizes[DocQuality::good]), 1500.0);
    EXPECT_LT(avg(sizes[DocQuality::stub]), 100.0);
}

TEST(CorpusGenerator, AverageContentSizeAndLanguageMix) {
    std::size_t bytes = 0, english = 0;
    for (const json &d : shared_docs()) {
        bytes += d["content"].get<std::string>().size();
        english += d["metadata"]["language"] == "en";
    }
    double avg = static_cast<double>(bytes) / static_cast<double>(shared_docs().size());
    EXPECT_GT(avg, 1500.0);
    EXPECT_LT(avg, 2600.0);
    double en = static_cast<double>(english) / static_cast<double>(shared_docs().size());
    EXPECT_GT(en, 0.03);
    EXPECT_LT(en, 0.07);
}

TEST(CorpusGenerator, TopicWordsCorrelateWithDomain) {
    // BM25-style queries match a subset, concentrated in the right domain.
    auto contains_word = [](const std::string &text, const char *w) {
        std::size_t n = std::strlen(w);
        for (std::size_t p = text.find(w); p != std::string::npos; p = text.find(w, p + 1)) {
            bool left = p == 0 || !std::isalnum(static_cast<unsigned char>(text[p - 1]));
            bool right = p + n >= text.size() || !std::isalpha(static_cast<unsigned char>(text[p + n]));
            if (left && right) return true;
        }
        return false;
    };
    struct Case {
        const char *word;
        const char *domain;
    };
    for (Case c : {Case{"Photovoltaik", "energierecht"}, Case{"Baugenehmigung", "baurecht"},
                   Case{"Immissionsschutz", "umweltrecht"}, Case{"Verwaltungsrecht", "verwaltungsrecht"},
                   Case{"Denkmalschutz", "denkmalschutzrecht"}}) {
        std::size_t in_domain = 0, domain_docs = 0, elsewhere = 0, other_docs = 0;
        for (const json &d : shared_docs()) {
            bool hit = contains_word(d["content"].get<std::string>(), c.word);
            if (d["domain"] == c.domain) {
                ++domain_docs;
                in_domain += hit;
            } else {
                ++other_docs;
                elsewhere += hit;
            }
        }
        double p_in = static_cast<double>(in_domain) / static_cast<double>(domain_docs);
        double p_out = static_cast<double>(elsewhere) / static_cast<double>(other_docs);
        double p_all = static_cast<double>(in_domain + elsewhere) / static_cast<double>(domain_docs + other_docs);
        EXPECT_GT(p_in, 3 * p_out) << c.word;
        EXPECT_GT(p_all, 0.01) << c.word;
        EXPECT_LT(p_all, 0.5) << c.word;
    }
}

TEST(CorpusGenerator, TopicIsDeterministicAndInRange) {
    const uint32_t topics = clara::corpus_topic_count();
    ASSERT_GT(topics, 20u);
    for (uint32_t t = 0; t < topics; ++t) {
        EXPECT_STRNE(clara::corpus_topic_name(t), "") << t;
        EXPECT_STRNE(clara::corpus_topic_domain(t), "") << t;
    }
    EXPECT_STREQ(clara::corpus_topic_name(topics), "");
    EXPECT_STREQ(clara::corpus_topic_domain(topics), "");

    CorpusGenerator a(42), b(42);
    CorpusDocument x, y, base;
    std::set<uint32_t> seen;
    for (uint64_t i = 1; i <= 5000; ++i) {
        a.generate(i, x);
        ASSERT_LT(x.topic, topics) << i;
        seen.insert(x.topic);
        EXPECT_EQ(x.domain, clara::corpus_topic_domain(x.topic)) << i;
        // English summaries are about an EU act, German documents about a German topic.
        const bool directive = std::strncmp(clara::corpus_topic_name(x.topic), "Directive", 9) == 0;
        EXPECT_EQ(directive, x.document_type == "richtlinie") << i;
        if (x.quality == DocQuality::near_duplicate) {
            a.generate(x.duplicate_of, base);
            EXPECT_EQ(x.topic, base.topic) << i;
        }
        if (i % 97 == 0) {  // the same (seed, index) gives the same topic, whatever came before
            b.generate(i, y);
            EXPECT_EQ(x.topic, y.topic) << i;
        }
    }
    EXPECT_EQ(seen.size(), topics);  // 5000 documents cover every topic
    // Another seed draws other topics.
    CorpusGenerator c(7);
    int differ = 0;
    for (uint64_t i = 1; i <= 200; ++i) {
        a.generate(i, x);
        c.generate(i, y);
        differ += x.topic != y.topic;
    }
    EXPECT_GT(differ, 150);
}

TEST(CorpusGenerator, DocumentsNameTheirTopicAccordingToTheirClass) {
    // What the ground truth of the ranking evaluation (bench/eval.py) rests on:
    // good, near-duplicate and boilerplate documents are written about their
    // topic (title or text names it), laws mostly; stubs only name it in the
    // title, garbage never.
    CorpusGenerator gen(42);
    CorpusDocument doc;
    std::map<DocQuality, int> n, mentioned;
    int laws = 0, laws_mentioned = 0;
    for (uint64_t i = 1; i <= 5000; ++i) {
        gen.generate(i, doc);
        const std::string name = clara::corpus_topic_name(doc.topic);
        const bool law = doc.document_type == "gesetz" || doc.document_type == "verordnung";
        const bool m = clara::corpus_mentions_topic(doc);
        ++n[doc.quality];
        mentioned[doc.quality] += m;
        switch (doc.quality) {
            case DocQuality::good:
            case DocQuality::near_duplicate:
            case DocQuality::boilerplate:
                if (law) {
                    ++laws;
                    laws_mentioned += m;
                } else {
                    EXPECT_TRUE(m) << i;
                    EXPECT_NE(doc.title.find(name), std::string::npos) << i << ": " << doc.title;
                }
                break;
            case DocQuality::stub:
                EXPECT_EQ(doc.content.find(name), std::string::npos) << i;
                EXPECT_EQ(m, doc.title.find(name) != std::string::npos) << i;
                break;
            case DocQuality::garbage: EXPECT_FALSE(m) << i; break;
        }
    }
    EXPECT_GT(laws_mentioned, laws * 7 / 10);
    EXPECT_LT(laws_mentioned, laws);
    EXPECT_GT(mentioned[DocQuality::stub], n[DocQuality::stub] / 2);
    EXPECT_EQ(mentioned[DocQuality::garbage], 0);
}

TEST(CorpusGenerator, DocumentsOfOneTopicShareItsWords) {
    // Good documents on one topic name it; documents on other topics do less
    // often: when they cite a document on it (a reference is the cited
    // document's title) or, for some topics, in a stock sentence of the domain
    // ("Die Einleitung von Niederschlagswasser in das Gewässer ...").
    CorpusGenerator gen(42);
    std::vector<CorpusDocument> docs(3000);
    for (uint64_t i = 1; i <= docs.size(); ++i) gen.generate(i, docs[i - 1]);
    for (uint32_t t : {0u, 16u, 25u, 49u}) {
        const std::string name = clara::corpus_topic_name(t);
        int on = 0, on_named = 0, off = 0, off_named = 0;
        for (const CorpusDocument &d : docs) {
            if (d.quality != DocQuality::good) continue;
            bool named = d.title.find(name) != std::string::npos || d.content.find(name) != std::string::npos;
            if (d.topic == t) {
                ++on;
                on_named += named;
            } else if (std::strcmp(clara::corpus_topic_name(d.topic), name.c_str()) != 0) {
                ++off;
                off_named += named;
            }
        }
        ASSERT_GT(on, 10) << name;
        EXPECT_GT(on_named, on * 8 / 10) << name;
        EXPECT_LT(off_named * 100 / off, 10) << name;
    }
}

TEST(CorpusGenerator, DocumentDependsOnlyOnSeedAndIndex) {
    CorpusGenerator a(42), b(42);
    CorpusDocument x, y;
    a.generate(777, x);
    for (uint64_t i = 1; i < 50; ++i) b.generate(i, y);  // state in between must not matter
    b.generate(777, y);
    std::string lx, ly;
    clara::append_corpus_json_line(lx, x);
    clara::append_corpus_json_line(ly, y);
    EXPECT_EQ(lx, ly);
}

}  // namespace
