#include "core/load_document.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <iterator>

#include <nlohmann/json.hpp>

namespace clara::cli {

namespace {

constexpr size_t kMaxDepth = 256;  // nesting inside metadata; jsonb has its own stack limit

enum Key { kDocumentId, kTitle, kContent, kDomain, kDocumentType, kSource, kCreatedAt, kMetadata, kCitations, kNone };

Key find_key(std::string_view name) {
    for (int k = 0; k < kNone; ++k)
        if (name == kLoadKeys[k]) return static_cast<Key>(k);
    return kNone;
}

// The first key of keys that appears twice, or null. Sorting views keeps a
// line with 200K keys in one object linear-logarithmic (comparing each key
// with all earlier ones took 40 s for 80K keys); small objects, the usual
// case, are compared pairwise.
const std::string *repeated_key(const std::vector<std::string> &keys) {
    if (keys.size() <= 16) {
        for (size_t i = 1; i < keys.size(); ++i)
            for (size_t j = 0; j < i; ++j)
                if (keys[i] == keys[j]) return &keys[i];
        return nullptr;
    }
    std::vector<const std::string *> sorted;
    sorted.reserve(keys.size());
    for (const std::string &k : keys) sorted.push_back(&k);
    std::sort(sorted.begin(), sorted.end(), [](const std::string *a, const std::string *b) { return *a < *b; });
    auto twice = std::adjacent_find(sorted.begin(), sorted.end(),
                                    [](const std::string *a, const std::string *b) { return *a == *b; });
    return twice == sorted.end() ? nullptr : *twice;
}

// A number, which must also fit a double (what JSON readers such as Python's
// and Hugging Face's make of it) and PostgreSQL's numeric (what jsonb
// stores): the server rejects 1e1000000 with SQLSTATE 22003. text is valid
// JSON number syntax (the lexer checked it). Returns "" or the reason.
std::string check_number(std::string_view text) {
    const char *p = text.data(), *end = p + text.size();
    auto digits_end = [&end](const char *q) {
        while (q < end && *q >= '0' && *q <= '9') ++q;
        return q;
    };
    if (p < end && *p == '-') ++p;
    const char *int_begin = p;
    p = digits_end(p);
    const char *int_end = p, *frac_begin = p;
    if (p < end && *p == '.') {
        frac_begin = ++p;
        p = digits_end(p);
    }
    const char *frac_end = p;
    int64_t exponent = 0;  // saturates: only its range matters beyond 2^31
    if (p < end && (*p == 'e' || *p == 'E')) {
        ++p;
        bool negative = p < end && *p == '-';
        if (p < end && (*p == '+' || *p == '-')) ++p;
        for (; p < end && exponent < (int64_t{1} << 40); ++p) exponent = exponent * 10 + (*p - '0');
        if (negative) exponent = -exponent;
    }
    auto shown = [&] { return text.size() <= 40 ? std::string(text) : std::string(text.substr(0, 37)) + "..."; };
    int64_t frac_digits = frac_end - frac_begin;
    if (exponent >= 1000000000 || exponent <= -1000000000 || frac_digits - exponent > kMaxNumericScale)
        return "number " + shown() + " has more than " + std::to_string(kMaxNumericScale) +
               " digits after the decimal point, or too large an exponent, for PostgreSQL's numeric";
    // Decimal magnitude: the power of ten of the first non-zero digit.
    const char *first = int_begin;
    while (first < frac_end && (*first == '0' || *first == '.')) ++first;
    if (first == frac_end) return "";  // zero
    int64_t magnitude = (first < int_end ? int_end - first - 1 : -(first - frac_begin) - 1) + exponent;
    if (magnitude < 308) return "";
    double parsed;
    auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (magnitude > 308 || error == std::errc::result_out_of_range || stop != text.data() + text.size() ||
        !std::isfinite(parsed))
        return "number " + shown() + " is beyond the range of a double (about 1.8e308)";
    return "";
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Where the token that ends at byte `end` (exclusive) of line begins: a
// string back to its opening quote (one not escaped by an odd number of
// backslashes), a number or a literal back over its characters.
size_t token_begin(std::string_view line, size_t end, std::string_view token) {
    end = std::min(end, line.size());
    if (end == 0) return 0;
    size_t i = end - 1;
    if (token == "string literal") {
        while (i > 0) {
            --i;
            if (line[i] != '"') continue;
            size_t backslashes = 0;
            while (backslashes < i && line[i - 1 - backslashes] == '\\') ++backslashes;
            if (backslashes % 2 == 0) return i;
        }
        return i;
    }
    auto part = [&token](char c) {
        if (token == "number literal")
            return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
        return c >= 'a' && c <= 'z';  // true, false, null
    };
    if (!part(line[i])) return i;
    while (i > 0 && part(line[i - 1])) --i;
    // "01" is two numbers: the unexpected one begins after the zero.
    if (token == "number literal")
        for (size_t j = i; j + 1 < end; ++j)
            if (line[j] == '0' && line[j + 1] >= '0' && line[j + 1] <= '9' && (j == i || line[j - 1] == '-'))
                return j + 1;
    return i;
}

// nlohmann's parse error in our words, and the 1-based column it is at.
// nlohmann writes "syntax error while parsing <context> - <what>[; last
// read: '<token>'][; expected <token name>]" (the last read token can be the
// rest of the line: it is not repeated) and counts position as the bytes
// read, the offending one included: for a lexer error that is the column of
// the offending byte, for an unexpected token the column of its last byte.
std::string describe_syntax_error(const std::string &what, std::string_view line, size_t position) {
    std::string_view m = what;
    size_t column = position;
    auto at = [&column](const std::string &text) {
        return "not valid JSON at column " + std::to_string(column) + ": " + text;
    };
    size_t start = m.find("syntax error ");
    if (start == std::string_view::npos) return at(std::string(m));
    m.remove_prefix(start + std::strlen("syntax error "));
    std::string_view context;
    if (m.substr(0, 14) == "while parsing ") {
        size_t dash = m.find(" - ");
        context = m.substr(14, dash == std::string_view::npos ? std::string_view::npos : dash - 14);
    }
    size_t dash = m.find("- ");
    std::string_view body = dash == std::string_view::npos ? m : m.substr(dash + 2);
    // The expected token, named by nlohmann's token_type_name.
    static const std::pair<const char *, const char *> kExpected[] = {
        {"string literal", "a string"},
        {"':'", "':'"},
        {"'}'", "',' or '}'"},
        {"']'", "',' or ']'"},
        {"'[', '{', or a literal", "a value"},
        {"end of input", "the end of the line"},
    };
    std::string expected;
    for (const auto &[name, ours] : kExpected) {
        std::string suffix = std::string("; expected ") + name;
        if (ends_with(body, suffix)) {
            body.remove_suffix(suffix.size());
            expected = ours;
            break;
        }
    }
    std::string found;
    size_t last_read = body.find("; last read: '");
    if (last_read != std::string_view::npos) {  // the lexer's own message
        std::string_view lexer = body.substr(0, last_read);
        if (lexer == "invalid string: ill-formed UTF-8 byte") {
            found = "invalid UTF-8 in a string";
        } else if (lexer == "invalid literal") {
            // A literal is letters: did true, false or null start here? (The
            // offending byte may be the one after its letters: "tru}".)
            size_t end = std::min(position, line.size());
            if (end > 1 && !(line[end - 1] >= 'a' && line[end - 1] <= 'z')) --end;
            size_t begin = token_begin(line, end, "literal");
            if (begin < line.size() && std::strchr("tfn", line[begin]) != nullptr) {
                found = "invalid literal";
                column = begin + 1;
            } else if (expected.empty() && context == "value") {
                expected = "a value";
            }
        } else {
            found = std::string(lexer);
        }
    } else if (body.substr(0, 11) == "unexpected ") {
        std::string_view token = body.substr(11);
        if (token != "end of input") column = token_begin(line, position, token) + 1;
        found = token == "end of input" ? "the end of the line" : std::string(token);
    } else {
        found = std::string(body);
    }
    if (expected.empty()) return at(found);
    return at("expected " + expected + (found.empty() ? "" : ", found " + found));
}

// nlohmann's input adapter reads the line through this iterator, so the
// parser's position is known at every SAX event: after '{' or '[' it is
// just past that character, after '}' or ']' just past that one (brackets
// are one-character tokens, read without look-ahead). That gives metadata
// and citations the text they were written as.
class TrackedIterator {
public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char *;
    using reference = const char &;

    explicit TrackedIterator(const char **cursor) : cursor_(cursor) {}
    const char &operator*() const { return **cursor_; }
    TrackedIterator &operator++() {
        ++*cursor_;
        return *this;
    }
    TrackedIterator operator++(int) {
        TrackedIterator before = *this;
        ++*cursor_;
        return before;
    }
    bool operator==(const TrackedIterator &other) const { return *cursor_ == *other.cursor_; }
    bool operator!=(const TrackedIterator &other) const { return *cursor_ != *other.cursor_; }

private:
    const char **cursor_;
};

// The SAX handler: one line's events, checked as they come. Every method
// returns false (nlohmann then stops) after recording the first error.
class LoadHandler {
public:
    using json = nlohmann::json;

    LoadHandler(std::string_view line, const char *const *cursor, LoadDocument &doc)
        : line_(line), cursor_(cursor), doc_(doc) {}

    const std::string &error() const { return error_; }
    bool has_id() const { return has_id_; }
    bool has_content() const { return has_content_; }

    bool null() { return scalar(JsonType::null); }
    bool boolean(bool) { return scalar(JsonType::boolean); }
    bool number_integer(json::number_integer_t) { return scalar(JsonType::number); }
    bool number_unsigned(json::number_unsigned_t) { return scalar(JsonType::number); }
    bool number_float(json::number_float_t, const json::string_t &text) {
        std::string why = check_number(text);
        if (!why.empty()) return reject(why);
        return scalar(JsonType::number);
    }
    bool binary(json::binary_t &) { return reject("binary values are not JSON"); }  // only from binary formats

    bool string(json::string_t &value) {
        if (value.find('\0') != std::string::npos) return reject("contains \\u0000, which PostgreSQL cannot store");
        if (depth_ == 1) {
            switch (field_) {
                case kDocumentId:
                    has_id_ = true;
                    doc_.document_id.swap(value);
                    return true;
                case kContent:
                    has_content_ = true;
                    doc_.content.swap(value);
                    return true;
                case kTitle: doc_.title.emplace().swap(value); return true;
                case kDomain: doc_.domain.emplace().swap(value); return true;
                case kDocumentType: doc_.document_type.emplace().swap(value); return true;
                case kSource: doc_.source.emplace().swap(value); return true;
                case kCreatedAt: doc_.created_at.emplace().swap(value); return true;
                default: break;
            }
        } else if (depth_ == 2 && field_ == kCitations) {
            if (value.empty()) return reject("citations must be non-empty document_id strings");
            if (value.size() > kMaxDocumentIdBytes)
                return reject("citations: a document_id of " + std::to_string(value.size()) + " bytes (at most " +
                              std::to_string(kMaxDocumentIdBytes) + ")");
            return true;
        }
        return scalar(JsonType::string);
    }

    bool start_object(std::size_t) {
        if (!container(JsonType::object)) return false;
        if (depth_ == 1 && field_ == kMetadata) metadata_begin_ = *cursor_ - 1;
        if (depth_ >= 1) {
            if (keys_.size() <= depth_) keys_.resize(depth_ + 1);
            keys_[depth_].clear();
        }
        ++depth_;
        return true;
    }

    bool key(json::string_t &name) {
        if (name.find('\0') != std::string::npos) return reject("contains \\u0000, which PostgreSQL cannot store");
        if (depth_ == 1) {
            field_ = find_key(name);
            if (field_ == kNone)
                return reject("unknown key \"" + name +
                              "\" (allowed: document_id, content, title, domain, document_type, source, created_at, "
                              "metadata, citations)");
            if (seen_[field_]) return reject("key \"" + name + "\" appears twice");
            seen_[field_] = true;
            return true;
        }
        // Inside metadata: repeats are looked for when the object ends.
        if (depth_ == 2) doc_.metadata_types.emplace_back(name, JsonType::null);
        keys_[depth_ - 1].push_back(std::move(name));
        return true;
    }

    bool end_object() {
        --depth_;
        if (depth_ == 0) {
            top_done_ = true;
            return true;
        }
        if (const std::string *twice = repeated_key(keys_[depth_]))
            return reject("metadata: key \"" + *twice + "\" appears twice in an object");
        if (depth_ == 1) doc_.metadata_json.assign(metadata_begin_, static_cast<size_t>(*cursor_ - metadata_begin_));
        return true;
    }

    bool start_array(std::size_t) {
        if (!container(JsonType::array)) return false;
        if (depth_ == 1 && field_ == kCitations) citations_begin_ = *cursor_ - 1;
        ++depth_;
        return true;
    }

    bool end_array() {
        --depth_;
        if (depth_ == 1 && field_ == kCitations)
            doc_.citations_json.assign(citations_begin_, static_cast<size_t>(*cursor_ - citations_begin_));
        return true;
    }

    bool parse_error(std::size_t position, const std::string &last_token, const nlohmann::detail::exception &e) {
        if (e.id == 406) {  // number overflow: a double cannot hold it
            std::string why = check_number(last_token);
            return reject(why.empty() ? "number " + last_token.substr(0, 40) + " is beyond the range of a double"
                                      : why);
        }
        if (top_done_) return fail_at(position, "text after the object (one document per line)");
        return reject(describe_syntax_error(e.what(), line_, position));
    }

private:
    // A value that is not a container, at the current depth.
    bool scalar(JsonType type) {
        if (!value(type)) return false;
        if (depth_ == 1) {
            switch (field_) {
                case kDocumentId:
                case kContent:
                    // null is reported as missing after the whole line.
                    if (type == JsonType::null) return true;
                    return reject(std::string(kLoadKeys[field_]) + " must be a string, not " + to_string(type));
                case kTitle:
                case kDomain:
                case kDocumentType:
                case kSource:
                case kCreatedAt:
                    if (type == JsonType::null) return true;
                    return reject(std::string(kLoadKeys[field_]) + " must be a string or null, not " + to_string(type));
                case kMetadata:
                    if (type == JsonType::null) return true;
                    return reject(std::string("metadata must be an object or null, not ") + to_string(type));
                case kCitations:
                    if (type == JsonType::null) return true;
                    return reject(std::string("citations must be an array of document_id strings or null, not ") +
                                  to_string(type));
                default: return true;
            }
        }
        return true;
    }

    // An object or array about to open at the current depth.
    bool container(JsonType type) {
        if (depth_ == 0) {
            if (type != JsonType::object) return reject(std::string("expected a JSON object, got ") + to_string(type));
            return true;
        }
        if (!value(type)) return false;
        if (depth_ == 1) {
            switch (field_) {
                case kMetadata:
                    if (type == JsonType::object) return true;
                    return reject(std::string("metadata must be an object or null, not ") + to_string(type));
                case kCitations:
                    if (type == JsonType::array) return true;
                    return reject(std::string("citations must be an array of document_id strings or null, not ") +
                                  to_string(type));
                case kDocumentId:
                case kContent:
                    return reject(std::string(kLoadKeys[field_]) + " must be a string, not " + to_string(type));
                default:
                    return reject(std::string(kLoadKeys[field_]) + " must be a string or null, not " + to_string(type));
            }
        }
        return true;
    }

    // Checks that apply to every value below the top level.
    bool value(JsonType type) {
        if (depth_ == 0) return reject(std::string("expected a JSON object, got ") + to_string(type));
        // The value's position is known exactly only for a container (its
        // bracket was the last byte read); for a scalar, its last byte.
        if (depth_ > kMaxDepth) return fail_at(static_cast<size_t>(*cursor_ - line_.data()), "nested too deeply");
        if (depth_ == 2 && field_ == kCitations && type != JsonType::string)
            return reject(std::string("citations must be document_id strings, not ") + to_string(type));
        if (depth_ == 2 && field_ == kMetadata) doc_.metadata_types.back().second = type;
        return true;
    }

    bool fail_at(size_t column, const std::string &what) {
        return reject("not valid JSON at column " + std::to_string(column) + ": " + what);
    }
    bool reject(std::string what) {
        if (error_.empty()) error_ = std::move(what);
        return false;
    }

    std::string_view line_;
    const char *const *cursor_;  // just past the last byte nlohmann read
    LoadDocument &doc_;
    std::string error_;
    size_t depth_ = 0;   // containers open
    Key field_ = kNone;  // the top-level key whose value is being read
    bool seen_[kNone] = {};
    bool has_id_ = false, has_content_ = false, top_done_ = false;
    const char *metadata_begin_ = nullptr, *citations_begin_ = nullptr;
    std::vector<std::vector<std::string>> keys_;  // per open metadata object (by depth): its keys so far
};

bool digits(std::string_view s, size_t pos, size_t n, int &value) {
    if (pos + n > s.size()) return false;
    value = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        value = value * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

const char *to_string(JsonType type) {
    switch (type) {
        case JsonType::null: return "null";
        case JsonType::boolean: return "a boolean";
        case JsonType::number: return "a number";
        case JsonType::string: return "a string";
        case JsonType::array: return "an array";
        case JsonType::object: return "an object";
    }
    return "?";
}

bool is_blank_line(std::string_view line) {
    for (char c : line)
        if (c != ' ' && c != '\t' && c != '\r') return false;
    return true;
}

std::string parse_load_document(std::string_view line, LoadDocument &doc) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    doc.title.reset();
    doc.domain.reset();
    doc.document_type.reset();
    doc.source.reset();
    doc.created_at.reset();
    doc.metadata_json = "{}";
    doc.citations_json = "[]";
    doc.metadata_types.clear();

    // nlohmann skips a UTF-8 byte order mark; a line of JSON has none.
    if (line.substr(0, 3) == "\xEF\xBB\xBF")
        return "not valid JSON at column 1: expected a value, found a byte order mark";
    const char *cursor = line.data();
    const char *end = line.data() + line.size();
    LoadHandler handler(line, &cursor, doc);
    // strict: nothing but spaces after the object; no comments.
    if (!nlohmann::json::sax_parse(TrackedIterator(&cursor), TrackedIterator(&end), &handler,
                                   nlohmann::json::input_format_t::json, true, false))
        return handler.error();
    const bool has_id = handler.has_id(), has_content = handler.has_content();

    if (!has_id) return "document_id is missing";
    if (doc.document_id.empty()) return "document_id must not be empty";
    if (!has_content) return "content is missing";
    // Keys in btree indexes: the server would fail the whole load on them.
    auto too_long = [](const char *key, const std::string *v, size_t limit) {
        if (v == nullptr || v->size() <= limit) return std::string();
        return std::string(key) + " is " + std::to_string(v->size()) + " bytes long (at most " + std::to_string(limit) +
               ")";
    };
    auto get = [](const std::optional<std::string> &v) { return v ? &*v : nullptr; };
    for (const std::string &r : {too_long("document_id", &doc.document_id, kMaxDocumentIdBytes),
                                 too_long("domain", get(doc.domain), kMaxLabelBytes),
                                 too_long("document_type", get(doc.document_type), kMaxLabelBytes),
                                 too_long("source", get(doc.source), kMaxSourceBytes)})
        if (!r.empty()) return r;
    if (doc.created_at && !is_iso_timestamp(*doc.created_at))
        return "created_at \"" + *doc.created_at +
               "\" is not an ISO 8601 date or timestamp (e.g. 2024-01-31 or 2024-01-31T12:00:00Z)";
    return "";
}

bool is_iso_timestamp(std::string_view s) {
    int year, month, day;
    if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
        !digits(s, 8, 2, day))
        return false;
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1] + (month == 2 && leap)) return false;
    size_t pos = 10;
    if (pos == s.size()) return true;

