#include "jsonl.hpp"

#include <charconv>
#include <utility>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace clara {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// True for bytes that must not appear raw inside a JSON string.
inline bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// True when one of the 8 bytes of w needs escaping (a control byte, '"' or
// '\\'), tested for all eight at once: a byte below 0x20 borrows into its
// top bit in w - 0x20..., and a byte equal to '"' or '\\' becomes zero after
// the xor. Bytes >= 0x80 (UTF-8) never trip it, and a borrow only travels
// on from a byte that is itself a hit, so the answer is exact.
inline bool word_needs_escape(uint64_t w) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
    auto zero_byte = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    return (((w - 0x20 * kOnes) & ~w & kHigh) | zero_byte(w ^ ('"' * kOnes)) | zero_byte(w ^ ('\\' * kOnes))) != 0;
}

}  // namespace

void append_json_string(std::string &out, std::string_view s) {
    out.reserve(out.size() + s.size() + 2);
    out.push_back('"');
    const char *p = s.data();
    const char *end = p + s.size();
    while (p < end) {
        // Copy the longest run that needs no escaping in one go: the common
        // case for prose, and what keeps export at memcpy speed.
        // Eight bytes at a time first (prose has a byte to escape every few
        // hundred), then byte by byte up to the one that needs it.
        const char *run = p;
        while (end - p >= 8) {
            uint64_t w;
            std::memcpy(&w, p, sizeof w);
            if (word_needs_escape(w)) break;
            p += 8;
        }
        while (p < end && !needs_escape(static_cast<unsigned char>(*p))) ++p;
        out.append(run, static_cast<size_t>(p - run));
        if (p == end) break;
        unsigned char c = static_cast<unsigned char>(*p++);
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default: {
                char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
                out.append(esc, sizeof esc);
            }
        }
    }
    out.push_back('"');
}

void append_json_double(std::string &out, double v) {
    if (!std::isfinite(v)) {
        out.append("null");
        return;
    }
    // Shortest round-trip digits, laid out as Python's repr() does: fixed
    // notation for exponents -4..15, else d.ddde+XX. So the Python package
    // can reproduce a line byte for byte.
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf - 1, v, std::chars_format::scientific);
    *res.ptr = '\0';  // for atoi below
    std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
    size_t e = sci.find('e');
    std::string_view mantissa = sci.substr(0, e);
    int exponent = std::atoi(sci.data() + e + 1);
    bool negative = mantissa.front() == '-';
    if (negative) mantissa.remove_prefix(1);
    std::string digits;
    for (char c : mantissa)
        if (c != '.') digits.push_back(c);
    if (negative) out.push_back('-');
    if (exponent < -4 || exponent >= 16) {
        out.push_back(digits[0]);
        if (digits.size() > 1) {
            out.push_back('.');
            out.append(digits, 1, std::string::npos);
        }
        char exp[16];
        std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
        out.append(exp);
    } else if (exponent < 0) {
        out.append("0.");
        out.append(static_cast<size_t>(-exponent - 1), '0');
        out.append(digits);
    } else {
        size_t int_digits = static_cast<size_t>(exponent) + 1;
        if (digits.size() <= int_digits) {
            out.append(digits);
            out.append(int_digits - digits.size(), '0');
            out.append(".0");
        } else {
            out.append(digits, 0, int_digits);
            out.push_back('.');
            out.append(digits, int_digits, std::string::npos);
        }
    }
}

bool jsonb_key_less(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return a.size() < b.size();
    return std::memcmp(a.data(), b.data(), a.size()) < 0;
}

bool parse_line_format(std::string_view name, LineFormat *out) {
    static const std::pair<const char *, LineFormat> kNames[] = {{"raw", LineFormat::kRaw},
                                                                 {"text", LineFormat::kText},
                                                                 {"messages", LineFormat::kMessages},
                                                                 {"prompt-completion", LineFormat::kPromptCompletion},
                                                                 {"alpaca", LineFormat::kAlpaca}};
    for (const auto &n : kNames)
        if (name == n.first) {
            *out = n.second;
            return true;
        }
    return false;
}

namespace {

// The value of placeholder name, or false if there is no such placeholder.
bool placeholder(std::string_view name, const TemplateValues &v, std::string_view *value) {
    const std::pair<const char *, std::string_view> fields[] = {{"title", v.title},
                                                                {"text", v.text},
                                                                {"query", v.query},
                                                                {"document_id", v.document_id},
                                                                {"source", v.source},
                                                                {"domain", v.domain},
                                                                {"document_type", v.document_type}};
    for (const auto &f : fields)
        if (name == f.first) {
            *value = f.second;
            return true;
        }
    return false;
}

}  // namespace

std::string check_template(std::string_view tmpl) {
    TemplateValues none;
    for (size_t i = 0; i < tmpl.size(); i++) {
        if (tmpl[i] == '}') {
            if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
                i++;
                continue;
            }
            return "a single '}' at position " + std::to_string(i) + " (write '}}' for a brace)";
        }
        if (tmpl[i] != '{') continue;
        if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
            i++;
            continue;
        }
        size_t close = tmpl.find('}', i);
        if (close == std::string_view::npos) return "an unclosed '{' at position " + std::to_string(i);
        std::string_view name = tmpl.substr(i + 1, close - i - 1);
        std::string_view value;
        if (!placeholder(name, none, &value))
            return "unknown placeholder {" + std::string(name) +
                   "} (known: {title} {text} {query} {document_id} {source} {domain} {document_type})";
        i = close;
    }
    return std::string();
}

void render_template(std::string &out, std::string_view tmpl, const TemplateValues &v) {
    for (size_t i = 0; i < tmpl.size(); i++) {
        char c = tmpl[i];
        if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
            out.push_back(c);
            i++;
            continue;
        }
        if (c == '{') {
            size_t close = tmpl.find('}', i);
            std::string_view value;
            if (close != std::string_view::npos && placeholder(tmpl.substr(i + 1, close - i - 1), v, &value)) {
                out.append(value);
                i = close;
                continue;
            }
        }
        out.push_back(c);
    }
}

void append_training_line(std::string &out, const TrainingLine &line) {
    switch (line.format) {
        case LineFormat::kRaw:
        case LineFormat::kText:
            out.append("{\"text\":");
            append_json_string(out, line.text);
            break;
        case LineFormat::kMessages:
            out.append("{\"messages\":[{\"role\":\"user\",\"content\":");
            append_json_string(out, line.prompt);
            out.append("},{\"role\":\"assistant\",\"content\":");
            append_json_string(out, line.text);
            out.append("}]");
            break;
        case LineFormat::kPromptCompletion:
            out.append("{\"prompt\":");
            append_json_string(out, line.prompt);
            out.append(",\"completion\":");
            append_json_string(out, line.text);
            break;
        case LineFormat::kAlpaca:
            out.append("{\"instruction\":");
            append_json_string(out, line.prompt);
            out.append(",\"input\":\"\",\"output\":");
            append_json_string(out, line.text);
            break;
    }
    out.append(",\"metadata\":");
    out.append(line.metadata_json);
    out.append(",\"source\":");
    if (line.source_is_null)
        out.append("null");
    else
        append_json_string(out, line.source);
    out.append(",\"quality_score\":");
    append_json_double(out, line.quality_score);
    out.append(",\"document_id\":");
    append_json_string(out, line.document_id);
    out.append(",\"relevance_score\":");
    append_json_double(out, line.relevance_score);
    out.push_back('}');
}

}  // namespace clara
