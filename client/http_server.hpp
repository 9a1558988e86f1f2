// cpp-httplib's Server (Debian's libcpp-httplib) with a connection loop of
// our own, for one reason: a handler must know its client's socket. A
// streaming export waits on two sockets at once, the database's (the next
// rows) and the client's (did it hang up?), so a client that goes away
// cancels its query within a poll interval, even while the server is still
// ranking and nothing has been written yet. cpp-httplib 0.11 hides the
// socket from handlers; its connection loop is a virtual function
// (process_and_close_socket), overridden here with the same keep-alive
// logic around the library's own request parser (process_request).
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace clara::cli {

// What one request did, for its access-log line; kept per worker thread
// (a request is served start to end by one thread).
struct RequestRecord {
    std::chrono::steady_clock::time_point started;
    bool active = false;            // headers read, not logged yet
    uint64_t rows = 0;              // documents sent
    uint64_t bytes = 0;             // response body bytes sent
    std::string outcome;            // "" for a normal end, else why it ended early
    bool streaming = false;         // a chunked body was started
    bool finished = false;          // ...and its terminating chunk was sent
    bool close_connection = false;  // part of the request body was left unread
};
RequestRecord &current_request();

class HttpServer : public httplib::Server {
public:
    HttpServer();

    // Binds host:port (port 0: any free port); returns the port, or -1.
    int bind(const std::string &host, int port);
    bool accepting() const { return svr_sock_ != INVALID_SOCKET; }

    // How long a response write may make no progress at all before the
    // client counts as gone (a slow reader is served at its own pace).
    void set_stall_timeout(std::chrono::seconds timeout) { stall_timeout_ = timeout; }
    std::chrono::seconds stall_timeout() const { return stall_timeout_; }

    enum class Wait { readable, timeout, client_gone };
    // On the worker thread of a request: waits until fd (a database socket)
    // is readable, the request's client hangs up, or timeout_ms pass.
    static Wait wait_for(int fd, int timeout_ms);

    // Test hook for the HTTP fuzz target (tests/fuzz/http_server_fuzz.cpp):
    // serves the connection on fd on the calling thread, as a worker does,
    // and closes fd. Requests are answered only while the server is bound.
    bool serve_connection(int fd) { return process_and_close_socket(fd); }

private:
    bool process_and_close_socket(socket_t sock) override;

    std::chrono::seconds stall_timeout_{60};
};

}  // namespace clara::cli