    int hour, minute, second = 0;
    if ((s[pos] != 'T' && s[pos] != ' ') || !digits(s, pos + 1, 2, hour) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, minute) || hour > 23 || minute > 59)
        return false;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
        if (!digits(s, pos + 1, 2, second) || second > 59) return false;
        pos += 3;
        if (pos < s.size() && s[pos] == '.') {
            size_t start = ++pos;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
            if (pos == start) return false;
        }
    }
    if (pos == s.size()) return true;
    if (s[pos] == 'Z') return pos + 1 == s.size();
    if (s[pos] != '+' && s[pos] != '-') return false;
    int zone_hour, zone_minute = 0;
    if (!digits(s, pos + 1, 2, zone_hour) || zone_hour > 15) return false;
    pos += 3;
    if (pos == s.size()) return true;
    if (s[pos] == ':') ++pos;
    return digits(s, pos, 2, zone_minute) && zone_minute <= 59 && pos + 2 == s.size();
}

void append_copy_text_field(std::string &out, std::string_view s) {
    const char *p = s.data();
    const char *end = p + s.size();
    while (p < end) {
        const char *run = p;
        while (p < end && *p != '\\' && *p != '\n' && *p != '\r' && *p != '\t') ++p;
        out.append(run, static_cast<size_t>(p - run));
        if (p == end) break;
        switch (*p++) {
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            default: out.append("\\t"); break;
        }
    }
}

