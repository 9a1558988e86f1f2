#include "stats.hpp"

#include "connection.hpp"
#include "interrupt.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace clara::cli {

namespace {

// A {"name": count} object as rows, largest count first.
void print_counts(const char *title, const nlohmann::json &counts) {
    std::printf("%s\n", title);
    std::vector<std::pair<std::string, long long>> rows;
    for (const auto &[name, n] : counts.items()) rows.emplace_back(name, n.get<long long>());
    std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    for (const auto &[name, n] : rows) std::printf("  %-24s %10lld\n", name.empty() ? "(none)" : name.c_str(), n);
}

}  // namespace

void run_stats(const StatsOptions &opt) {
    Connection conn(opt.connection);
    std::string schema = conn.clara_schema();
    CancelOnSignal cancel(conn.get());
    const SearchArguments &s = opt.search;
    Result r = conn.exec_params("SELECT " + schema +
                                    ".clara_stats($1, $2::integer, $3::double precision, $4::jsonb,"
                                    " pg_catalog.string_to_array($5, ','), $6::jsonb)",
                                {s.query, std::to_string(s.top_k), exact_double(s.min_quality), s.filters_json,
                                 s.search_types, s.weights_json});
    std::string text = PQgetvalue(r.get(), 0, 0);
    if (opt.json) {
        std::printf("%s\n", text.c_str());  // the server's jsonb text, unchanged
        return;
    }
    nlohmann::json stats = nlohmann::json::parse(text);
    std::printf("%-26s %10lld\n", "total_documents", stats.at("total_documents").get<long long>());
    std::printf("%-26s %10.4f\n", "avg_quality_score", stats.at("avg_quality_score").get<double>());
    std::printf("%-26s %10.4f\n", "avg_relevance_score", stats.at("avg_relevance_score").get<double>());
    std::printf("%-26s %10lld\n", "total_tokens", stats.at("total_tokens").get<long long>());
    print_counts("domains", stats.at("domains"));
    print_counts("document_types", stats.at("document_types"));
}

}  // namespace clara::cli
