#include "core/http_request.hpp"

#include "core/arguments.hpp"

#include <nlohmann/json.hpp>

#include <climits>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace clara::cli {

namespace {

using nlohmann::json;

const char *type_name(const json &v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    return "an object";
}

[[noreturn]] void wrong_type(const std::string &field, const char *expected, const json &v) {
    throw RequestError(field, field + " must be " + expected + ", not " + type_name(v));
}

void reject_unknown_keys(const json &object, const std::string &prefix, std::initializer_list<const char *> allowed) {
    for (const auto &[key, value] : object.items()) {
        bool known = false;
        std::string list;
        for (const char *a : allowed) {
            known = known || key == a;
            list += list.empty() ? "" : ", ";
            list += a;
        }
        if (!known) throw RequestError(prefix + key, "unknown key \"" + key + "\" (allowed: " + list + ")");
    }
}

// JSON text as a tree, refusing what the server would only trip over
// later: nesting deeper than kMaxJsonDepth (serialising the tree recurses
// once per level, on a worker thread's stack) and an object naming a key
// twice (which value counts would be an accident of the parser). Throws
// RequestError with field; other parse errors as "malformed JSON: ...".
json parse_strict(std::string_view text, const std::string &field) {
    std::vector<std::unordered_set<std::string>> keys;  // one set per open object
    std::vector<bool> is_object;                        // per open container
    auto check = [&](int, json::parse_event_t event, json &parsed) {
        switch (event) {
            case json::parse_event_t::object_start:
            case json::parse_event_t::array_start:
                if (is_object.size() >= static_cast<size_t>(kMaxJsonDepth))
                    throw RequestError(field, (field.empty() ? std::string("the body") : field) +
                                                  " is nested deeper than " + std::to_string(kMaxJsonDepth) +
                                                  " levels");
                is_object.push_back(event == json::parse_event_t::object_start);
                if (is_object.back()) keys.emplace_back();
                break;
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                if (is_object.back()) keys.pop_back();
                is_object.pop_back();
                break;
            case json::parse_event_t::key: {
                const std::string &key = parsed.get_ref<const std::string &>();
                if (!keys.back().insert(key).second)
                    throw RequestError(field, (field.empty() ? std::string("the body") : field) + " names the key \"" +
                                                  key + "\" twice in one object");
                break;
            }
            case json::parse_event_t::value: break;
        }
        return true;
    };
    try {
        return json::parse(text.begin(), text.end(), check);
    } catch (const json::exception &e) {  // parse_error, out_of_range (a number past double's range)
        // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 7: ..."
        std::string what = e.what();
        size_t at = what.find("] ");
        throw RequestError(field, std::string(field.empty() ? "malformed JSON: " : field + " is not JSON: ") +
                                      (at == std::string::npos ? what : what.substr(at + 2)));
    }
}

// A string without NUL bytes: libpq passes parameters as C strings, so a
// NUL would silently cut the value short.
std::string text_field(const json &v, const std::string &field) {
    if (!v.is_string()) wrong_type(field, "a string", v);
    std::string s = v.get<std::string>();
    if (s.find('\0') != std::string::npos) throw RequestError(field, field + " must not contain NUL characters");
    return s;
}

int integer_field(const json &v, const std::string &field, long long low, long long high) {
    if (!v.is_number_integer()) wrong_type(field, "an integer", v);
    // Unsigned beyond LLONG_MAX reads as negative here: out of range either way.
    long long n = v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(LLONG_MAX)
                      ? LLONG_MAX
                      : v.get<long long>();
    if (n < low || n > high)
        throw RequestError(field, field + " must be between " + std::to_string(low) + " and " + std::to_string(high) +
                                      ", not " + v.dump());
    return static_cast<int>(n);
}

double quality_field(const json &v, const std::string &field) {
    if (!v.is_number()) wrong_type(field, "a number", v);
    double q = v.get<double>();
    if (!(q >= 0.0 && q <= 1.0)) throw RequestError(field, field + " must be between 0 and 1, not " + v.dump());
    return q;
}

// The search_query object (or the equivalent built from URL parameters)
// into SearchArguments; prefix is "search_query." or "".
SearchArguments parse_search_query(const json &q, const std::string &prefix, const char *query_key) {
    SearchArguments s;
    s.top_k = kDefaultTopK;
    s.min_quality = kDefaultMinQuality;
    std::string query_field = prefix + query_key;
    if (!q.contains(query_key)) throw RequestError(query_field, query_field + " is required");
    s.query = text_field(q.at(query_key), query_field);
    if (s.query.find_first_not_of(" \t\r\n") == std::string::npos)
        throw RequestError(query_field, query_field + " must not be empty");
    if (auto it = q.find("top_k"); it != q.end() && !it->is_null())
        s.top_k = integer_field(*it, prefix + "top_k", 1, INT_MAX);
    if (auto it = q.find("min_quality_score"); it != q.end() && !it->is_null())
        s.min_quality = quality_field(*it, prefix + "min_quality_score");
    if (auto it = q.find("filters"); it != q.end() && !it->is_null()) {
        if (!it->is_object()) wrong_type(prefix + "filters", "an object", *it);
        s.filters_json = it->dump();
    }
    if (auto it = q.find("search_types"); it != q.end() && !it->is_null()) {
        std::string field = prefix + "search_types";
        if (!it->is_array()) wrong_type(field, "an array of strings", *it);
        std::string list;
        for (const json &t : *it) {
            std::string name = text_field(t, field);
            // The server gets them as one comma list (string_to_array).
            if (name.find(',') != std::string::npos) throw RequestError(field, field + " names must not contain ','");
            list += list.empty() ? "" : ",";
            list += name;
        }
        if (it->empty()) throw RequestError(field, field + " must not be empty (omit it for the server's default)");
        try {
            s.search_types = normalize_search_types(list);
        } catch (const ArgumentError &e) {
            throw RequestError(field, field + ": empty or repeated search type");
        }
    }
    if (auto it = q.find("weights"); it != q.end() && !it->is_null()) {
        if (!it->is_object()) wrong_type(prefix + "weights", "an object", *it);
        s.weights_json = it->dump();
    }
    return s;
}

// The "training" object: the same names as clara_stream_jsonl's arguments
// and the Python package's TrainingOptions; values are checked by the server.
void parse_training(const json &t, SearchArguments &s) {
    if (!t.is_object()) wrong_type("training", "an object", t);
    reject_unknown_keys(t, "training.",
                        {"tokenizer", "chunk_tokens", "chunk_overlap", "format", "prompt_template", "text_template",
                         "split", "split_seed", "token_budget", "dedup", "record", "exclude", "exclude_held_out",
                         "decontaminate", "decontaminate_mode"});
    auto text = [&](const char *key) -> std::optional<std::string> {
        auto it = t.find(key);
        if (it == t.end() || it->is_null()) return std::nullopt;
        return text_field(*it, std::string("training.") + key);
    };
    auto number = [&](const char *key, long long low, long long high) -> std::optional<long long> {
        auto it = t.find(key);
        if (it == t.end() || it->is_null()) return std::nullopt;
        std::string field = std::string("training.") + key;
        if (!it->is_number_integer()) wrong_type(field, "an integer", *it);
        long long n = it->is_number_unsigned() ? static_cast<long long>(std::min<unsigned long long>(
                                                     it->get<unsigned long long>(), LLONG_MAX))
                                               : it->get<long long>();
        if (n < low || n > high)
            throw RequestError(field, field + " must be between " + std::to_string(low) + " and " +
                                          std::to_string(high) + ", not " + it->dump());
        return n;
    };
    s.tokenizer = text("tokenizer");
    if (auto n = number("chunk_tokens", 1, INT_MAX)) s.chunk_tokens = static_cast<int>(*n);
    if (auto n = number("chunk_overlap", 0, INT_MAX)) s.chunk_overlap = static_cast<int>(*n);
    if (auto f = text("format")) s.format = *f;
    s.prompt_template = text("prompt_template");
    s.text_template = text("text_template");
    s.split = text("split");
    if (auto n = number("split_seed", LLONG_MIN, LLONG_MAX)) s.split_seed = *n;
    if (auto n = number("token_budget", 1, LLONG_MAX)) s.token_budget = *n;
    // Checked here as well as by the server, like the CLI's --dedup: a
    // misspelt mode is the caller's mistake, reported before any ranking.
    if (auto d = text("dedup")) {
        if (*d != "exact" && *d != "near" && *d != "none")
            throw RequestError("training.dedup",
                               "training.dedup must be \"exact\", \"near\" or \"none\", not " + json(*d).dump());
        s.dedup = *d;
    }
    // The export ledger (docs/training.md#export-ledger): names checked by the server.
    s.record = text("record");
    if (s.record && s.record->empty())
        throw RequestError("training.record", "training.record must be a non-empty name");
    if (auto it = t.find("exclude"); it != t.end() && !it->is_null()) {
        if (!it->is_array()) wrong_type("training.exclude", "an array of strings", *it);
        for (const json &e : *it) s.exclude.push_back(text_field(e, "training.exclude"));
    }
    if (auto it = t.find("exclude_held_out"); it != t.end() && !it->is_null()) {
        if (!it->is_boolean()) wrong_type("training.exclude_held_out", "a boolean", *it);
        s.exclude_held_out = it->get<bool>();
    }
    // decontaminate: the names of registered evaluation sets (the server
    // says which one is unknown); decontaminate_mode: drop or report.
    if (auto it = t.find("decontaminate"); it != t.end() && !it->is_null()) {
        if (!it->is_array()) wrong_type("training.decontaminate", "an array of set names", *it);
        for (const json &name : *it) {
            if (!name.is_string() || name.get<std::string>().empty())
                wrong_type("training.decontaminate", "an array of set names", *it);
            s.decontaminate.push_back(name.get<std::string>());
        }
    }
    if (auto m = text("decontaminate_mode")) {
        if (*m != "drop" && *m != "report")
            throw RequestError("training.decontaminate_mode",
                               "training.decontaminate_mode must be \"drop\" or \"report\", not " + json(*m).dump());
        if (s.decontaminate.empty())
            throw RequestError("training.decontaminate_mode",
                               "training.decontaminate_mode needs training.decontaminate (the evaluation sets)");
        s.decontaminate_report = *m == "report";
    }
}

}  // namespace

