#include "core/line_facts.hpp"

namespace clara::cli {

namespace {

class Scanner {
public:
    explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

    void space() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
    }
    bool take(char c) {
        space();
        if (p_ < end_ && *p_ == c) {
            ++p_;
            return true;
        }
        return false;
    }
    char peek() {
        space();
        return p_ < end_ ? *p_ : '\0';
    }

    // A string's raw bytes between its quotes (escapes left as they are).
    bool string(std::string_view *raw) {
        if (!take('"')) return false;
        const char *start = p_;
        while (p_ < end_ && *p_ != '"') p_ += *p_ == '\\' ? 2 : 1;
        if (p_ >= end_) return false;
        *raw = std::string_view(start, static_cast<size_t>(p_ - start));
        ++p_;
        return true;
    }

    // Skips one value of any kind, iteratively (no recursion per level).
    bool skip() {
        int depth = 0;
        do {
            char c = peek();
            if (c == '{' || c == '[') {
                ++p_;
                ++depth;
                continue;
            }
            if (c == '}' || c == ']') {
                if (depth == 0) return false;
                ++p_;
                --depth;
            } else if (c == '"') {
                std::string_view ignored;
                if (!string(&ignored)) return false;
            } else if (c == ',' || c == ':') {
                if (depth == 0) return false;
                ++p_;
                continue;
            } else {
                const char *start = p_;
                while (p_ < end_ && *p_ != ',' && *p_ != '}' && *p_ != ']' && *p_ != ' ' && *p_ != '\n') ++p_;
                if (p_ == start) return false;
            }
        } while (depth > 0);
        return true;
    }

    bool integer(int64_t *out) {
        space();
        bool negative = p_ < end_ && *p_ == '-';
        if (negative) ++p_;
        const char *start = p_;
        int64_t v = 0;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9' && v < (int64_t{1} << 58)) v = v * 10 + (*p_++ - '0');
        if (p_ == start || (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E'))) return false;
        *out = negative ? -v : v;
        return true;
    }

    const char *p_;
    const char *end_;
};

bool scan_metadata(Scanner &s, LineFacts &facts) {
    if (!s.take('{')) return s.skip();
    if (s.take('}')) return true;
    do {
        std::string_view key;
        if (!s.string(&key) || !s.take(':')) return false;
        if (key == "split" && s.peek() == '"') {
            std::string_view raw;
            if (!s.string(&raw)) return false;
            facts.split.assign(raw);  // split names are plain: a JSON escape would stay as written
        } else if ((key == "chunk_index" || key == "token_count") && s.peek() != '"' && s.peek() != 'n') {
            int64_t v;
            const char *at = s.p_;
            if (s.integer(&v)) {
                (key == "chunk_index" ? facts.chunk_index : facts.token_count) = v;
            } else {
                s.p_ = at;
                if (!s.skip()) return false;
            }
        } else if (!s.skip()) {
            return false;
        }
    } while (s.take(','));
    return s.take('}');
}

}  // namespace

bool scan_line(std::string_view line, LineFacts &facts) {
    facts = LineFacts{};
    Scanner s(line);
    if (!s.take('{')) return false;
    if (s.take('}')) return true;
    do {
        std::string_view key;
        if (!s.string(&key) || !s.take(':')) return false;
        if (key == "metadata") {
            if (!scan_metadata(s, facts)) return false;
        } else if (!s.skip()) {
            return false;
        }
    } while (s.take(','));
    return s.take('}');
}

}  // namespace clara::cli
