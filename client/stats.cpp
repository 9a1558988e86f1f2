#include "stats.hpp"

#include "connection.hpp"
#include "export.hpp"
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

std::string stats_statement(const std::string &schema) {
    // From tokenizer on by name: clara_stream_jsonl's names, and the
    // export's (client/jsonl_copy.cpp) reading of each value.
    return "SELECT " + schema +
           ".clara_stats($1, $2::integer, $3::double precision, $4::jsonb,"
           " pg_catalog.string_to_array($5, ','), $6::jsonb,"
           " tokenizer => $7, chunk_tokens => $8::integer, chunk_overlap => $9::integer, format => $10,"
           " prompt_template => $11, text_template => $12, split => $13, split_seed => $14::bigint,"
           " token_budget => $15::bigint, dedup => $16,"
           " exclude => ARRAY(SELECT pg_catalog.jsonb_array_elements_text($17::jsonb)),"
           " exclude_held_out => $18::boolean,"
           " decontaminate => ARRAY(SELECT pg_catalog.jsonb_array_elements_text($19::jsonb)),"
           " decontaminate_mode => $20)";
}

std::vector<std::optional<std::string>> stats_parameters(const SearchArguments &s) {
    auto number = [](const auto &v) -> std::optional<std::string> {
        if (!v) return std::nullopt;
        return std::to_string(*v);
    };
    return {s.query,
            std::to_string(s.top_k),
            exact_double(s.min_quality),
            s.filters_json,
            s.search_types,
            s.weights_json,
            s.tokenizer,
            number(s.chunk_tokens),
            std::to_string(s.chunk_overlap),
            s.format,
            s.prompt_template,
            s.text_template,
            s.split,
            std::to_string(s.split_seed),
            number(s.token_budget),
            s.dedup,
            nlohmann::json(s.exclude).dump(),
            s.exclude_held_out ? "true" : "false",
            nlohmann::json(s.decontaminate).dump(),
            s.decontaminate_report ? "report" : "drop"};
}

void run_stats(const StatsOptions &opt) {
    Connection conn(opt.connection);
    std::string schema = conn.clara_schema();
    SearchArguments s = opt.search;
    s.tokenizer = resolve_tokenizer(conn, schema, s.tokenizer);
    CancelOnSignal cancel(conn.get());
    Result r = conn.exec_params(stats_statement(schema), stats_parameters(s));
    std::string text = PQgetvalue(r.get(), 0, 0);
    if (opt.json) {
        std::printf("%s\n", text.c_str());  // the server's jsonb text, unchanged
        return;
    }
    nlohmann::json stats = nlohmann::json::parse(text);
    std::printf("%-26s %10lld\n", "total_documents", stats.at("total_documents").get<long long>());
    std::printf("%-26s %10.4f\n", "avg_quality_score", stats.at("avg_quality_score").get<double>());
    std::printf("%-26s %10.4f\n", "avg_relevance_score", stats.at("avg_relevance_score").get<double>());
    std::printf("%-26s %10lld  (%s)\n", "total_tokens", stats.at("total_tokens").get<long long>(),
                stats.at("token_count").get<std::string>().c_str());
    std::printf("%-26s %10lld\n", "total_words", stats.at("total_words").get<long long>());
    std::printf("%-26s %10lld\n", "total_lines", stats.at("total_lines").get<long long>());
    std::printf("splits %30s %10s %12s\n", "documents", "lines", "tokens");
    for (const auto &[name, c] : stats.at("splits").items())
        std::printf("  %-24s %10lld %10lld %12lld\n", name.c_str(), c.at("documents").get<long long>(),
                    c.at("lines").get<long long>(), c.at("tokens").get<long long>());
    std::printf("removed (documents)\n");
    for (const auto &[reason, n] : stats.at("removed").items())
        std::printf("  %-24s %10lld\n", reason.c_str(), n.get<long long>());
    print_counts("domains", stats.at("domains"));
    print_counts("document_types", stats.at("document_types"));
}

}  // namespace clara::cli