// Offset of the first byte of body that is not part of well-formed UTF-8,
// or npos.
static size_t invalid_utf8_at(std::string_view body) {
    const auto *p = reinterpret_cast<const unsigned char *>(body.data());
    size_t i = 0, n = body.size();
    while (i < n) {
        unsigned char b = p[i];
        size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n) return i;
        uint32_t cp = len == 1 ? b : b & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
        static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
        i += len;
    }
    return std::string_view::npos;
}

DatasetRequest parse_dataset_request(std::string_view body) {
    if (size_t at = invalid_utf8_at(body); at != std::string_view::npos)
        throw RequestError("", "the body is not valid UTF-8 (byte " + std::to_string(at) + ")");
    json doc = parse_strict(body, "");
    if (!doc.is_object()) wrong_type("body", "a JSON object", doc);
    reject_unknown_keys(doc, "", {"name", "description", "search_query", "export_formats", "batch_size", "training"});

    DatasetRequest r;
    if (auto it = doc.find("name"); it != doc.end() && !it->is_null()) r.name = text_field(*it, "name");
    if (auto it = doc.find("description"); it != doc.end() && !it->is_null()) text_field(*it, "description");
    if (auto it = doc.find("export_formats"); it != doc.end() && !it->is_null()) {
        if (!it->is_array()) wrong_type("export_formats", "an array of strings", *it);
        bool jsonl = false;
        for (const json &f : *it) jsonl = jsonl || text_field(f, "export_formats") == "jsonl";
        if (!jsonl) throw RequestError("export_formats", "export_formats must include \"jsonl\" (the format served)");
    }
    if (auto it = doc.find("batch_size"); it != doc.end() && !it->is_null())
        r.batch_size = integer_field(*it, "batch_size", kMinBatchSize, kMaxBatchSize);

    auto q = doc.find("search_query");
    if (q == doc.end() || q->is_null()) throw RequestError("search_query", "search_query is required");
    if (!q->is_object()) wrong_type("search_query", "an object", *q);
    reject_unknown_keys(*q, "search_query.",
                        {"query_text", "top_k", "min_quality_score", "filters", "search_types", "weights"});
    r.search = parse_search_query(*q, "search_query.", "query_text");
    if (auto it = doc.find("training"); it != doc.end() && !it->is_null()) {
        parse_training(*it, r.search);
        r.training = true;
    }
    return r;
}

