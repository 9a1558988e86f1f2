// `clara-stream exports`: the export ledger (exports recorded with
// --record), listed, or one of them dropped (--drop NAME). Row-level
// security on the server decides which exports a role sees.
#pragma once

#include "core/connection_target.hpp"

#include <optional>
#include <string>

namespace clara::cli {

struct ExportsOptions {
    std::optional<std::string> drop;  // drop this export instead of listing
    bool json = false;                // the list as JSON lines
    bool quiet = false;
    ConnectionTarget connection;  // --dsn, -h, -p, -U, -d
};

void run_exports(const ExportsOptions &options);

}  // namespace clara::cli
