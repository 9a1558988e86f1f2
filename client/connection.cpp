#include "connection.hpp"

#include "interrupt.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace clara::cli {

std::string one_line(const std::string &message) {
    std::string out;
    bool space = false;
    for (char c : message) {
        if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

std::string server_error_message(const PGresult *result, PGconn *conn) {
    const char *primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    if (primary == nullptr) return one_line(result ? PQresultErrorMessage(result) : PQerrorMessage(conn));
    std::string message = one_line(primary);
    const char *sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char *detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT);
    message += " (SQLSTATE ";
    message += sqlstate ? sqlstate : "?";
    if (detail) message += "; detail: " + one_line(detail);
    if (hint) message += "; hint: " + one_line(hint);
    message += ")";
    return message;
}

Connection::Connection(const ConnectionTarget &target, const char *application_name) {
    std::string from;
    std::string dsn;
    try {
        dsn = effective_dsn(target, std::getenv("CLARA_DSN"), from);
    } catch (const std::invalid_argument &e) {
        throw Failure(ExitCode::usage, e.what());
    }
    // A connection string is checked here (exit code usage); a plain name
    // is a database name.
    if (is_connection_string(dsn)) {
        char *error = nullptr;
        PQconninfoOption *options = PQconninfoParse(dsn.c_str(), &error);
        if (options == nullptr) {
            std::string reason = error ? one_line(error) : "out of memory";
            PQfreemem(error);
            throw Failure(ExitCode::usage, from + ": invalid connection string: " + reason);
        }
        PQconninfoFree(options);
    }
    auto params = connection_parameters(target, dsn, application_name, std::getenv("PGCONNECT_TIMEOUT") != nullptr);
    std::vector<const char *> keys, values;
    for (const auto &[key, value] : params) {
        keys.push_back(key.c_str());
        values.push_back(value.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
    if (conn_ == nullptr) throw Failure(ExitCode::connection, "cannot connect: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string message = PQerrorMessage(conn_);
        // With several hosts or addresses libpq lists every attempt: the first
        // line says what happened.
        size_t end = message.find('\n');
        std::string first = one_line(message.substr(0, end));
        PQfinish(conn_);
        conn_ = nullptr;
        throw Failure(ExitCode::connection, "cannot connect: " + first);
    }
}

Connection::~Connection() {
    if (conn_ != nullptr) PQfinish(conn_);
}

Failure Connection::failure(const PGresult *result) const {
    // Our own PQcancel after Ctrl-C comes back as "canceling statement due
    // to user request": report the signal, not a server error.
    if (int sig = pending_signal(); sig != 0)
        return Failure(sig == SIGTERM ? ExitCode::terminated : ExitCode::interrupted,
                       sig == SIGTERM ? "terminated: query cancelled" : "interrupted: query cancelled");
    if (PQstatus(conn_) == CONNECTION_BAD)
        return Failure(ExitCode::connection, "connection lost: " + one_line(PQerrorMessage(conn_)));
    ServerDiagnostics server;
    auto field = [&](int code) {
        const char *value = result ? PQresultErrorField(result, code) : nullptr;
        return value ? one_line(value) : std::string();
    };
    server.sqlstate = field(PG_DIAG_SQLSTATE);
    server.message = field(PG_DIAG_MESSAGE_PRIMARY);
    server.detail = field(PG_DIAG_MESSAGE_DETAIL);
    server.hint = field(PG_DIAG_MESSAGE_HINT);
    if (server.message.empty())
        server.message = one_line(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
    // The server ending our session (pg_terminate_backend, shutdown, crash
    // recovery: a FATAL, then the socket closes) is a lost connection, not a
    // rejected query, even when it said why first. An ERROR about another
    // connection (postgres_fdw's 08001 for its remote server) is not.
    const std::string severity = field(PG_DIAG_SEVERITY_NONLOCALIZED);
    bool lost = severity == "FATAL" || severity == "PANIC" || PQstatus(conn_) == CONNECTION_BAD;
    return Failure(lost ? ExitCode::connection : ExitCode::server, server_error_message(result, conn_),
                   std::move(server));
}

Result Connection::exec(const char *sql, ExecStatusType expected) {
    Result result(PQexec(conn_, sql));
    if (PQresultStatus(result.get()) != expected) throw failure(result.get());
    return result;
}

Result Connection::exec_params(const std::string &sql, const std::vector<std::optional<std::string>> &params) {
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const auto &p : params) values.push_back(p ? p->c_str() : nullptr);
    Result result(
        PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
    ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) throw failure(result.get());
    return result;
}

std::string Connection::clara_schema() {
    Result r = exec_params(
        "SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'clara'",
        {});
    if (PQntuples(r.get()) == 0)
        throw Failure(ExitCode::extension_missing,
                      std::string("database \"") + PQdb(conn_) +
                          "\" does not have the clara extension (run CREATE EXTENSION clara in it)");
    const char *name = PQgetvalue(r.get(), 0, 0);
    char *quoted = PQescapeIdentifier(conn_, name, std::strlen(name));
    if (quoted == nullptr) throw failure(nullptr);
    std::string schema = quoted;
    PQfreemem(quoted);
    return schema;
}

}  // namespace clara::cli