SearchArguments parse_stats_parameters(const std::vector<std::pair<std::string, std::string>> &params) {
    // URL parameters are text: turn them into the JSON search_query and
    // training would hold, then check them with the same code.
    json q = json::object();
    json training = json::object();
    std::optional<std::string> domain;
    static const char *const kText[] = {"tokenizer", "format", "prompt_template",   "text_template",
                                        "split",     "dedup",  "decontaminate_mode"};
    static const char *const kJson[] = {"chunk_tokens", "chunk_overlap", "split_seed", "token_budget",
                                        "exclude_held_out"};
    static const char *const kNames[] = {"exclude", "decontaminate"};
    auto one_of = [](const std::string &key, const auto &list) {
        for (const char *k : list)
            if (key == k) return true;
        return false;
    };
    for (const auto &param : params) {
        // Named references, not a structured binding: C++17 lambdas cannot capture those.
        const std::string &key = param.first;
        const std::string &value = param.second;
        if (q.contains(key) || training.contains(key) || (key == "domain" && domain))
            throw RequestError(key, "parameter \"" + key + "\" given twice");
        auto json_value = [&](const char *expected) {
            json v = json::parse(value, nullptr, false);
            if (v.is_discarded()) throw RequestError(key, key + " must be " + expected + " (JSON)");
            return parse_strict(value, key);  // valid JSON: now depth and duplicate keys
        };
        if (key == "query") {
            q[key] = value;
        } else if (key == "top_k") {
            json v = json::parse(value, nullptr, false);
            q[key] = v.is_discarded() ? json(value) : v;  // a string fails the integer check below
        } else if (key == "min_quality_score") {
            json v = json::parse(value, nullptr, false);
            q[key] = v.is_discarded() ? json(value) : v;
        } else if (key == "filters") {
            q[key] = json_value("an object");
        } else if (key == "weights") {
            q[key] = json_value("an object");
        } else if (key == "search_types") {
            json list = json::array();
            if (!value.empty()) {
                size_t start = 0;
                for (;;) {
                    size_t comma = value.find(',', start);
                    list.push_back(value.substr(start, comma == std::string::npos ? comma : comma - start));
                    if (comma == std::string::npos) break;
                    start = comma + 1;
                }
            }
            q[key] = list;
        } else if (key == "domain") {
            domain = value;
        } else if (one_of(key, kText)) {
            training[key] = value;
        } else if (one_of(key, kJson)) {
            json v = json::parse(value, nullptr, false);
            training[key] = v.is_discarded() ? json(value) : v;  // a string fails the type check
        } else if (one_of(key, kNames)) {
            // A JSON array of names, or one name.
            json v = json::parse(value, nullptr, false);
            training[key] = !v.is_discarded() && v.is_array() ? parse_strict(value, key) : json::array({value});
        } else {
            throw RequestError(key, "unknown parameter \"" + key +
                                        "\" (allowed: query, top_k, min_quality_score, domain, filters, "
                                        "search_types, weights, tokenizer, chunk_tokens, chunk_overlap, format, "
                                        "prompt_template, text_template, split, split_seed, token_budget, dedup, "
                                        "exclude, exclude_held_out, decontaminate, decontaminate_mode)");
        }
    }
    if (domain) {
        if (!q.contains("filters")) q["filters"] = json::object();
        if (!q["filters"].is_object()) wrong_type("filters", "an object", q["filters"]);
        if (q["filters"].contains("domain"))
            throw RequestError("domain", "domain given both as a parameter and in filters");
        q["filters"]["domain"] = *domain;
    }
    try {
        SearchArguments s = parse_search_query(q, "", "query");
        parse_training(training, s);
        return s;
    } catch (const json::type_error &) {
        // nlohmann refuses to serialise invalid UTF-8 from URL parameters.
        throw RequestError("", "parameters must be valid UTF-8");
    }
}

