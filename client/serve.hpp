// `clara-stream serve`: the HTTP API over the same SQL functions as the CLI.
//   POST /api/datasets/stream   the seed's body -> chunked application/x-ndjson
//   POST /api/datasets/search   the same body -> the documents as one JSON object
//   GET  /api/datasets/stats    ?query=... -> clara_stats()
//   GET  /health                database reachable, extension version
// See docs/http.md.
#pragma once

#include "core/connection_target.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace clara::cli {

struct ServeOptions {
    std::string listen = "127.0.0.1:45681";  // the seed's port
    ConnectionTarget connection;             // --dsn, -h, -p, -U, -d
    int pool_size = 8;                       // database connections: concurrent statements
    int workers = 64;                        // HTTP worker threads: concurrent connections
    double pool_wait = 5.0;                  // seconds a request waits for a connection before 503
    std::string token_file;                  // "" : no authentication
    size_t max_body = 1 << 20;               // request body limit (413 beyond)
    int stall_timeout = 60;                  // seconds a client may read nothing before it counts as gone
    int request_timeout = 10;                // seconds for a request's headers, and as long for its body (408)
    size_t min_rate = 65536;  // bytes/s below which a stream ends while others wait for a connection (0: never)
    int shutdown_grace = 10;  // seconds running requests may go on after SIGTERM
};

class HttpServer;
class Service;

// serve's request handling on server: the routes, the token check, the
// error and exception handlers, the access log, the body limit, and a pool
// that connects on demand. Nothing listens yet. run_serve uses it, and so
// does the HTTP fuzz target (tests/fuzz/http_server_fuzz.cpp), which has no
// database behind it. The server must not outlive the returned object.
std::shared_ptr<Service> install_service(const ServeOptions &options, HttpServer &server);

// Serves until SIGINT or SIGTERM. Throws Failure: usage for bad options,
// io when the address cannot be bound.
void run_serve(const ServeOptions &options);

}  // namespace clara::cli
