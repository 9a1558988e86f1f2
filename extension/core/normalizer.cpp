#include "normalizer.hpp"

#include <nlohmann/json.hpp>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <utility>

namespace clara {

namespace {

// The code point at s[i] and its length; an invalid byte is (-1, 1).
UChar32 next_code_point(std::string_view s, size_t i, size_t *len) {
    int32_t at = static_cast<int32_t>(i);
    UChar32 cp;
    U8_NEXT(reinterpret_cast<const uint8_t *>(s.data()), at, static_cast<int32_t>(s.size()), cp);
    *len = static_cast<size_t>(at) - i;
    return cp;
}

const icu::Normalizer2 *form(TextNormalizer::Step step) {
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2 *n = nullptr;
    switch (step) {
        case TextNormalizer::Step::kNfc: n = icu::Normalizer2::getNFCInstance(err); break;
        case TextNormalizer::Step::kNfd: n = icu::Normalizer2::getNFDInstance(err); break;
        case TextNormalizer::Step::kNfkc: n = icu::Normalizer2::getNFKCInstance(err); break;
        case TextNormalizer::Step::kNfkd: n = icu::Normalizer2::getNFKDInstance(err); break;
        default: break;
    }
    if (U_FAILURE(err) || n == nullptr) throw TokenizerError(std::string("ICU normalizer: ") + u_errorName(err));
    return n;
}

// A normalization form over in, group by group: a group starts at a code
// point with a boundary before it (ICU: nothing before it interacts with
// it), so normalizing groups one by one is normalizing the whole text.
// Single ASCII characters followed by a boundary are copied as they are.
void normalize_form(const icu::Normalizer2 &n, const NormalizedText &in, NormalizedText &out) {
    const std::string_view s = in.text;
    out.text.clear();
    out.origin_end.clear();
    out.text.reserve(s.size());
    out.origin_end.reserve(s.size());
    std::string group;
    size_t i = 0;
    while (i < s.size()) {
        size_t len;
        UChar32 cp = next_code_point(s, i, &len);
        size_t end = i + len;
        // Extend the group while the next code point interacts with it.
        while (cp >= 0 && end < s.size()) {
            size_t next_len;
            UChar32 next = next_code_point(s, end, &next_len);
            if (next < 0 || n.hasBoundaryBefore(next)) break;
            end += next_len;
        }
        const uint32_t origin = in.origin_end[end - 1];
        if (cp < 0 || (end == i + 1 && static_cast<unsigned char>(s[i]) < 0x80)) {
            // ASCII alone (normalized in every form) or an invalid byte: as it is.
            for (size_t k = i; k < end; k++) {
                out.text.push_back(s[k]);
                out.origin_end.push_back(in.origin_end[k]);
            }
        } else {
            group.clear();
            icu::StringByteSink<std::string> sink(&group);
            UErrorCode err = U_ZERO_ERROR;
            n.normalizeUTF8(0, icu::StringPiece(s.data() + i, static_cast<int32_t>(end - i)), sink, nullptr, err);
            if (U_FAILURE(err)) throw TokenizerError(std::string("ICU normalization failed: ") + u_errorName(err));
            out.text += group;
            out.origin_end.insert(out.origin_end.end(), group.size(), origin);
        }
        i = end;
    }
}

// Each code point's full lower-case mapping (root locale), on its own.
void lowercase(const NormalizedText &in, NormalizedText &out) {
    const std::string_view s = in.text;
    out.text.clear();
    out.origin_end.clear();
    out.text.reserve(s.size());
    out.origin_end.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        size_t len;
        UChar32 cp = next_code_point(s, i, &len);
        const uint32_t origin = in.origin_end[i + len - 1];
        if (cp >= 'A' && cp <= 'Z') {
            out.text.push_back(static_cast<char>(cp - 'A' + 'a'));
            out.origin_end.push_back(origin);
        } else if (cp < 0x80) {  // other ASCII, or an invalid byte: as it is
            out.text.append(s.substr(i, len));
            out.origin_end.insert(out.origin_end.end(), len, origin);
        } else {
            UChar src[2], dst[8];
            int32_t src_len = 0;
            U16_APPEND_UNSAFE(src, src_len, cp);
            UErrorCode err = U_ZERO_ERROR;
            int32_t dst_len = u_strToLower(dst, 8, src, src_len, "", &err);
            if (U_FAILURE(err)) throw TokenizerError(std::string("ICU lower-casing failed: ") + u_errorName(err));
            for (int32_t k = 0; k < dst_len;) {
                UChar32 c;
                U16_NEXT(dst, k, dst_len, c);
                char buf[4];
                int32_t n = 0;
                U8_APPEND_UNSAFE(buf, n, c);
                out.text.append(buf, static_cast<size_t>(n));
                out.origin_end.insert(out.origin_end.end(), static_cast<size_t>(n), origin);
            }
        }
        i += len;
    }
}

void replace(const NormalizedText &in, const std::string &pattern, const std::string &content, NormalizedText &out) {
    const std::string_view s = in.text;
    out.text.clear();
    out.origin_end.clear();
    out.text.reserve(s.size());
    out.origin_end.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        size_t hit = s.find(pattern, i);
        size_t copy_end = hit == std::string_view::npos ? s.size() : hit;
        out.text.append(s.substr(i, copy_end - i));
        out.origin_end.insert(out.origin_end.end(), in.origin_end.begin() + static_cast<ptrdiff_t>(i),
                              in.origin_end.begin() + static_cast<ptrdiff_t>(copy_end));
        if (hit == std::string_view::npos) break;
        out.text += content;
        out.origin_end.insert(out.origin_end.end(), content.size(), in.origin_end[hit + pattern.size() - 1]);
        i = hit + pattern.size();
    }
}

