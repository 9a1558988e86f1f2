#include "jsonl.hpp"

#include <charconv>
#include <cmath>
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
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    std::string_view digits(buf, static_cast<size_t>(res.ptr - buf));
    out.append(digits);
    if (digits.find_first_of(".e") == std::string_view::npos) out.append(".0");
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
