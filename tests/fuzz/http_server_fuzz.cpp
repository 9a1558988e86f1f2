// libFuzzer target: bytes from a client, through `clara-stream serve`'s
// request handling. The input is written to one end of a socketpair (then
// half-closed) by a client thread, which reads the answer to the end; the
// other end is served on this thread by HttpServer::serve_connection, with
// serve's own routes, token check, error and exception handlers and access
// log (install_service). So every request is parsed by cpp-httplib (request
// line, headers, chunked and multipart bodies, ranges, keep-alive), then by
// our handlers. No database: the pool's connection attempt fails at once
// (an unused socket directory) and requests that get that far answer 503.
//
// Run with -close_fd_mask=2: the access log writes a line per request to
// stderr (sanitizer reports still reach libFuzzer's copy of stderr).
#include "http_server.hpp"
#include "serve.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

namespace {

// The bearer token the seeds send (tests/fuzz/corpus/http_server/).
constexpr const char *kToken = "fuzz-token";

struct Harness {
    clara::cli::ServeOptions options;
    clara::cli::HttpServer server;
    std::shared_ptr<clara::cli::Service> service;

    Harness() {
        char dir[] = "/tmp/clara-http-fuzz-XXXXXX";
        if (!mkdtemp(dir)) std::abort();
        options.token_file = std::string(dir) + "/token";
        FILE *f = std::fopen(options.token_file.c_str(), "w");
        if (!f || std::fputs(kToken, f) < 0 || std::fclose(f) != 0) std::abort();
        // A socket directory nobody listens in: connecting fails immediately.
        options.connection.dsn = std::string("host=") + dir + " port=1 connect_timeout=1";
        options.pool_size = 1;
        options.pool_wait = 0.01;
        options.max_body = 64 << 10;
        options.stall_timeout = 2;
        service = clara::cli::install_service(options, server);
        std::remove(options.token_file.c_str());
        ::rmdir(dir);
        server.set_read_timeout(1, 0);
        server.set_keep_alive_timeout(1);
        // Answers only while bound (accepting()); nothing ever connects to this port.
        if (server.bind("127.0.0.1", 0) < 0) {
            std::fprintf(stderr, "http_server fuzz: cannot bind 127.0.0.1\n");
            std::abort();
        }
    }
};

// The client: sends everything, half-closes, reads the answer to the end.
void client(int fd, const uint8_t *data, size_t size) {
    size_t sent = 0;
    while (sent < size) {
        ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the server closed early: fine, it answered already
        sent += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    char sink[16384];
    for (;;) {
        ssize_t n = ::recv(fd, sink, sizeof sink, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
    }
    ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Harness *harness = new Harness;  // lives to the end: the server's threads never start
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::abort();
    std::thread peer(client, fds[0], data, size);
    harness->server.serve_connection(fds[1]);  // closes fds[1]
    peer.join();
    return 0;
}