void append_copy_row(std::string &out, uint64_t line, const LoadDocument &doc) {
    auto optional_field = [&out](const std::optional<std::string> &v) {
        out.push_back('\t');
        if (v)
            append_copy_text_field(out, *v);
        else
            out.append("\\N");
    };
    out.append(std::to_string(line));
    out.push_back('\t');
    append_copy_text_field(out, doc.document_id);
    optional_field(doc.title);
    out.push_back('\t');
    append_copy_text_field(out, doc.content);
    optional_field(doc.domain);
    optional_field(doc.document_type);
    optional_field(doc.source);
    optional_field(doc.created_at);
    out.push_back('\t');
    append_copy_text_field(out, doc.metadata_json);
    out.push_back('\t');
    append_copy_text_field(out, doc.citations_json);
    out.push_back('\n');
}

void MetadataTypeCheck::add_stored(std::string_view key, std::string_view json_type) {
    static constexpr std::pair<std::string_view, JsonType> kNames[] = {{"boolean", JsonType::boolean},
                                                                       {"number", JsonType::number},
                                                                       {"string", JsonType::string},
                                                                       {"array", JsonType::array},
                                                                       {"object", JsonType::object}};
    for (const auto &[name, type] : kNames)
        if (name == json_type && first_.size() < kMaxTrackedMetadataKeys)
            first_[std::hash<std::string_view>()(key)] = FirstSeen{type, 0};
}

