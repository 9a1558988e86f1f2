// One line of `clara-stream load` input: validation and the COPY row it
// becomes. Pure C++ (standard library only): unit-tested without a server.
//
// PostgreSQL 15's COPY has no ON_ERROR, and one bad row fails the whole COPY
// with a message about the staging table. So every value the server could
// reject is checked here first, with a reason that names the field.
//
// The JSON is read by nlohmann/json's SAX parser (RFC 8259, UTF-8 checked,
// no lone surrogates), with no document tree: each value is checked as it
// arrives, and this file adds what the load needs on top (no duplicate keys,
// no \u0000, nesting at most 256 deep, numbers that both jsonb and a double
// can hold, the fields' types and lengths). metadata and citations are
// validated and passed on as the text they were (the server's jsonb parses
// them again). Syntax errors name the 1-based byte column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace clara::cli {

// Longest values of the fields that are keys in btree indexes, in bytes.
// PostgreSQL caps an index entry at 2,704 bytes (measured: a 2,700-byte
// document_id, a citation pair of 1,350 + 1,350 bytes, or document_id +
// domain + document_type + source of 700 bytes each fail). These limits fit
// every combination: document_id + citation (clara_edges' key) and
// document_id + domain + document_type + source (clara_documents_doc_key_idx).
inline constexpr size_t kMaxDocumentIdBytes = 1024;  // also each citation
inline constexpr size_t kMaxSourceBytes = 1024;
inline constexpr size_t kMaxLabelBytes = 256;  // domain, document_type

// PostgreSQL's numeric (what jsonb stores numbers as) keeps at most 16,383
// digits after the decimal point.
inline constexpr int kMaxNumericScale = 16383;

// MetadataTypeCheck follows this many distinct metadata keys per load.
inline constexpr size_t kMaxTrackedMetadataKeys = 10000;

// The input keys, in the order of the staging table's columns (after `line`).
inline constexpr const char *kLoadKeys[] = {"document_id", "title",      "content",  "domain",   "document_type",
                                            "source",      "created_at", "metadata", "citations"};

enum class JsonType : uint8_t { null, boolean, number, string, array, object };
const char *to_string(JsonType type);

struct LoadDocument {
    std::string document_id;
    std::string content;
    std::optional<std::string> title, domain, document_type, source, created_at;
    std::string metadata_json = "{}";   // the object as written in the line; "{}" when absent or null
    std::string citations_json = "[]";  // the array as written in the line; "[]" when absent or null
    // The top-level metadata keys and their JSON types, for MetadataTypeCheck.
    std::vector<std::pair<std::string, JsonType>> metadata_types;
};

// True when the line holds nothing but spaces, tabs or a '\r' (skipped, not counted).
bool is_blank_line(std::string_view line);

// Parses one JSON line into doc. Returns "" when it is a valid document,
// else the reason it is not ("content must be a string", "not valid JSON at
// column 17: ..."). A trailing '\r' (CRLF files) is ignored.
std::string parse_load_document(std::string_view line, LoadDocument &doc);

// An ISO 8601 date or timestamp PostgreSQL's timestamptz reads the same way:
// YYYY-MM-DD, optionally [T ]HH:MM[:SS[.fraction]], optionally Z or +HH[:MM].
// Checks the calendar (2023-02-29 is not a date).
bool is_iso_timestamp(std::string_view s);

// Appends s as one field of COPY's text format: backslash, newline, carriage
// return and tab escaped; everything else (UTF-8 included) as it is.
void append_copy_text_field(std::string &out, std::string_view s);

// Appends the staging row: line, then the kLoadKeys columns, tab-separated,
// \N for NULL, ending in '\n'.
void append_copy_row(std::string &out, uint64_t line, const LoadDocument &doc);

// Hugging Face `datasets` needs one JSON type per metadata key across all
// lines (a key that is a number on one line and a string on the next breaks
// load_dataset("json")). The server refuses such a document (the catalogue
// of clara_metadata_keys); this check names the line before anything is
// sent. It starts from the stored documents' types (clara_metadata_types())
// and then remembers the first type each line of the file gives a
// top-level key; null is compatible with every type.
//
// Memory is bounded whatever the input: keys are remembered by a 64-bit hash
// (not their text), and only the first kMaxTrackedMetadataKeys distinct keys
// are followed (a file with a new key on every line once made load's memory
// grow to 435 MB; the server allows far fewer keys anyway).
class MetadataTypeCheck {
public:
    // The type the stored documents give key ("string", "number", ... as
    // clara_metadata_types() names them; "null" and unknown names are ignored).
    void add_stored(std::string_view key, std::string_view json_type);

    struct Verdict {
        std::string conflict;  // why doc is refused: key, its type here, the stored or earlier type
        std::string warning;   // once: keys beyond kMaxTrackedMetadataKeys are not checked
    };
    // Checks doc's metadata; when it conflicts with nothing, its types are
    // remembered as those of line.
    Verdict check(const LoadDocument &doc, uint64_t line);
    size_t tracked() const { return first_.size(); }

private:
    struct FirstSeen {
        JsonType type;
        uint64_t line;  // 0: the stored documents
    };
    std::unordered_map<uint64_t, FirstSeen> first_;
    bool full_warned_ = false;
};

}  // namespace clara::cli