constexpr int kMaxDepth = 8;  // Sequence inside Sequence: real files have one level

}  // namespace

void TextNormalizer::add(const nlohmann::json &node, int depth) {
    if (node.is_null()) return;
    if (!node.is_object() || !node.contains("type") || !node.at("type").is_string())
        throw TokenizerError("tokenizer.json: a normalizer without a \"type\"");
    const std::string type = node.at("type").get<std::string>();
    auto text_field = [&](const char *key) {
        if (!node.contains(key) || !node.at(key).is_string())
            throw TokenizerError("tokenizer.json: normalizer " + type + " has no string \"" + key + "\"");
        return node.at(key).get<std::string>();
    };
    if (!description_.empty() && description_.back() != '[') description_ += ", ";
    if (type == "Sequence") {
        if (depth >= kMaxDepth) throw TokenizerError("tokenizer.json: normalizer Sequences nested too deep");
        if (!node.contains("normalizers") || !node.at("normalizers").is_array())
            throw TokenizerError("tokenizer.json: normalizer Sequence has no \"normalizers\" array");
        description_ += "Sequence[";
        for (const auto &child : node.at("normalizers")) add(child, depth + 1);
        description_ += "]";
        return;
    }
    description_ += type;
    if (type == "NFC") {
        steps_.push_back({Step::kNfc, {}, {}});
    } else if (type == "NFD") {
        steps_.push_back({Step::kNfd, {}, {}});
    } else if (type == "NFKC") {
        steps_.push_back({Step::kNfkc, {}, {}});
    } else if (type == "NFKD") {
        steps_.push_back({Step::kNfkd, {}, {}});
    } else if (type == "Lowercase") {
        steps_.push_back({Step::kLowercase, {}, {}});
    } else if (type == "Prepend") {
        steps_.push_back({Step::kPrepend, text_field("prepend"), {}});
    } else if (type == "Replace") {
        const auto &pattern = node.contains("pattern") ? node.at("pattern") : nlohmann::json();
        if (!pattern.is_object() || !pattern.contains("String") || !pattern.at("String").is_string())
            throw TokenizerError("tokenizer.json: normalizer Replace with a " +
                                 std::string(pattern.is_object() && pattern.contains("Regex") ? "Regex" : "missing") +
                                 " pattern is not supported (only a String pattern)");
        std::string from = pattern.at("String").get<std::string>();
        if (from.empty()) throw TokenizerError("tokenizer.json: normalizer Replace with an empty pattern");
        steps_.push_back({Step::kReplace, std::move(from), text_field("content")});
    } else {
        throw TokenizerError("tokenizer.json: normalizer \"" + type +
                             "\" is not supported (Clara implements NFC, NFD, NFKC, NFKD, Lowercase, Prepend, "
                             "Replace with a String pattern, and Sequence of those)");
    }
}

TextNormalizer TextNormalizer::from_json(const nlohmann::json &node) {
    TextNormalizer n;
    n.add(node, 0);
    return n;
}

bool TextNormalizer::leaves_unchanged(std::string_view text) const {
    for (const Op &op : steps_) {
        if (op.step != Step::kNfc && op.step != Step::kNfd && op.step != Step::kNfkc && op.step != Step::kNfkd)
            return false;
        UErrorCode err = U_ZERO_ERROR;
        const bool normalized = form(op.step)->isNormalizedUTF8(
            icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), err);
        if (U_FAILURE(err) || !normalized) return false;
    }
    return true;
}

void TextNormalizer::apply(std::string_view text, NormalizedText &out) const {
    NormalizedText cur;
    cur.text.assign(text);
    cur.origin_end.resize(text.size());
    for (size_t i = 0; i < text.size(); i++) cur.origin_end[i] = static_cast<uint32_t>(i + 1);
    NormalizedText next;
    for (const Op &op : steps_) {
        switch (op.step) {
            case Step::kNfc:
            case Step::kNfd:
            case Step::kNfkc:
            case Step::kNfkd: normalize_form(*form(op.step), cur, next); break;
            case Step::kLowercase: lowercase(cur, next); break;
            case Step::kPrepend:
                if (cur.text.empty()) continue;
                next.text = op.a + cur.text;
                next.origin_end.assign(op.a.size(), 0);
                next.origin_end.insert(next.origin_end.end(), cur.origin_end.begin(), cur.origin_end.end());
                break;
            case Step::kReplace: replace(cur, op.a, op.b, next); break;
        }
        std::swap(cur, next);
    }
    out = std::move(cur);
}

std::string TextNormalizer::apply(std::string_view text) const {
    NormalizedText out;
    apply(text, out);
    return std::move(out.text);
}

}  // namespace clara
