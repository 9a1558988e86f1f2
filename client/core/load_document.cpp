#include "core/load_document.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace clara::cli {

namespace {

constexpr int kMaxDepth = 256;  // nesting inside metadata; jsonb has its own stack limit
constexpr size_t kKeysScanned = 32;
// PostgreSQL 15's numeric input limits, see Reader::number: an exponent
// below INT_MAX / 2, a display scale up to NUMERIC_DSCALE_MAX, a weight up to
// NUMERIC_WEIGHT_MAX base-10000 digits (131,071 as a power of ten).
constexpr long long kNumericMaxExponent = 1073741823;
constexpr long long kNumericMaxScale = 16383;
constexpr long long kNumericMaxWeight = 131071;  // an object's keys checked for repeats by comparison, see Reader::object

enum Key { kDocumentId, kTitle, kContent, kDomain, kDocumentType, kSource, kCreatedAt, kMetadata, kCitations, kNone };

Key find_key(std::string_view name) {
    for (int k = 0; k < kNone; ++k)
        if (name == kLoadKeys[k]) return static_cast<Key>(k);
    return kNone;
}

// Length of the valid UTF-8 sequence at p (a byte >= 0x80), 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF included).
size_t utf8_length(const unsigned char *p, const unsigned char *end) {
    auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
        return p + i < end && p[i] >= lo && p[i] <= hi;
    };
    unsigned char c = p[0];
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}

void append_utf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// A strict JSON reader over one line. Every method returns false after
// recording the first error; the position it names is 1-based, in bytes.
class Reader {
public:
    explicit Reader(std::string_view s)
        : begin_(reinterpret_cast<const unsigned char *>(s.data())), p_(begin_), end_(begin_ + s.size()) {}

    const std::string &error() const { return error_; }
    size_t offset() const { return static_cast<size_t>(p_ - begin_); }
    std::string_view text_since(size_t start) const {
        return {reinterpret_cast<const char *>(begin_ + start), offset() - start};
    }
    bool at_end() const { return p_ == end_; }
    char peek() const { return p_ < end_ ? static_cast<char>(*p_) : '\0'; }

    bool fail(const std::string &what) {
        if (error_.empty()) error_ = "not valid JSON at column " + std::to_string(offset() + 1) + ": " + what;
        return false;
    }
    // An error about a value rather than the syntax (no column).
    bool reject(const std::string &what) {
        if (error_.empty()) error_ = what;
        return false;
    }

