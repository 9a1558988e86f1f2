#include "core/arguments.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

namespace clara::cli {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_commas(std::string_view s) {
    std::vector<std::string_view> parts;
    for (;;) {
        size_t comma = s.find(',');
        parts.push_back(trim(s.substr(0, comma)));
        if (comma == std::string_view::npos) return parts;
        s.remove_prefix(comma + 1);
    }
}

// nlohmann throws on invalid UTF-8 only when serialising; say which flag.
std::string dump_object(const nlohmann::json &object, const char *flag) {
    try {
        return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    } catch (const nlohmann::json::type_error &) {
        throw ArgumentError(std::string(flag) + " values must be valid UTF-8");
    }
}

}  // namespace

std::string build_filters_json(const std::optional<std::string> &domain, const std::vector<std::string> &filter_args) {
    nlohmann::json filters = nlohmann::json::object();
    if (domain) filters["domain"] = *domain;
    for (const std::string &arg : filter_args) {
        size_t eq = arg.find('=');
        if (eq == std::string::npos || eq == 0)
            throw ArgumentError("--filter \"" + arg + "\": expected key=value, for example domain=baurecht");
        std::string key = arg.substr(0, eq);
        std::string value = arg.substr(eq + 1);
        if (filters.contains(key))
            throw ArgumentError("filter \"" + key + "\" given twice" +
                                (key == "domain" && domain ? " (--domain is --filter domain=...)" : ""));
        // allow_exceptions = false: a non-JSON value comes back "discarded".
        nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
        filters[key] = parsed.is_discarded() ? nlohmann::json(value) : std::move(parsed);
    }
    return dump_object(filters, "--filter");
}

std::string normalize_search_types(const std::string &list) {
    std::string out;
    std::set<std::string_view> seen;
    for (std::string_view name : split_commas(list)) {
        if (name.empty())
            throw ArgumentError("--search-types \"" + list + "\": empty element (expected e.g. keyword,vector,graph)");
        if (!seen.insert(name).second) throw ArgumentError("--search-types: \"" + std::string(name) + "\" given twice");
        if (!out.empty()) out.push_back(',');
        out.append(name);
    }
    return out;
}

std::string build_weights_json(const std::string &spec) {
    nlohmann::json weights = nlohmann::json::object();
    for (std::string_view item : split_commas(spec)) {
        size_t eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0)
            throw ArgumentError("--weights \"" + spec +
                                "\": expected key=number,..., for example keyword=1,vector=0.5");
        std::string key(trim(item.substr(0, eq)));
        std::string number(trim(item.substr(eq + 1)));
        char *end = nullptr;
        errno = 0;
        double w = number.empty() ? NAN : std::strtod(number.c_str(), &end);
        if (number.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(w))
            throw ArgumentError("--weights: \"" + number + "\" for \"" + key + "\" is not a number");
        if (weights.contains(key)) throw ArgumentError("--weights: \"" + key + "\" given twice");
        weights[key] = w;
    }
    return dump_object(weights, "--weights");
}

unsigned long long parse_byte_size(const std::string &text) {
    size_t i = 0;
    unsigned long long n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (n > (1ull << 50)) throw ArgumentError("size " + text + " is too large");
        n = n * 10 + static_cast<unsigned>(text[i++] - '0');
    }
    if (i == 0) throw ArgumentError("size \"" + text + "\" must start with a number (e.g. 512MB)");
    std::string unit;
    for (; i < text.size(); i++) unit.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i]))));
    if (unit.size() >= 2 && unit.compare(unit.size() - 2, 2, "IB") == 0)
        unit.erase(unit.size() - 2);
    else if (!unit.empty() && unit.back() == 'B')
        unit.pop_back();
    int shift = unit.empty() ? 0 : unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : unit == "T" ? 40 : -1;
    if (shift < 0) throw ArgumentError("size \"" + text + "\": unknown unit (use K, M, G or T, e.g. 512MB)");
    if (n == 0) throw ArgumentError("size must be at least 1 byte");
    return n << shift;
}

}  // namespace clara::cli
