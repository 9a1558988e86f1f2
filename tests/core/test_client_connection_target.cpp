// -h/-p/-U/-d against --dsn and $CLARA_DSN (client/core/connection_target):
// which connection string is in effect and the keyword order libpq sees.
#include "core/connection_target.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using clara::cli::connection_parameters;
using clara::cli::ConnectionTarget;
using clara::cli::effective_dsn;
using Params = std::vector<std::pair<std::string, std::string>>;

namespace {

// The value libpq ends up with for a keyword: the last one given (libpq
// skips empty values; connection_parameters never emits one).
std::string last(const Params &params, const std::string &key) {
    std::string value;
    for (const auto &[k, v] : params)
        if (k == key) value = v;
    return value;
}

size_t position(const Params &params, const std::string &key, size_t from = 0) {
    for (size_t i = from; i < params.size(); i++)
        if (params[i].first == key) return i;
    return params.size();
}

}  // namespace

TEST(ClientConnectionTarget, DsnFlagThenDbnameConnectionStringThenEnvironment) {
    std::string from;
    ConnectionTarget t;
    EXPECT_EQ(effective_dsn(t, nullptr, from), "");
    EXPECT_EQ(effective_dsn(t, "host=env", from), "host=env");
    EXPECT_EQ(from, "CLARA_DSN");
    t.dbname = "postgresql://db/corpus";  // psql -d URI
    EXPECT_EQ(effective_dsn(t, "host=env", from), "postgresql://db/corpus");
    EXPECT_EQ(from, "--dbname");
    t.dbname = "corpus";  // a plain name is no connection string
    EXPECT_EQ(effective_dsn(t, "host=env", from), "host=env");
    t.dsn = "host=flag";
    EXPECT_EQ(effective_dsn(t, "host=env", from), "host=flag");
    EXPECT_EQ(from, "--dsn");
    t.dbname = "host=other";
    EXPECT_THROW(effective_dsn(t, nullptr, from), std::invalid_argument);
}

TEST(ClientConnectionTarget, FlagsComeAfterTheDsnSoTheyOverrideItsFields) {
    ConnectionTarget t;
    t.host = "flaghost";
    t.port = "6543";
    t.user = "alice";
    t.dbname = "corpus";
    Params p = connection_parameters(t, "host=dsnhost port=1 user=bob dbname=other", "clara-stream", false);
    size_t dsn = position(p, "dbname");
    ASSERT_LT(dsn, p.size());
    EXPECT_EQ(p[dsn].second, "host=dsnhost port=1 user=bob dbname=other");  // the first dbname: expanded
    for (const char *key : {"host", "port", "user"}) EXPECT_GT(position(p, key), dsn) << key;
    EXPECT_LT(position(p, "dbname", dsn + 1), p.size());  // -d: a second, plain dbname
    EXPECT_EQ(last(p, "host"), "flaghost");
    EXPECT_EQ(last(p, "port"), "6543");
    EXPECT_EQ(last(p, "user"), "alice");
    EXPECT_EQ(last(p, "dbname"), "corpus");
}

TEST(ClientConnectionTarget, DefaultsComeBeforeTheDsnAndEncodingLast) {
    Params p = connection_parameters(ConnectionTarget{}, "dbname=x", "clara-stream", false);
    EXPECT_LT(position(p, "fallback_application_name"), position(p, "dbname"));
    EXPECT_LT(position(p, "connect_timeout"), position(p, "dbname"));
    EXPECT_EQ(p.back(), (std::pair<std::string, std::string>("client_encoding", "UTF8")));
    // PGCONNECT_TIMEOUT set: libpq reads it, we add no default over it.
    Params q = connection_parameters(ConnectionTarget{}, "", "clara-stream", true);
    EXPECT_EQ(position(q, "connect_timeout"), q.size());
    EXPECT_EQ(position(q, "dbname"), q.size());  // nothing given: libpq's PG* environment alone
    EXPECT_EQ(position(q, "host"), q.size());
}

TEST(ClientConnectionTarget, DbnameConnectionStringIsNotRepeatedAsAName) {
    ConnectionTarget t;
    t.dbname = "host=db dbname=corpus";
    std::string from;
    std::string dsn = effective_dsn(t, nullptr, from);
    Params p = connection_parameters(t, dsn, "clara-stream", false);
    size_t first = position(p, "dbname");
    EXPECT_EQ(p[first].second, "host=db dbname=corpus");
    EXPECT_EQ(position(p, "dbname", first + 1), p.size());
}