    void skip_space() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
    }
    bool consume(char c) {
        skip_space();
        if (p_ < end_ && *p_ == static_cast<unsigned char>(c)) {
            ++p_;
            return true;
        }
        return false;
    }
    bool expect(char c, const char *what) { return consume(c) || fail(std::string("expected ") + what); }

    // A string at the current position (after spaces); decoded into out
    // unless out is null.
    bool string(std::string *out) {
        skip_space();
        if (p_ == end_ || *p_ != '"') return fail("expected a string");
        ++p_;
        if (out) out->clear();
        for (;;) {
            const unsigned char *run = p_;
            while (p_ < end_ && *p_ != '"' && *p_ != '\\' && *p_ >= 0x20 && *p_ < 0x80) ++p_;
            if (out) out->append(reinterpret_cast<const char *>(run), static_cast<size_t>(p_ - run));
            if (p_ == end_) return fail("unterminated string");
            unsigned char c = *p_;
            if (c == '"') {
                ++p_;
                return true;
            }
            if (c < 0x20) return fail("control character in a string (it must be escaped)");
            if (c >= 0x80) {
                size_t n = utf8_length(p_, end_);
                if (n == 0) return fail("invalid UTF-8");
                if (out) out->append(reinterpret_cast<const char *>(p_), n);
                p_ += n;
                continue;
            }
            if (!escape(out)) return false;
        }
    }

    // Any JSON value, checked and skipped. For objects at top_types_depth
    // == depth, the keys and their types go to top_types.
    bool value(int depth, JsonType *type, std::vector<std::pair<std::string, JsonType>> *top_types = nullptr) {
        if (depth > kMaxDepth) return fail("nested too deeply");
        skip_space();
        if (p_ == end_) return fail("expected a value");
        JsonType t;
        switch (*p_) {
            case '"':
                t = JsonType::string;
                if (!string(nullptr)) return false;
                break;
            case '{':
                t = JsonType::object;
                if (!object(depth, top_types)) return false;
                break;
            case '[':
                t = JsonType::array;
                ++p_;
                if (!consume(']')) {
                    do {
                        JsonType ignored;
                        if (!value(depth + 1, &ignored)) return false;
                    } while (consume(','));
                    if (!expect(']', "',' or ']'")) return false;
                }
                break;
            case 't':
                t = JsonType::boolean;
                if (!literal("true")) return false;
                break;
            case 'f':
                t = JsonType::boolean;
                if (!literal("false")) return false;
                break;
            case 'n':
                t = JsonType::null;
                if (!literal("null")) return false;
                break;
            default:
                if (*p_ != '-' && (*p_ < '0' || *p_ > '9')) return fail("expected a value");
                t = JsonType::number;
                if (!number()) return false;
        }
        if (type) *type = t;
        return true;
    }

    // An object at the current position; its keys must be distinct. The
    // first kKeysScanned keys are compared one by one (cheap for the usual
    // few); past that a hash set takes over, or an object with 50,000 keys
    // would take seconds (quadratic).
    bool object(int depth, std::vector<std::pair<std::string, JsonType>> *types) {
        if (!expect('{', "'{'")) return false;
        if (consume('}')) return true;
        std::vector<std::string> keys;
        std::unordered_set<std::string> many;
        std::string key;
        do {
            if (!string(&key)) return false;
            bool repeated;
            if (keys.size() < kKeysScanned) {
                repeated = std::find(keys.begin(), keys.end(), key) != keys.end();
            } else {
                if (many.empty()) many.insert(keys.begin(), keys.end());
                repeated = !many.insert(key).second;
            }
            if (repeated) return reject("metadata: key \"" + key + "\" appears twice in an object");
            if (!expect(':', "':'")) return false;
            JsonType t;
            if (!value(depth + 1, &t)) return false;
            if (types) types->emplace_back(key, t);
            if (keys.size() < kKeysScanned) keys.push_back(std::move(key));
        } while (consume(','));
        return expect('}', "',' or '}'");
    }

    bool literal(const char *word) {
        size_t n = std::strlen(word);
        if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return fail("invalid literal");
        p_ += n;
        return true;
    }

