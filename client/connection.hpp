// libpq connection for every subcommand: which server (-h/-p/-U/-d over
// --dsn, else CLARA_DSN, over libpq's PG* environment), one-line errors
// with exit codes, and the schema the clara extension lives in.
#pragma once

#include "core/connection_target.hpp"
#include "exit_code.hpp"

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace clara::cli {

struct ResultDeleter {
    void operator()(PGresult *r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages span lines ("...failed: Connection refused\n\tIs the
// server running..."); a script reading stderr wants one.
std::string one_line(const std::string &message);

// "unknown filter key "x" (SQLSTATE 22023; hint: Valid filter keys are ...)"
std::string server_error_message(const PGresult *result, PGconn *conn);

class Connection {
public:
    // target: --dsn and -h/-p/-U/-d (core/connection_target.hpp). Throws
    // Failure: usage for an unparsable connection string, connection when
    // the server cannot be reached or refuses the login. application_name
    // unless the DSN names one.
    explicit Connection(const ConnectionTarget &target, const char *application_name = "clara-stream");
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    PGconn *get() const { return conn_; }

    // Runs one statement without parameters; throws Failure(server) unless it
    // returns `expected`.
    Result exec(const char *sql, ExecStatusType expected = PGRES_COMMAND_OK);
    // Runs one statement with text parameters (std::nullopt is NULL); throws
    // Failure(server) unless it returns PGRES_TUPLES_OK or PGRES_COMMAND_OK.
    Result exec_params(const std::string &sql, const std::vector<std::optional<std::string>> &params);

    // The clara extension's schema, quoted for use in SQL ("public").
    // Throws Failure(extension_missing) when the database does not have it.
    std::string clara_schema();

    // The failure for a result that is not what we asked for.
    Failure failure(const PGresult *result) const;

private:
    PGconn *conn_ = nullptr;
};

}  // namespace clara::cli
