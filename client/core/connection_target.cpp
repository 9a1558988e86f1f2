#include "core/connection_target.hpp"

#include <stdexcept>

namespace clara::cli {

bool is_connection_string(const std::string &s) {
    return s.find('=') != std::string::npos || s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

std::string effective_dsn(const ConnectionTarget &target, const char *clara_dsn_env, std::string &from) {
    const bool dbname_is_dsn = is_connection_string(target.dbname);
    if (!target.dsn.empty() && dbname_is_dsn)
        throw std::invalid_argument("give the connection string once: --dsn or -d/--dbname, not both");
    if (!target.dsn.empty()) {
        from = "--dsn";
        return target.dsn;
    }
    if (dbname_is_dsn) {
        from = "--dbname";
        return target.dbname;
    }
    from = "CLARA_DSN";
    return clara_dsn_env != nullptr ? clara_dsn_env : "";
}

std::vector<std::pair<std::string, std::string>> connection_parameters(const ConnectionTarget &target,
                                                                       const std::string &dsn,
                                                                       const char *application_name,
                                                                       bool pgconnect_timeout_set) {
    std::vector<std::pair<std::string, std::string>> params;
    params.emplace_back("fallback_application_name", application_name);
    if (!pgconnect_timeout_set) params.emplace_back("connect_timeout", "10");  // libpq waits forever by default
    if (!dsn.empty()) params.emplace_back("dbname", dsn);
    if (!target.host.empty()) params.emplace_back("host", target.host);
    if (!target.port.empty()) params.emplace_back("port", target.port);
    if (!target.user.empty()) params.emplace_back("user", target.user);
    // A connection-string -d is the DSN itself (effective_dsn), not a name.
    if (!target.dbname.empty() && !is_connection_string(target.dbname)) {
        // With no DSN before it, this would be the first dbname and be
        // expanded: a name like "a=b" cannot reach here, so that is harmless.
        params.emplace_back("dbname", target.dbname);
    }
    params.emplace_back("client_encoding", "UTF8");
    return params;
}

}  // namespace clara::cli