private:
    bool digits() {
        if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail("invalid number");
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        return true;
    }

    // A number, and one jsonb can store: PostgreSQL 15's numeric takes at
    // most 131,072 digits before the point and 16,383 after it (the
    // exponent applied), and an exponent below 2^30 - 1. Beyond that the
    // server's COPY would fail for the whole load.
    bool number() {
        if (p_ < end_ && *p_ == '-') ++p_;
        const unsigned char *digits_start = p_;
        if (p_ < end_ && *p_ == '0') {
            ++p_;
        } else if (!digits()) {
            return false;
        }
        long long int_digits = p_ - digits_start, fraction_digits = 0;
        long long first_nonzero = -1;  // index in the integer then fraction digits
        for (const unsigned char *d = digits_start; d < p_ && first_nonzero < 0; ++d)
            if (*d != '0') first_nonzero = d - digits_start;
        if (p_ < end_ && *p_ == '.') {
            ++p_;
            const unsigned char *fraction = p_;
            if (!digits()) return false;
            fraction_digits = p_ - fraction;
            for (const unsigned char *d = fraction; d < p_ && first_nonzero < 0; ++d)
                if (*d != '0') first_nonzero = int_digits + (d - fraction);
        }
        long long exponent = 0;
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            bool negative = p_ < end_ && *p_ == '-';
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            const unsigned char *e = p_;
            if (!digits()) return false;
            for (; e < p_; ++e) exponent = std::min(exponent * 10 + (*e - '0'), kNumericMaxExponent);
            if (negative) exponent = -exponent;
        }
        bool fits = exponent < kNumericMaxExponent && exponent > -kNumericMaxExponent &&
                    fraction_digits - exponent <= kNumericMaxScale &&
                    (first_nonzero < 0 || int_digits - 1 - first_nonzero + exponent <= kNumericMaxWeight);
        if (!fits) return reject("metadata: a number beyond what PostgreSQL's numeric (jsonb) can store");
        return true;
    }

    bool hex4(uint32_t &cp) {
        if (end_ - p_ < 4) return fail("invalid \\u escape");
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            unsigned char c = *p_++;
            cp <<= 4;
            if (c >= '0' && c <= '9') cp |= c - '0';
            else if (c >= 'a' && c <= 'f') cp |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') cp |= c - 'A' + 10;
            else return fail("invalid \\u escape");
        }
        return true;
    }

    // At a backslash inside a string.
    bool escape(std::string *out) {
        ++p_;
        if (p_ == end_) return fail("unterminated string");
        char c = static_cast<char>(*p_++);
        char plain;
        switch (c) {
            case '"': plain = '"'; break;
            case '\\': plain = '\\'; break;
            case '/': plain = '/'; break;
            case 'b': plain = '\b'; break;
            case 'f': plain = '\f'; break;
            case 'n': plain = '\n'; break;
            case 'r': plain = '\r'; break;
            case 't': plain = '\t'; break;
            case 'u': {
                uint32_t cp = 0;
                if (!hex4(cp)) return false;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate in \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t low = 0;
                    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return fail("lone high surrogate in \\u escape");
                    p_ += 2;
                    if (!hex4(low)) return false;
                    if (low < 0xDC00 || low > 0xDFFF) return fail("lone high surrogate in \\u escape");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                if (cp == 0) return reject("contains \\u0000, which PostgreSQL cannot store");
                if (out) append_utf8(*out, cp);
                return true;
            }
            default: return fail("invalid escape \\" + std::string(1, c));
        }
        if (out) out->push_back(plain);
        return true;
    }

    const unsigned char *begin_, *p_, *end_;
    std::string error_;
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

// A field that is a string or null.
bool optional_string(Reader &in, const char *key, std::optional<std::string> &out) {
    in.skip_space();
    if (in.peek() == '"') return in.string(&out.emplace());
    JsonType t;
    if (!in.value(1, &t)) return false;
    if (t != JsonType::null) return in.reject(std::string(key) + " must be a string or null, not " + to_string(t));
    out.reset();
    return true;
}

bool required_string(Reader &in, const char *key, std::string &out) {
    in.skip_space();
    if (in.peek() == '"') return in.string(&out);
    JsonType t;
    if (!in.value(1, &t)) return false;
    return in.reject(std::string(key) + " must be a string, not " + to_string(t));
}

bool metadata(Reader &in, LoadDocument &doc) {
    in.skip_space();
    size_t start = in.offset();
    if (in.peek() == '{') {
        if (!in.object(1, &doc.metadata_types)) return false;
        doc.metadata_json.assign(in.text_since(start));
        return true;
    }
    JsonType t;
    if (!in.value(1, &t)) return false;
    if (t != JsonType::null) return in.reject(std::string("metadata must be an object or null, not ") + to_string(t));
    doc.metadata_json = "{}";
    return true;
}