MetadataTypeCheck::Verdict MetadataTypeCheck::check(const LoadDocument &doc, uint64_t line) {
    Verdict verdict;
    // First every key against what is known, then (only for a document
    // that is accepted) its types are remembered.
    for (const auto &[key, type] : doc.metadata_types) {
        if (type == JsonType::null) continue;
        // A collision (one in 2^64 per pair) could only refuse a good line
        // here; the server would then have accepted it.
        auto it = first_.find(std::hash<std::string_view>()(key));
        if (it == first_.end() || it->second.type == type) continue;
        verdict.conflict = "metadata key \"" + key + "\" is " + to_string(type) + ", but " +
                           (it->second.line == 0
                                ? std::string("the stored documents have ") + to_string(it->second.type)
                                : std::string(to_string(it->second.type)) + " on line " +
                                      std::to_string(it->second.line)) +
                           " (one JSON type per key: docs/training.md#stable-types)";
        return verdict;
    }
    for (const auto &[key, type] : doc.metadata_types) {
        if (type == JsonType::null) continue;
        const uint64_t hash = std::hash<std::string_view>()(key);
        if (first_.count(hash) > 0) continue;
        if (first_.size() < kMaxTrackedMetadataKeys) {
            first_.emplace(hash, FirstSeen{type, line});
        } else if (!full_warned_) {
            full_warned_ = true;
            verdict.warning = "metadata key \"" + key + "\" is one more than the " +
                              std::to_string(kMaxTrackedMetadataKeys) +
                              " distinct keys whose JSON types are checked; new keys from here on are not";
        }
    }
    return verdict;
}

}  // namespace clara::cli
