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

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
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
    bool read_timed_out = false;    // the body did not arrive within the request timeout
};
RequestRecord &current_request();

class HttpServer : public httplib::Server {
public:
    HttpServer();

    // Binds host:port (port 0: any free port); returns the port, or -1.
    int bind(const std::string &host, int port);
    bool accepting() const { return svr_sock_ != INVALID_SOCKET && !stopping_; }

    // Stops accepting connections now; requests already running may go on
    // for grace, then aborting() turns true (streams end between two lines).
    // listen_after_bind() returns once every running request has ended.
    // (Not httplib's stop(): that ends every chunked response at once.)
    void stop_after(std::chrono::seconds grace);
    bool aborting() const;

    // A request's line and headers must arrive within this time of its first
    // byte, its body within as long again; else 408 and the connection
    // closes (a client sending one byte a second cannot hold a worker).
    void set_request_timeout(std::chrono::seconds timeout) { request_timeout_ = timeout; }
    // Called for each connection closed that way (the access log).
    std::function<void(const std::string &remote, double ms)> on_request_timeout;

    // How long a response write may make no progress at all before the
    // client counts as gone (a slow reader is served at its own pace).
    void set_stall_timeout(std::chrono::seconds timeout) { stall_timeout_ = timeout; }
    std::chrono::seconds stall_timeout() const { return stall_timeout_; }

    enum class Wait { readable, timeout, client_gone };
    // On the worker thread of a request: waits until fd (a database socket)
    // is readable, the request's client hangs up, or timeout_ms pass.
    static Wait wait_for(int fd, int timeout_ms);

    // On the worker thread of a request: how many more bytes its client's
    // socket takes without blocking (roughly), and its send buffer size.
    struct Room {
        size_t free = 0;
        size_t capacity = 0;
    };
    static Room send_room();
    // Waits until the client's socket takes more (readable = writable
    // here), the client hangs up, or timeout_ms pass.
    static Wait wait_writable(int timeout_ms);
    // Test hook for the HTTP fuzz target (tests/fuzz/http_server_fuzz.cpp):
    // serves the connection on fd on the calling thread, as a worker does,
    // and closes fd. Requests are answered only while the server is bound.
    bool serve_connection(int fd) { return process_and_close_socket(fd); }

private:
    bool process_and_close_socket(socket_t sock) override;

    std::chrono::seconds stall_timeout_{60};
    std::chrono::seconds request_timeout_{10};
    std::atomic<bool> stopping_{false};
    std::atomic<std::chrono::steady_clock::rep> abort_at_{0};
};

}  // namespace clara::cli
