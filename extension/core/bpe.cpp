#include "bpe.hpp"

#include "tokenizer_json.hpp"

#include <nlohmann/json.hpp>
#include <unicode/uchar.h>

#include <algorithm>
#include <cstring>

namespace clara {

namespace {

// ---------------------------------------------------------------------------
// Characters: a code point and its byte length, with the classes the
// patterns use (ICU's general categories; \s is Unicode White_Space, as in
// the Rust regex crates tiktoken and tokenizers use).

struct Char {
    UChar32 cp;  // -1: an invalid byte (a class of its own: "other")
    uint32_t len;
};

Char char_at(std::string_view s, size_t i) {
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    const size_t n = s.size();
    unsigned char b = p[i];
    if (b < 0x80) return {b, 1};
    int len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > n) return {-1, 1};
    UChar32 cp = b & (0xFF >> (len + 1));
    for (int k = 1; k < len; k++) {
        if ((p[i + k] & 0xC0) != 0x80) return {-1, 1};
        cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    return {cp, static_cast<uint32_t>(len)};
}

enum : uint32_t {
    kLetter = 1,     // \p{L}
    kNumber = 2,     // \p{N}
    kSpace = 4,      // \s
    kCrLf = 8,       // [\r\n]
    kUpperish = 16,  // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
    kLowerish = 32,  // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
};

uint32_t classes(UChar32 cp) {
    if (cp < 0) return 0;
    if (cp < 0x80) {  // the common case without ICU
        if ((cp >= 'a' && cp <= 'z')) return kLetter | kLowerish;
        if ((cp >= 'A' && cp <= 'Z')) return kLetter | kUpperish;
        if (cp >= '0' && cp <= '9') return kNumber;
        if (cp == '\r' || cp == '\n') return kSpace | kCrLf;
        if (cp == ' ' || (cp >= '\t' && cp <= '\r')) return kSpace;
        return 0;
    }
    uint32_t c = 0;
    switch (u_charType(cp)) {
        case U_UPPERCASE_LETTER:
        case U_TITLECASE_LETTER: c = kLetter | kUpperish; break;
        case U_LOWERCASE_LETTER: c = kLetter | kLowerish; break;
        case U_MODIFIER_LETTER:
        case U_OTHER_LETTER: c = kLetter | kUpperish | kLowerish; break;
        case U_NON_SPACING_MARK:
        case U_ENCLOSING_MARK:
        case U_COMBINING_SPACING_MARK: c = kUpperish | kLowerish; break;
        case U_DECIMAL_DIGIT_NUMBER:
        case U_LETTER_NUMBER:
        case U_OTHER_NUMBER: c = kNumber; break;
        default: break;
    }
    if (u_isUWhiteSpace(cp)) c |= kSpace;
    return c;
}

// classes() of each ASCII character, for the scanner's fast path.
struct AsciiClasses {
    uint8_t of[128];
    AsciiClasses() {
        for (int c = 0; c < 128; c++) of[c] = static_cast<uint8_t>(classes(c));
    }
};
const AsciiClasses kAsciiClasses;

// A cursor over the text with the classes of the character at each offset
// (ASCII without decoding: most of the text a tokenizer sees).
struct Scanner {
    std::string_view s;
    Char at(size_t i) const { return char_at(s, i); }
    uint32_t cls(size_t i) const {
        if (i >= s.size()) return 0;
        const auto b = static_cast<unsigned char>(s[i]);
        return b < 0x80 ? kAsciiClasses.of[b] : classes(at(i).cp);
    }
    size_t next(size_t i) const { return static_cast<unsigned char>(s[i]) < 0x80 ? i + 1 : i + at(i).len; }
    bool is_other(size_t i) const { return i < s.size() && (cls(i) & (kSpace | kLetter | kNumber)) == 0; }
    bool is(size_t i, uint32_t mask) const { return i < s.size() && (cls(i) & mask) != 0; }
    // End of the run of characters with any class in mask, from i.
    size_t run(size_t i, uint32_t mask) const {
        while (is(i, mask)) i = next(i);
        return i;
    }
    // An optional "[^\r\n\p{L}\p{N}]" at i: its end, or i.
    bool prefix_char(size_t i) const { return i < s.size() && (cls(i) & (kCrLf | kLetter | kNumber)) == 0; }
    // 's 't 're 've 'm 'll 'd at i (case-insensitive unless exact): end or 0.
    size_t contraction(size_t i, bool any_case) const {
        if (i >= s.size() || s[i] != '\'') return 0;
        auto low = [&](size_t k) -> int {
            if (k >= s.size()) return 0;
            char c = s[k];
            return any_case && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
        };
        int a = low(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        int b = low(i + 2);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
        return 0;
    }
    // \p{N}{1,max} at i: its end, or 0.
    size_t digits(size_t i, int max) const {
        if (!is(i, kNumber)) return 0;
        size_t e = i;
        for (int k = 0; k < max && is(e, kNumber); k++) e = next(e);
        return e;
    }
    // ` ?[^\s\p{L}\p{N}]+` and then [\r\n]* ([\r\n/]* with slash): its end, or 0.
    size_t punctuation(size_t i, bool slash) const {
        size_t o = i;
        if (s[i] == ' ' && is_other(i + 1)) o = i + 1;
        if (!is_other(o)) return 0;
        while (is_other(o)) o = next(o);
        while (o < s.size() && (s[o] == '\r' || s[o] == '\n' || (slash && s[o] == '/'))) o++;
        return o;
    }
    // Whitespace alternatives shared by every pattern, at i (a space char):
    // \s*[\r\n]+ (where allowed), \s+(?!\S), \s+.
    size_t whitespace(size_t i, bool crlf_rule) const {
        size_t end = run(i, kSpace);
        if (crlf_rule) {
            size_t last = SIZE_MAX;
            for (size_t k = i; k < end; k = next(k))
                if (is(k, kCrLf)) last = k;
            if (last != SIZE_MAX) return next(last);
        }
        if (end == s.size()) return end;
        // \s+(?!\S): give the last space back to the word that follows.
        size_t before_last = i, k = i;
        while (next(k) < end) {
            before_last = next(k);
            k = next(k);
        }
        if (before_last > i) return before_last;
        return end;  // \s+
    }
};

size_t match_cl100k(const Scanner &t, size_t i, int max_digits) {
    if (size_t e = t.contraction(i, true)) return e;
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (t.prefix_char(i) && t.is(t.next(i), kLetter)) return t.run(t.next(i), kLetter);
    if (t.is(i, kLetter)) return t.run(i, kLetter);
    if (size_t e = t.digits(i, max_digits)) return e;
    if (size_t e = t.punctuation(i, false)) return e;
    if (t.is(i, kSpace)) return t.whitespace(i, true);
    return t.next(i);
}

size_t match_o200k(const Scanner &t, size_t i) {
    const bool pre = t.prefix_char(i);
    // [^\r\n\p{L}\p{N}]?[Upper]*[Lower]+(contraction)?
    for (int with_prefix = pre ? 1 : 0; with_prefix >= 0; with_prefix--) {
        size_t s = with_prefix ? t.next(i) : i;
        std::vector<size_t> upper_ends{s};
        for (size_t k = s; t.is(k, kUpperish);) {
            k = t.next(k);
            upper_ends.push_back(k);
        }
        for (size_t u = upper_ends.size(); u-- > 0;) {
            size_t w = upper_ends[u];
            if (t.is(w, kLowerish)) {
                size_t e = t.run(w, kLowerish);
                if (size_t c = t.contraction(e, true)) e = c;
                return e;
            }
        }
    }
    // [^\r\n\p{L}\p{N}]?[Upper]+[Lower]*(contraction)?
    for (int with_prefix = pre ? 1 : 0; with_prefix >= 0; with_prefix--) {
        size_t s = with_prefix ? t.next(i) : i;
        if (!t.is(s, kUpperish)) continue;
        size_t e = t.run(t.run(s, kUpperish), kLowerish);
        if (size_t c = t.contraction(e, true)) e = c;
        return e;
    }
    if (size_t e = t.digits(i, 3)) return e;
    if (size_t e = t.punctuation(i, true)) return e;
    if (t.is(i, kSpace)) return t.whitespace(i, true);
    return t.next(i);
}

size_t match_gpt2(const Scanner &t, size_t i) {
    if (size_t e = t.contraction(i, false)) return e;
    const size_t after_space = t.s[i] == ' ' ? i + 1 : i;
    for (uint32_t mask : {uint32_t(kLetter), uint32_t(kNumber)}) {
        if (after_space != i && t.is(after_space, mask)) return t.run(after_space, mask);
        if (t.is(i, mask)) return t.run(i, mask);
    }
    size_t o = after_space != i && t.is_other(after_space) ? after_space : i;
    if (t.is_other(o)) {
        while (t.is_other(o)) o = t.next(o);
        return o;
    }
    if (t.is(i, kSpace)) return t.whitespace(i, false);
    return t.next(i);
}

// ---------------------------------------------------------------------------
// Files.

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool base64_decode(std::string_view in, std::string &out) {
    out.clear();
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        int v = base64_value(c);
        if (v < 0) return false;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return true;
}

// GPT-2's bytes_to_unicode: the code point each byte is written as in a
// byte-level vocabulary; and back (-1 for code points that are no byte).
struct ByteLevelMap {
    int byte_of[324];
    ByteLevelMap() {
        std::fill(std::begin(byte_of), std::end(byte_of), -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            int cp = printable ? b : 256 + extra++;
            byte_of[cp] = b;
        }
    }
    // The bytes a vocabulary string stands for; false if it is no
    // byte-level string (an added special token, for one).
    bool decode(std::string_view token, std::string &out) const {
        out.clear();
        for (size_t i = 0; i < token.size();) {
            Char c = char_at(token, i);
            if (c.cp < 0 || c.cp >= 324 || byte_of[c.cp] < 0) return false;
            out.push_back(static_cast<char>(byte_of[c.cp]));
            i += c.len;
        }
        return !out.empty();
    }
};

const ByteLevelMap &byte_level() {
    static const ByteLevelMap map;
    return map;
}

bool byte_level_map_decode(std::string_view token, std::string &out) { return byte_level().decode(token, out); }

// The Split patterns of known tokenizer.json files.
struct KnownPattern {
    const char *regex;
    BpePattern pattern;
};
const KnownPattern kKnownPatterns[] = {
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     BpePattern::kCl100k},
    {R"('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     BpePattern::kCl100k},
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     BpePattern::kQwen2},
    {R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     BpePattern::kO200k},
    {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)", BpePattern::kGpt2},
};

// Walks a pre_tokenizer / decoder description for what matters here.
void inspect(const nlohmann::json &node, bool *byte_level, bool *prefix_space, std::string *split, bool *gpt2_regex) {
    if (node.is_null()) return;
    const std::string type = node.value("type", "");
    if (type == "Sequence") {
        for (const char *key : {"pretokenizers", "decoders"})
            if (node.contains(key))
                for (const auto &child : node.at(key)) inspect(child, byte_level, prefix_space, split, gpt2_regex);
    } else if (type == "ByteLevel") {
        *byte_level = true;
        if (node.value("add_prefix_space", false)) *prefix_space = true;
        if (node.value("use_regex", true)) *gpt2_regex = true;
    } else if (type == "Split") {
        if (!node.contains("pattern") || !node.at("pattern").contains("Regex"))
            throw TokenizerError("tokenizer.json: a Split pre-tokenizer without a Regex pattern is not supported");
        if (!split->empty()) throw TokenizerError("tokenizer.json: more than one Split pre-tokenizer");
        *split = node.at("pattern").at("Regex").get<std::string>();
        const std::string behavior = node.value("behavior", "Isolated");
        if (behavior != "Isolated")
            throw TokenizerError("tokenizer.json: Split behavior \"" + behavior +
                                 "\" is not supported (only Isolated)");
    } else if (!type.empty() && type != "ByteLevel") {
        throw TokenizerError("tokenizer.json: pre-tokenizer \"" + type + "\" is not supported");
    }
}

}  // namespace

const char *bpe_pattern_name(BpePattern p) {
    switch (p) {
        case BpePattern::kCl100k: return "cl100k";
        case BpePattern::kQwen2: return "qwen2";
        case BpePattern::kO200k: return "o200k";
        case BpePattern::kGpt2: return "gpt2";
        case BpePattern::kNone: return "none";
    }
    return "?";
}

void bpe_pre_tokenize(BpePattern pattern, std::string_view text, std::vector<std::pair<uint32_t, uint32_t>> &out) {
    Scanner t{text};
    for (size_t i = 0; i < text.size();) {
        size_t e = 0;
        switch (pattern) {
            case BpePattern::kCl100k: e = match_cl100k(t, i, 3); break;
            case BpePattern::kQwen2: e = match_cl100k(t, i, 1); break;
            case BpePattern::kO200k: e = match_o200k(t, i); break;
            case BpePattern::kGpt2: e = match_gpt2(t, i); break;
            case BpePattern::kNone: e = text.size(); break;
        }
        if (e <= i) e = t.next(i);
        out.emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(e));
        i = e;
    }
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_tiktoken(std::string_view file, const BpePattern *pattern) {
    std::unique_ptr<BpeTokenizer> t(new BpeTokenizer());
    std::string bytes;
    size_t line_no = 0;
    for (size_t pos = 0; pos < file.size();) {
        size_t eol = file.find('\n', pos);
        if (eol == std::string_view::npos) eol = file.size();
        std::string_view line = file.substr(pos, eol - pos);
        pos = eol + 1;
        line_no++;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        size_t sp = line.find(' ');
        uint64_t rank = 0;
        bool ok = sp != std::string_view::npos && sp + 1 < line.size() && base64_decode(line.substr(0, sp), bytes) &&
                  !bytes.empty();
        for (size_t k = sp + 1; ok && k < line.size(); k++) {
            ok = line[k] >= '0' && line[k] <= '9';
            rank = rank * 10 + static_cast<uint64_t>(line[k] - '0');
            ok = ok && rank < (1u << 31);
        }
        if (!ok)
            throw TokenizerError("tiktoken file: line " + std::to_string(line_no) +
                                 " is not \"<base64 token> <rank>\"");
        if (!t->vocab_.insert(bytes, static_cast<uint32_t>(rank)))
            throw TokenizerError("tiktoken file: line " + std::to_string(line_no) + " repeats a token");
    }
    for (int b = 0; b < 256; b++) {
        const char byte = static_cast<char>(b);
        const uint32_t *id = t->vocab_.find(std::string_view(&byte, 1));
        if (id == nullptr)
            throw TokenizerError("tiktoken file: byte " + std::to_string(b) + " has no rank (not a byte-level BPE)");
        t->byte_ids_[b] = *id;
    }
    if (pattern != nullptr) {
        t->pattern_ = *pattern;
        return t;
    }
    switch (t->vocab_.size()) {
        case 100256: t->pattern_ = BpePattern::kCl100k; break;  // cl100k_base
        case 128000: t->pattern_ = BpePattern::kCl100k; break;  // Llama 3 tokenizer.model
        case 199998: t->pattern_ = BpePattern::kO200k; break;   // o200k_base
        default:
            throw TokenizerError("tiktoken file of " + std::to_string(t->vocab_.size()) +
                                 " ranks: its pre-tokenizer is unknown (cl100k_base has 100256, o200k_base 199998, "
                                 "Llama 3's tokenizer.model 128000)");
    }
    return t;
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_hf_json(std::string_view file) {
    TokenizerJson file_json;
    read_tokenizer_json(file, file_json);
    const nlohmann::json &j = file_json.doc;
    if (!j.is_object() || !j.contains("model") || !j.at("model").is_object())
        throw TokenizerError("tokenizer.json has no \"model\" object");
    const auto &model = j.at("model");
    const std::string type = model.value("type", "");
    if (type != "BPE")
        throw TokenizerError(
            "tokenizer.json: model type \"" + type +
            "\" is not supported (BPE only; for a SentencePiece unigram model register its .model file)");
    TextNormalizer normalizer;
    if (j.contains("normalizer")) normalizer = TextNormalizer::from_json(j.at("normalizer"));
    bool byte_level = false, prefix_space = false, gpt2_regex = false;
    std::string split;
    if (j.contains("pre_tokenizer")) inspect(j.at("pre_tokenizer"), &byte_level, &prefix_space, &split, &gpt2_regex);
    bool decoder_byte_level = false, unused_prefix = false, unused_regex = false;
    std::string unused_split;
    if (j.contains("decoder") && j.at("decoder").value("type", "") == "ByteLevel")
        inspect(j.at("decoder"), &decoder_byte_level, &unused_prefix, &unused_split, &unused_regex);
    // SentencePiece-style (Llama 2): no pre-tokenizer, the normalizer marks
    // spaces with U+2581, merges over characters, unknown characters as
    // <0xXX> byte tokens.
    const bool pre_tokenizer_null = !j.contains("pre_tokenizer") || j.at("pre_tokenizer").is_null();
    const bool char_level = !byte_level && pre_tokenizer_null && model.value("byte_fallback", false);
    if (!byte_level && !char_level)
        throw TokenizerError(
            "tokenizer.json: neither a byte-level BPE (a ByteLevel pre-tokenizer) nor a SentencePiece-style BPE "
            "(byte_fallback, no pre-tokenizer); for SentencePiece models register their .model file");
    if (prefix_space) throw TokenizerError("tokenizer.json: ByteLevel add_prefix_space is not supported");

    std::unique_ptr<BpeTokenizer> t(new BpeTokenizer());
    t->hf_ = true;
    t->ignore_merges_ = model.value("ignore_merges", false);
    t->normalizer_ = std::move(normalizer);
    if (char_level) return from_hf_char_level(file_json, std::move(t));
    if (!split.empty()) {
        bool known = false;
        for (const KnownPattern &k : kKnownPatterns)
            if (split == k.regex) {
                t->pattern_ = k.pattern;
                known = true;
            }
        if (!known)
            throw TokenizerError("tokenizer.json: pre-tokenizer pattern not supported: " + split.substr(0, 100));
    } else if (gpt2_regex) {
        t->pattern_ = BpePattern::kGpt2;
    } else {
        throw TokenizerError("tokenizer.json: no pre-tokenizer pattern");
    }

    if (!file_json.has_vocab) throw TokenizerError("tokenizer.json: model.vocab is not an object");
    std::string bytes;
    t->vocab_.reserve(file_json.vocab.size());
    // Backwards, so that a key repeated in the file has its last id (as a JSON object would).
    for (auto it = file_json.vocab.rbegin(); it != file_json.vocab.rend(); ++it) {
        if (!byte_level_map_decode(file_json.text(it->token), bytes)) continue;  // special tokens are not byte-level
        t->vocab_.insert(bytes, it->id);
    }
    for (int b = 0; b < 256; b++) {
        const char byte = static_cast<char>(b);
        const uint32_t *id = t->vocab_.find(std::string_view(&byte, 1));
        if (id == nullptr)
            throw TokenizerError("tokenizer.json: byte " + std::to_string(b) + " has no token (not a byte-level BPE)");
        t->byte_ids_[b] = *id;
    }
    if (!file_json.has_merges) throw TokenizerError("tokenizer.json: model.merges is not an array");
    uint32_t rank = 0;
    std::string left, right;
    t->merges_.reserve(file_json.merges.size());
    std::string joined;
    for (const TokenizerJson::Merge &m : file_json.merges) {
        const std::string_view a = file_json.text(m.left), b = file_json.text(m.right);
        if (!byte_level_map_decode(a, left) || !byte_level_map_decode(b, right))
            throw TokenizerError("tokenizer.json: merge " + std::string(a) + " " + std::string(b) +
                                 " is not byte-level");
        joined.assign(left).append(right);
        const uint32_t *ia = t->vocab_.find(left), *ib = t->vocab_.find(right), *im = t->vocab_.find(joined);
        if (ia == nullptr || ib == nullptr || im == nullptr)
            throw TokenizerError("tokenizer.json: merge " + std::string(a) + " " + std::string(b) +
                                 " names a token not in the vocabulary");
        t->merges_.insert(*ia, *ib, MergeTable::Merge{rank++, *im});
    }
    return t;
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_hf_char_level(const TokenizerJson &file_json,
                                                               std::unique_ptr<BpeTokenizer> t) {
    t->char_level_ = true;
    t->pattern_ = BpePattern::kNone;
    if (!file_json.has_vocab) throw TokenizerError("tokenizer.json: model.vocab is not an object");
    t->vocab_.reserve(file_json.vocab.size());
    for (auto it = file_json.vocab.rbegin(); it != file_json.vocab.rend(); ++it)
        t->vocab_.insert(file_json.text(it->token), it->id);
    char name[8];
    for (int b = 0; b < 256; b++) {
        snprintf(name, sizeof name, "<0x%02X>", b);
        const uint32_t *id = t->vocab_.find(name);
        if (id == nullptr)
            throw TokenizerError(std::string("tokenizer.json: byte_fallback without the byte token ") + name);
        t->byte_ids_[b] = *id;
    }
    if (!file_json.has_merges) throw TokenizerError("tokenizer.json: model.merges is not an array");
    uint32_t rank = 0;
    t->merges_.reserve(file_json.merges.size());
    std::string joined;
    for (const TokenizerJson::Merge &m : file_json.merges) {
        const std::string_view a = file_json.text(m.left), b = file_json.text(m.right);
        joined.assign(a).append(b);
        const uint32_t *ia = t->vocab_.find(a), *ib = t->vocab_.find(b), *im = t->vocab_.find(joined);
        if (ia == nullptr || ib == nullptr || im == nullptr)
            throw TokenizerError("tokenizer.json: merge " + std::string(a) + " " + std::string(b) +
                                 " names a token not in the vocabulary");
        t->merges_.insert(*ia, *ib, MergeTable::Merge{rank++, *im});
    }
    return t;
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_file(std::string_view file) {
    size_t i = 0;
    while (i < file.size() && (file[i] == ' ' || file[i] == '\n' || file[i] == '\r' || file[i] == '\t')) i++;
    if (i < file.size() && file[i] == '{') return from_hf_json(file);
    return from_tiktoken(file);
}

bool BpeTokenizer::pair_merge(std::string_view piece, uint32_t left, uint32_t mid, uint32_t right, uint32_t left_id,
                              uint32_t right_id, uint32_t *rank, uint32_t *merged_id) const {
    (void)mid;
    if (hf_) {
        const MergeTable::Merge *m = merges_.find(left_id, right_id);
        if (m == nullptr) return false;
        *rank = m->rank;
        *merged_id = m->merged;
        return true;
    }
    // tiktoken: the rank of a pair is the rank of its bytes, adjacent in the piece.
    const uint32_t *id = vocab_.find(piece.substr(left, right - left));
    if (id == nullptr) return false;
    *rank = *id;
    *merged_id = *id;
    return true;
}

// SentencePiece-style symbols: one per character in the vocabulary, else
// one per byte (<0xXX>), as the tokenizers library starts a word with
// byte_fallback (every byte token is there: the unknown token never comes).
void BpeTokenizer::init_characters(std::string_view piece) const {
    const uint32_t n = static_cast<uint32_t>(piece.size());
    uint32_t last = UINT32_MAX;
    auto add = [&](uint32_t start, uint32_t stop, uint32_t token) {
        end_[start] = stop;
        prev_[start] = last;
        id_[start] = token;
        last = start;
    };
    for (uint32_t i = 0; i < n;) {
        const uint32_t len = std::max<uint32_t>(1, std::min<uint32_t>(char_at(piece, i).len, n - i));
        const uint32_t *id = vocab_.find(piece.substr(i, len));
        if (id != nullptr) {
            add(i, i + len, *id);
        } else {
            for (uint32_t k = i; k < i + len; k++) add(k, k + 1, byte_ids_[static_cast<unsigned char>(piece[k])]);
        }
        i += len;
    }
}

void BpeTokenizer::merge_piece(std::string_view piece) const {
    const uint32_t n = static_cast<uint32_t>(piece.size());
    merged_ends_.clear();
    merged_ids_.clear();
    // Symbols by their first byte: end, neighbours, id; alive = end > start.
    end_.resize(n);
    prev_.resize(n);
    id_.resize(n);
    if (char_level_) {
        init_characters(piece);
    } else {
        for (uint32_t i = 0; i < n; i++) {
            end_[i] = i + 1;
            prev_[i] = i == 0 ? UINT32_MAX : i - 1;
            id_[i] = byte_ids_[static_cast<unsigned char>(piece[i])];
        }
    }
    // A min-heap of candidate merges (lowest rank, then leftmost), its
    // storage kept from piece to piece.
    heap_.clear();
    const auto later = [](const Candidate &a, const Candidate &b) { return a > b; };
    auto consider = [&](uint32_t left) {
        const uint32_t mid = end_[left];
        if (mid >= n) return;
        const uint32_t right = end_[mid];
        uint32_t rank = 0, merged = 0;
        if (pair_merge(piece, left, mid, right, id_[left], id_[mid], &rank, &merged)) {
            heap_.push_back(Candidate{rank, left, mid, right, merged});
            std::push_heap(heap_.begin(), heap_.end(), later);
        }
    };
    for (uint32_t i = 0; i < n; i = end_[i]) consider(i);
    while (!heap_.empty()) {
        std::pop_heap(heap_.begin(), heap_.end(), later);
        const Candidate c = heap_.back();
        heap_.pop_back();
        // Stale if either symbol changed since the pair was ranked.
        if (end_[c.left] != c.mid || end_[c.mid] != c.right) continue;
        end_[c.left] = c.right;
        end_[c.mid] = c.mid;  // dead
        id_[c.left] = c.merged;
        if (c.right < n) prev_[c.right] = c.left;
        if (prev_[c.left] != UINT32_MAX) consider(prev_[c.left]);
        consider(c.left);
    }
    for (uint32_t i = 0; i < n; i = end_[i]) {
        merged_ends_.push_back(end_[i]);
        merged_ids_.push_back(id_[i]);
    }
}

template <typename Emit>
void BpeTokenizer::piece_tokens(std::string_view piece, Emit &&emit) const {
    const uint32_t n = static_cast<uint32_t>(piece.size());
    if (n == 1 && !char_level_) {
        emit(1u, byte_ids_[static_cast<unsigned char>(piece[0])]);
        return;
    }
    const bool cacheable = cache_.cacheable(piece);
    if (cacheable) {
        if (const PieceCache::Entry *e = cache_.find(piece)) {
            for (uint32_t k = 0; k < e->tokens; k++) emit(uint32_t(e->ends[k]), e->ids[k]);
            return;
        }
    }
    // tiktoken, and tokenizer.json with ignore_merges: a piece that is a
    // token is that token.
    const uint32_t *whole = !hf_ || ignore_merges_ ? vocab_.find(piece) : nullptr;
    if (whole != nullptr) {
        if (cacheable) cache_.store(piece, &n, whole, 1);
        emit(n, *whole);
        return;
    }
    merge_piece(piece);
    if (cacheable) cache_.store(piece, merged_ends_.data(), merged_ids_.data(), merged_ends_.size());
    for (size_t k = 0; k < merged_ends_.size(); k++) emit(merged_ends_[k], merged_ids_[k]);
}

template <typename Emit>
void BpeTokenizer::tokens(std::string_view text, Emit &&emit) const {
    pieces_.clear();
    bpe_pre_tokenize(pattern_, text, pieces_);
    for (const auto &p : pieces_)
        piece_tokens(text.substr(p.first, p.second - p.first),
                     [&](uint32_t end, uint32_t id) { emit(p.first + end, id); });
}

void BpeTokenizer::token_ends(std::string_view text, std::vector<uint32_t> &ends) const {
    if (normalizer_.identity() || normalizer_.leaves_unchanged(text)) {
        tokens(text, [&](uint32_t end, uint32_t) { ends.push_back(end); });
        return;
    }
    NormalizedText n;
    normalizer_.apply(text, n);
    tokens(std::string_view(n.text), [&](uint32_t end, uint32_t) { ends.push_back(n.original_end(end)); });
}

void BpeTokenizer::encode(std::string_view text, std::vector<uint32_t> &ids) const {
    std::string normalized;
    if (!normalizer_.identity() && !normalizer_.leaves_unchanged(text)) {
        normalized = normalizer_.apply(text);
        text = normalized;
    }
    tokens(text, [&](uint32_t, uint32_t id) { ids.push_back(id); });
}

size_t BpeTokenizer::count(std::string_view text) const {
    std::string normalized;
    if (!normalizer_.identity() && !normalizer_.leaves_unchanged(text)) {
        normalized = normalizer_.apply(text);
        text = normalized;
    }
    size_t n = 0;
    tokens(text, [&](uint32_t, uint32_t) { n++; });
    return n;
}

}  // namespace clara
