// `clara-stream stats`: clara_stats() over a query, as a table or JSON.
#pragma once

#include "core/connection_target.hpp"
#include "search_arguments.hpp"

#include <string>

namespace clara::cli {

struct StatsOptions {
    SearchArguments search;
    bool json = false;
    ConnectionTarget connection;  // --dsn, -h, -p, -U, -d
};

void run_stats(const StatsOptions &options);

}  // namespace clara::cli
