#include "jsonl.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace clara {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// True for bytes that must not appear raw inside a JSON string.
inline bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

}  // namespace

void append_json_string(std::string &out, std::string_view s) {
    out.reserve(out.size() + s.size() + 2);
    out.push_back('"');
    const char *p = s.data();
    const char *end = p + s.size();
    while (p < end) {
        // Copy the longest run that needs no escaping in one go: the common
        // case for prose, and what keeps export at memcpy speed.
        const char *run = p;
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

void append_training_line(std::string &out, const TrainingLine &line) {
    out.append("{\"text\":");
    append_json_string(out, line.text);
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
