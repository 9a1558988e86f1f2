#include "core/line_schema.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace clara::cli {

namespace {

enum Type : uint8_t { kNull, kBoolean, kNumber, kString, kArray, kObject };

const char *type_name(uint8_t t) {
    switch (t) {
        case kBoolean: return "a boolean";
        case kNumber: return "a number";
        case kString: return "a string";
        case kArray: return "an array";
        case kObject: return "an object";
        default: return "null";
    }
}

bool is_identifier(std::string_view key) {
    if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string json_quoted(std::string_view key) { return nlohmann::json(std::string(key)).dump(); }

}  // namespace

std::string schema_path_child(const std::string &parent, std::string_view key) {
    if (is_identifier(key)) return parent + "." + std::string(key);
    return parent + "[" + json_quoted(key) + "]";
}

// Walks one line's SAX events with an explicit stack (no recursion); stops
// at the first finding.
class LineSchemaHandler : public nlohmann::json_sax<nlohmann::json> {
public:
    LineSchemaHandler(LineSchema &schema, const std::string &where) : schema_(schema), where_(where) {}

    bool null() override { return value(kNull); }
    bool boolean(bool) override { return value(kBoolean); }
    bool number_integer(number_integer_t) override { return value(kNumber); }
    bool number_unsigned(number_unsigned_t) override { return value(kNumber); }
    bool number_float(number_float_t, const string_t &) override { return value(kNumber); }
    bool string(string_t &) override { return value(kString); }
    bool binary(binary_t &) override { return value(kString); }
    bool start_object(std::size_t) override { return open(kObject); }
    bool start_array(std::size_t) override { return open(kArray); }
    bool key(string_t &k) override {
        Frame &f = stack_.back();
        f.keys.push_back(k);
        f.child = schema_path_child(f.path, k);
        return true;
    }
    bool end_array() override {
        stack_.pop_back();
        return true;
    }
    bool end_object() override {
        Frame &f = stack_.back();
        std::sort(f.keys.begin(), f.keys.end());
        auto twice = std::adjacent_find(f.keys.begin(), f.keys.end());
        if (twice != f.keys.end()) return fail(f.path + " has key " + json_quoted(*twice) + " twice");
        auto found = schema_.key_sets_.find(f.path);
        if (found == schema_.key_sets_.end()) {
            schema_.key_sets_.emplace(f.path, LineSchema::KeySet{std::move(f.keys), where_});
        } else if (found->second.keys != f.keys) {
            const std::vector<std::string> &before = found->second.keys;
            // The first key in one set and not the other, in key order.
            std::vector<std::string> missing, extra;
            std::set_difference(before.begin(), before.end(), f.keys.begin(), f.keys.end(),
                                std::back_inserter(missing));
            std::set_difference(f.keys.begin(), f.keys.end(), before.begin(), before.end(), std::back_inserter(extra));
            if (!missing.empty())
                return fail(f.path + " lacks key " + json_quoted(missing.front()) + " (present at " +
                            found->second.where + "; write null for a missing value)");
            return fail(f.path + " has key " + json_quoted(extra.front()) + " that " + found->second.where +
                        " does not have");
        }
        stack_.pop_back();
        return true;
    }
    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &e) override {
        if (finding_.empty()) {
            std::string what = e.what();
            // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." -> after the code.
            size_t bracket = what.find("] ");
            finding_ = "not valid JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2));
        }
        return false;
    }

    const std::string &finding() const { return finding_; }

private:
    struct Frame {
        std::string path;
        bool array;
        std::vector<std::string> keys;
        std::string child;  // path of the value after the last key
    };

    std::string current_path() const {
        if (stack_.empty()) return "$";
        const Frame &f = stack_.back();
        return f.array ? f.path + "[]" : f.child;
    }

    bool fail(std::string why) {
        finding_ = std::move(why);
        return false;
    }

    bool observe(const std::string &path, uint8_t type) {
        auto found = schema_.types_.find(path);
        if (found == schema_.types_.end()) {
            schema_.types_.emplace(path, LineSchema::Seen{type, where_});
            return true;
        }
        LineSchema::Seen &seen = found->second;
        if (type == kNull || seen.type == type) return true;
        if (seen.type == kNull) {
            seen = LineSchema::Seen{type, where_};
            return true;
        }
        return fail(path + " is " + type_name(type) + ", but " + type_name(seen.type) + " at " + seen.where);
    }

    bool value(uint8_t type) { return observe(current_path(), type); }

    bool open(uint8_t type) {
        if (stack_.size() >= kMaxSchemaDepth)
            return fail("nested deeper than " + std::to_string(kMaxSchemaDepth) + " levels");
        std::string path = current_path();
        if (!observe(path, type)) return false;
        stack_.push_back(Frame{std::move(path), type == kArray, {}, {}});
        return true;
    }

    LineSchema &schema_;
    const std::string &where_;
    std::vector<Frame> stack_;
    std::string finding_;
};

std::string LineSchema::check(std::string_view line, const std::string &where) {
    LineSchemaHandler handler(*this, where);
    bool ok = nlohmann::json::sax_parse(line.data(), line.data() + line.size(), &handler,
                                        nlohmann::json::input_format_t::json, true, false);
    if (!ok && handler.finding().empty()) return "not valid JSON";
    return handler.finding();
}

}  // namespace clara::cli
