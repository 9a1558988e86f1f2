// libFuzzer target: one line of `clara-stream load` input (client/core/load_document).
// Besides crashes and sanitizer reports it checks the parser against
// nlohmann/json's document parser: a line our SAX handler accepts must be
// JSON nlohmann accepts too, with the same decoded strings, and its COPY row must have the
// ten fields of the staging table on one line.
#include "core/load_document.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using clara::cli::LoadDocument;
using nlohmann::json;

namespace {

void check(bool ok, const char *what) {
    if (ok) return;
    std::fprintf(stderr, "load_document fuzz: invariant broken: %s\n", what);
    std::abort();
}

// The value of key in the parsed line, as the loader should have read it.
void check_string(const json &line, const char *key, const std::optional<std::string> &ours) {
    auto it = line.find(key);
    if (it == line.end() || it->is_null()) return check(!ours, key);
    check(it->is_string() && ours && it->get<std::string>() == *ours, key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view line(reinterpret_cast<const char *>(data), size);
    // The loader splits its input at '\n' before parsing.
    if (line.find('\n') != std::string_view::npos) return 0;
    LoadDocument doc;
    std::string error = clara::cli::parse_load_document(line, doc);
    (void)clara::cli::is_blank_line(line);
    if (!error.empty()) return 0;

    json parsed;
    try {
        parsed = json::parse(line);
    } catch (const json::out_of_range &) {
        return 0;  // a number past double's range: fine for jsonb, not for nlohmann
    } catch (const json::parse_error &) {
        check(false, "an accepted line is JSON for nlohmann");
    }
    check(parsed.is_object(), "an accepted line is a JSON object for nlohmann");
    check(parsed.at("document_id").get<std::string>() == doc.document_id, "document_id");
    check(parsed.at("content").get<std::string>() == doc.content, "content");
    check_string(parsed, "title", doc.title);
    check_string(parsed, "domain", doc.domain);
    check_string(parsed, "document_type", doc.document_type);
    check_string(parsed, "source", doc.source);
    check_string(parsed, "created_at", doc.created_at);
    json metadata = json::parse(doc.metadata_json, nullptr, false);
    check(metadata.is_object(), "metadata_json is an object");
    check(metadata.size() == doc.metadata_types.size(), "metadata_types names every key");
    json citations = json::parse(doc.citations_json, nullptr, false);
    check(citations.is_array(), "citations_json is an array");
    for (const json &c : citations) check(c.is_string() && !c.get<std::string>().empty(), "citations are ids");

    std::string row;
    clara::cli::append_copy_row(row, 1, doc);
    check(!row.empty() && row.back() == '\n', "the COPY row ends in a newline");
    size_t tabs = 0, newlines = 0;
    for (char c : row) {
        tabs += c == '\t';
        newlines += c == '\n' || c == '\r';
    }
    check(tabs == 9 && newlines == 1, "the COPY row has ten fields on one line");

    clara::cli::MetadataTypeCheck types;
    check(types.check(doc, 1).conflict.empty(), "a document agrees with no earlier one");
    check(types.check(doc, 2).conflict.empty(), "a document agrees with itself");
    return 0;
}
