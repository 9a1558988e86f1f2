// `clara-stream stats`: clara_stats() over what an export with the same
// arguments would write, as a table or JSON.
#pragma once

#include "core/connection_target.hpp"
#include "search_arguments.hpp"

#include <optional>
#include <string>
#include <vector>

namespace clara::cli {

struct StatsOptions {
    SearchArguments search;  // the export's arguments (record unused)
    bool json = false;
    ConnectionTarget connection;  // --dsn, -h, -p, -U, -d
};

// The clara_stats call for the arguments of an export, shared by the CLI
// and `serve`: every argument a bound parameter (stats_parameters's order).
std::string stats_statement(const std::string &schema);
std::vector<std::optional<std::string>> stats_parameters(const SearchArguments &s);

void run_stats(const StatsOptions &options);

}  // namespace clara::cli