bool citations(Reader &in, LoadDocument &doc) {
    in.skip_space();
    size_t start = in.offset();
    if (in.peek() == '[') {
        in.expect('[', "'['");
        if (!in.consume(']')) {
            std::string id;
            do {
                in.skip_space();
                if (in.peek() != '"') {
                    JsonType t;
                    if (!in.value(2, &t)) return false;
                    return in.reject(std::string("citations must be document_id strings, not ") + to_string(t));
                }
                if (!in.string(&id)) return false;
                if (id.empty()) return in.reject("citations must be non-empty document_id strings");
            } while (in.consume(','));
            if (!in.expect(']', "',' or ']'")) return false;
        }
        doc.citations_json.assign(in.text_since(start));
        return true;
    }
    JsonType t;
    if (!in.value(1, &t)) return false;
    if (t != JsonType::null)
        return in.reject(std::string("citations must be an array of document_id strings or null, not ") +
                         to_string(t));
    doc.citations_json = "[]";
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
    Reader in(line);
    doc.title.reset();
    doc.domain.reset();
    doc.document_type.reset();
    doc.source.reset();
    doc.created_at.reset();
    doc.metadata_json = "{}";
    doc.citations_json = "[]";
    doc.metadata_types.clear();

    in.skip_space();
    if (in.peek() != '{') {
        JsonType t;
        if (!in.value(0, &t)) return in.error();
        return std::string("expected a JSON object, got ") + to_string(t);
    }
    in.expect('{', "'{'");
    bool seen[kNone] = {};
    bool has_id = false, has_content = false;
    std::string key;
    if (!in.consume('}')) {
        do {
            if (!in.string(&key)) return in.error();
            Key k = find_key(key);
            if (k == kNone)
                return "unknown key \"" + key +
                       "\" (allowed: document_id, content, title, domain, document_type, source, created_at, "
                       "metadata, citations)";
            if (seen[k]) return "key \"" + key + "\" appears twice";
            seen[k] = true;
            if (!in.expect(':', "':'")) return in.error();
            bool ok = true;
            switch (k) {
                case kDocumentId:
                    in.skip_space();
                    has_id = in.peek() != 'n';  // null is reported as missing below
                    ok = has_id ? required_string(in, "document_id", doc.document_id) : in.literal("null");
                    break;
                case kContent:
                    in.skip_space();
                    has_content = in.peek() != 'n';
                    ok = has_content ? required_string(in, "content", doc.content) : in.literal("null");
                    break;
                case kTitle: ok = optional_string(in, "title", doc.title); break;
                case kDomain: ok = optional_string(in, "domain", doc.domain); break;
                case kDocumentType: ok = optional_string(in, "document_type", doc.document_type); break;
                case kSource: ok = optional_string(in, "source", doc.source); break;
                case kCreatedAt: ok = optional_string(in, "created_at", doc.created_at); break;
                case kMetadata: ok = metadata(in, doc); break;
                case kCitations: ok = citations(in, doc); break;
                case kNone: break;
            }
            if (!ok) return in.error();
        } while (in.consume(','));
        if (!in.expect('}', "',' or '}'")) return in.error();
    }
    in.skip_space();
    if (!in.at_end()) {
        in.fail("text after the object (one document per line)");
        return in.error();
    }

    if (!has_id) return "document_id is missing";
    if (doc.document_id.empty()) return "document_id must not be empty";
    if (!has_content) return "content is missing";
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
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1] + (month == 2 && leap))
        return false;
    size_t pos = 10;
    if (pos == s.size()) return true;

    int hour, minute, second = 0;
    if ((s[pos] != 'T' && s[pos] != ' ') || !digits(s, pos + 1, 2, hour) || pos + 3 >= s.size() ||
        s[pos + 3] != ':' || !digits(s, pos + 4, 2, minute) || hour > 23 || minute > 59)
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

std::string MetadataTypeCheck::observe(const LoadDocument &doc, uint64_t line) {
    for (const auto &[key, type] : doc.metadata_types) {
        if (type == JsonType::null) continue;
        auto it = first_.find(key);
        if (it == first_.end()) {
            first_.emplace(key, FirstSeen{type, line, false});
        } else if (it->second.type != type && !it->second.warned) {
            it->second.warned = true;  // once per key, not on every line
            return "metadata key \"" + key + "\" is " + to_string(type) + " here but " + to_string(it->second.type) +
                   " on line " + std::to_string(it->second.line) +
                   " (mixed types break Hugging Face load_dataset(\"json\"))";
        }
    }
    return "";
}

}  // namespace clara::cli
