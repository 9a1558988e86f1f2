#include "exports.hpp"

#include "connection.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace clara::cli {

void run_exports(const ExportsOptions &opt) {
    Connection conn(opt.connection);
    std::string schema = conn.clara_schema();
    if (opt.drop) {
        Result r = conn.exec_params("SELECT " + schema + ".clara_drop_export($1)", {*opt.drop});
        if (!opt.quiet)
            std::fprintf(stderr, "clara-stream: dropped export %s (%s documents)\n", opt.drop->c_str(),
                         PQgetvalue(r.get(), 0, 0));
        return;
    }
    Result r = conn.exec_params(
        "SELECT name, owner, pg_catalog.to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " documents, splits::text FROM " +
            schema + ".clara_list_exports()",
        {});
    const int n = PQntuples(r.get());
    if (!opt.json) std::printf("%-24s %-16s %-20s %10s  %s\n", "name", "owner", "created", "documents", "splits");
    for (int i = 0; i < n; i++) {
        const char *name = PQgetvalue(r.get(), i, 0), *owner = PQgetvalue(r.get(), i, 1),
                   *created = PQgetvalue(r.get(), i, 2), *documents = PQgetvalue(r.get(), i, 3);
        nlohmann::json splits = nlohmann::json::parse(PQgetvalue(r.get(), i, 4), nullptr, false);
        if (opt.json) {
            nlohmann::json line = {{"name", name},
                                   {"owner", owner},
                                   {"created_at", created},
                                   {"documents", std::stoll(documents)},
                                   {"splits", splits}};
            std::printf("%s\n", line.dump().c_str());
            continue;
        }
        // "train=8 validation=3"
        std::string per_split;
        if (splits.is_object())
            for (const auto &[split, count] : splits.items())
                per_split += (per_split.empty() ? "" : " ") + split + "=" + count.dump();
        std::printf("%-24s %-16s %-20s %10s  %s\n", name, owner, created, documents, per_split.c_str());
    }
}

}  // namespace clara::cli
