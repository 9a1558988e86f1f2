// Which server a subcommand connects to, as psql users say it: --dsn (else
// $CLARA_DSN) and -h/-p/-U/-d. Pure C++: the libpq keyword list is built
// here and unit-tested; client/connection.cpp hands it to PQconnectdbParams.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace clara::cli {

struct ConnectionTarget {
    std::string dsn;  // --dsn; "" when not given ($CLARA_DSN is read then)
    // -h/--host, -p/--port, -U/--username, -d/--dbname; "" when not given.
    std::string host, port, user, dbname;
};

// Like libpq: a string with '=' or a postgres:// or postgresql:// prefix is
// a connection string, anything else a database name.
bool is_connection_string(const std::string &s);

// The connection string in effect: --dsn, else -d when it is a connection
// string (psql's `-d "host=db dbname=x"`), else $CLARA_DSN (clara_dsn_env,
// nullptr when unset), else "" (libpq's PG* environment alone). `from` names
// where it came from, for error messages. Throws std::invalid_argument when
// --dsn and a connection-string -d are both given.
std::string effective_dsn(const ConnectionTarget &target, const char *clara_dsn_env, std::string &from);

// The keywords and values for PQconnectdbParams(..., expand_dbname = 1), in
// order. libpq reads them first to last and the last non-empty value of a
// keyword wins; the first dbname is expanded when it is a connection string.
// So: defaults the DSN may change (fallback_application_name,
// connect_timeout unless PGCONNECT_TIMEOUT is set) come before the DSN; the
// explicit flags come after it and override its fields, as a flag on the
// command line is more specific than $CLARA_DSN; client_encoding UTF8
// comes last (the export must be UTF-8 whatever the locale). A later plain
// dbname (-d) is a database name, never expanded again.
std::vector<std::pair<std::string, std::string>> connection_parameters(const ConnectionTarget &target,
                                                                       const std::string &dsn,
                                                                       const char *application_name,
                                                                       bool pgconnect_timeout_set);

}  // namespace clara::cli
