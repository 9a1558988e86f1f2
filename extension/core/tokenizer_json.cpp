#include "tokenizer_json.hpp"

#include "model_tokenizer.hpp"

namespace clara {

namespace {

constexpr size_t kMaxDepth = 64;

using json = nlohmann::json;

// Builds TokenizerJson from the parser's events: a DOM (a stack of the open
// containers) except inside model.vocab and model.merges.
class Reader : public nlohmann::json_sax<json> {
public:
    explicit Reader(TokenizerJson &out) : out_(out) {}

    bool null() override { return scalar(json(nullptr)); }
    bool boolean(bool v) override { return scalar(json(v)); }
    bool number_integer(number_integer_t v) override { return scalar(json(v)); }
    bool number_unsigned(number_unsigned_t v) override {
        if (section_ == Section::kVocab) {
            if (v >= (uint64_t(1) << 31)) bad_vocab_id();
            out_.vocab.push_back(TokenizerJson::VocabEntry{add(key_), static_cast<uint32_t>(v)});
            return true;
        }
        return scalar(json(v));
    }
    bool number_float(number_float_t v, const string_t &) override { return scalar(json(v)); }
    bool string(string_t &v) override {
        if (section_ == Section::kMerges) {
            const size_t sp = v.find(' ', 1);
            if (sp == std::string::npos) throw TokenizerError("tokenizer.json: merge \"" + v + "\" has no space");
            const std::string_view m(v);
            out_.merges.push_back(TokenizerJson::Merge{add(m.substr(0, sp)), add(m.substr(sp + 1))});
            return true;
        }
        if (section_ == Section::kMergePair) {
            pair_.push_back(std::move(v));
            return true;
        }
        return scalar(json(std::move(v)));
    }
    bool binary(binary_t &) override { return scalar(json(nullptr)); }  // never in JSON text

    bool key(string_t &k) override {
        key_ = std::move(k);
        return true;
    }

    bool start_object(std::size_t) override {
        if (section_ != Section::kNone) {
            if (section_ == Section::kVocab) bad_vocab_id();
            bad_merge();
        }
        if (at_model_key("vocab")) {
            section_ = Section::kVocab;
            out_.has_vocab = true;
            slot() = json::object();  // model.vocab stays, empty
            return true;
        }
        return open(json::object());
    }
    bool end_object() override {
        if (section_ == Section::kVocab) {
            section_ = Section::kNone;
            return true;
        }
        return close();
    }
    bool start_array(std::size_t) override {
        if (section_ == Section::kMerges) {
            section_ = Section::kMergePair;
            pair_.clear();
            return true;
        }
        if (section_ != Section::kNone) {
            if (section_ == Section::kVocab) bad_vocab_id();
            bad_merge();
        }
        if (at_model_key("merges")) {
            section_ = Section::kMerges;
            out_.has_merges = true;
            slot() = json::array();  // model.merges stays, empty
            return true;
        }
        return open(json::array());
    }
    bool end_array() override {
        if (section_ == Section::kMergePair) {
            if (pair_.size() != 2) bad_merge();
            out_.merges.push_back(TokenizerJson::Merge{add(pair_[0]), add(pair_[1])});
            section_ = Section::kMerges;
            return true;
        }
        if (section_ == Section::kMerges) {
            section_ = Section::kNone;
            return true;
        }
        return close();
    }

    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &e) override {
        throw TokenizerError(std::string("tokenizer.json is not valid JSON: ") + e.what());
    }

private:
    enum class Section { kNone, kVocab, kMerges, kMergePair };

    TokenizerJson::Text add(std::string_view s) {
        if (out_.strings.size() + s.size() > UINT32_MAX)
            throw TokenizerError("tokenizer.json: more than 4 GB of vocabulary and merges");
        return out_.add(s);
    }
    [[noreturn]] static void bad_vocab_id() {
        throw TokenizerError("tokenizer.json: a vocab id is not a number below 2^31");
    }
    [[noreturn]] static void bad_merge() {
        throw TokenizerError("tokenizer.json: a merge is neither \"a b\" nor [a, b]");
    }

    // The next value's place: the root, the pending key of the open
    // object, or a new element of the open array.
    json &slot() {
        if (open_.empty()) return out_.doc;
        json &top = *open_.back();
        if (top.is_object()) return top[key_];
        top.push_back(nullptr);
        return top.back();
    }
    bool scalar(json v) {
        if (section_ == Section::kVocab) bad_vocab_id();
        if (section_ != Section::kNone) bad_merge();
        slot() = std::move(v);
        return true;
    }
    // model.<name>: the key about to open a container in the root's "model" object.
    bool at_model_key(const char *name) const {
        return open_.size() == 2 && open_[0]->is_object() && open_[1]->is_object() && model_open_ && key_ == name;
    }
    bool open(json container) {
        if (open_.size() >= kMaxDepth)
            throw TokenizerError("tokenizer.json nests deeper than " + std::to_string(kMaxDepth) + " levels");
        const bool model = open_.size() == 1 && open_[0]->is_object() && key_ == "model" && container.is_object();
        json &s = slot();
        s = std::move(container);
        open_.push_back(&s);
        if (model) model_open_ = true;
        return true;
    }
    bool close() {
        if (open_.size() == 2) model_open_ = false;  // whichever child of the root closes
        open_.pop_back();
        return true;
    }

    TokenizerJson &out_;
    // The open containers, root first. An array's elements never move while
    // one of them is open (only the innermost container grows).
    std::vector<json *> open_;
    bool model_open_ = false;  // open_[1] is the root's "model" object
    std::string key_;
    Section section_ = Section::kNone;
    std::vector<std::string> pair_;  // the strings of a [a, b] merge
};

}  // namespace

void read_tokenizer_json(std::string_view file, TokenizerJson &out) {
    Reader reader(out);
    nlohmann::json::sax_parse(file.begin(), file.end(), &reader);
}

}  // namespace clara