std::string attachment_filename(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (out.size() == 100) break;
        bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
        if (out.empty() && c == '.') continue;  // no hidden files, no ".."
        out.push_back(safe ? c : '_');
    }
    if (out.empty()) out = "dataset";
    return out + ".jsonl";
}

bool tokens_equal(std::string_view given, std::string_view expected) {
    // Every byte of the expected token is compared whatever the input; the
    // length difference is folded in instead of returning early.
    volatile unsigned char diff = given.size() != expected.size() ? 1 : 0;
    for (size_t i = 0; i < expected.size(); ++i) {
        unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
        diff = diff | static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
    }
    return diff == 0 && !expected.empty();
}

ListenAddress parse_listen_address(std::string_view text) {
    auto bad = [&]() {
        return RequestError("--listen", "--listen \"" + std::string(text) +
                                            "\": expected HOST:PORT, e.g. 127.0.0.1:45681 or [::1]:45681");
    };
    ListenAddress a;
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) throw bad();
    std::string_view host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') throw bad();
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        throw bad();  // a bare IPv6 address needs brackets
    }
    std::string port(text.substr(colon + 1));
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) throw bad();
    a.port = std::atoi(port.c_str());
    if (a.port > 65535) throw bad();
    a.host = std::string(host);
    return a;
}

int http_status_for_sqlstate(std::string_view sqlstate) {
    if (sqlstate.size() != 5) return 500;
    std::string_view cls = sqlstate.substr(0, 2);
    if (cls == "22" || cls == "0A" || cls == "54" || cls == "42") return 400;
    if (cls == "08" || cls == "40" || cls == "53" || cls == "57" || cls == "58") return 503;
    return 500;
}

std::string field_for_server_message(std::string_view message) {
    // The extension's messages name the argument first ("unknown filter key
    // \"x\"", "weight \"keyword\" must be ..."); see extension/request.cpp.
    static const std::pair<const char *, const char *> kPrefixes[] = {
        {"unknown filter key", "filters"},
        {"filter", "filters"},
        {"too many filters", "filters"},
        {"unknown search type", "search_types"},
        {"search type", "search_types"},
        {"search_types", "search_types"},
        {"unknown weight key", "weights"},
        {"weight", "weights"},
        {"query", "query_text"},
        {"top_k", "top_k"},
        {"min_quality", "min_quality_score"},
    };
    for (const auto &[prefix, field] : kPrefixes)
        if (message.rfind(prefix, 0) == 0) return std::string("search_query.") + field;
    if (message.rfind("batch_size", 0) == 0) return "batch_size";
    return "";
}

}  // namespace clara::cli
