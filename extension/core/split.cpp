#include "split.hpp"

#include <cmath>
#include <cstdlib>

namespace clara {

std::string parse_split_spec(std::string_view text, SplitSpec *spec) {
    spec->parts.clear();
    double total = 0.0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        if (comma == std::string_view::npos) comma = text.size();
        std::string_view item = text.substr(pos, comma - pos);
        size_t eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) return "\"" + std::string(item) + "\" is not name=fraction";
        std::string name(item.substr(0, eq));
        bool ok = name[0] >= 'a' && name[0] <= 'z';
        for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
        if (!ok) return "split name \"" + name + "\" must be lower-case letters, digits, '_' or '-'";
        if (name == "train") return "train is the rest: name only the other splits";
        for (const auto &p : spec->parts)
            if (p.first == name) return "split \"" + name + "\" is named twice";
        std::string number(item.substr(eq + 1));
        char *end = nullptr;
        double f = number.empty() ? NAN : std::strtod(number.c_str(), &end);
        if (number.empty() || end != number.c_str() + number.size() || !(f > 0.0) || !(f < 1.0))
            return "fraction of \"" + name + "\" must be a number between 0 and 1, not \"" + number + "\"";
        total += f;
        spec->parts.emplace_back(name, f);
        pos = comma + 1;
    }
    if (!(total < 1.0)) return "the named splits take everything: their fractions must add up to less than 1";
    return std::string();
}

double split_point(int64_t seed, std::string_view document_id) {
    uint64_t h = 14695981039346656037ull;
    auto mix = [&h](unsigned char c) {
        h ^= c;
        h *= 1099511628211ull;
    };
    for (char c : std::to_string(seed)) mix(static_cast<unsigned char>(c));
    mix(':');
    for (char c : document_id) mix(static_cast<unsigned char>(c));
    h += 0x9e3779b97f4a7c15ull;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
    return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

std::string_view assign_split(const SplitSpec &spec, double point) {
    double upper = 0.0;
    for (const auto &p : spec.parts) {
        upper += p.second;
        if (point < upper) return p.first;
    }
    return "train";
}

}  // namespace clara
