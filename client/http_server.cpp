#include "http_server.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

namespace clara::cli {

namespace {

thread_local int t_client_socket = -1;
thread_local RequestRecord t_request;

int millis_left(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// The httplib::Stream of one client connection, kept for all its requests
// (so bytes of a pipelined next request read ahead are not lost).
class ClientStream : public httplib::Stream {
public:
    ClientStream(int fd, const HttpServer &server, time_t read_timeout_sec, std::chrono::seconds stall_timeout)
        : fd_(fd), server_(server), read_timeout_ms_(static_cast<int>(read_timeout_sec * 1000)),
          stall_timeout_(stall_timeout) {}

    bool is_readable() const override { return buffered() > 0 || poll_one(POLLIN, read_timeout_ms_) > 0; }
    bool is_writable() const override { return poll_one(POLLOUT, 0) > 0; }

    ssize_t read(char *ptr, size_t size) override {
        if (buffered() == 0) {
            if (!is_readable()) return -1;
            ssize_t n;
            do n = ::recv(fd_, buffer_, sizeof buffer_, 0);
            while (n < 0 && errno == EINTR);
            if (n <= 0) return n;
            begin_ = 0;
            end_ = static_cast<size_t>(n);
        }
        size_t n = std::min(size, buffered());
        std::memcpy(ptr, buffer_ + begin_, n);
        begin_ += n;
        return static_cast<ssize_t>(n);
    }

    // Waits while the socket buffer is full. A client that reads slowly is
    // waited for as long as its queue keeps shrinking; one that reads
    // nothing for the stall timeout, hangs up, or a server that stops ends
    // the write (-1).
    ssize_t write(const char *ptr, size_t size) override {
        using Clock = std::chrono::steady_clock;
        Clock::time_point progress = Clock::now();
        int queued = unsent();
        for (;;) {
            ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) return n;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
            if (!server_.accepting()) return -1;
            pollfd pfd{fd_, POLLOUT, 0};
            if (::poll(&pfd, 1, 200) < 0 && errno != EINTR) return -1;
            if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) return -1;
            int now_queued = unsent();
            if (now_queued < queued) progress = Clock::now();
            queued = now_queued;
            if (Clock::now() - progress > stall_timeout_) return -1;
        }
    }

    void get_remote_ip_and_port(std::string &ip, int &port) const override { address(true, ip, port); }
    void get_local_ip_and_port(std::string &ip, int &port) const override { address(false, ip, port); }
    socket_t socket() const override { return fd_; }

    // Before the next request on this connection: true when one arrives
    // within timeout_sec (false on close, timeout or server stop).
    bool wait_for_request(time_t timeout_sec) const {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_sec);
        for (;;) {
            if (buffered() > 0) return true;
            if (!server_.accepting()) return false;
            int left = millis_left(deadline);
            if (left == 0) return false;
            int r = poll_one(POLLIN, std::min(left, 100));
            if (r > 0) return true;
            if (r < 0) return false;
        }
    }

private:
    size_t buffered() const { return end_ - begin_; }

    int poll_one(short events, int timeout_ms) const {
        pollfd pfd{fd_, events, 0};
        int r;
        do r = ::poll(&pfd, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        return r;
    }

    // Bytes written but not yet acknowledged by the client.
    int unsent() const {
        int n = 0;
        return ::ioctl(fd_, SIOCOUTQ, &n) == 0 ? n : 0;
    }

    void address(bool peer, std::string &ip, int &port) const {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        int r = peer ? ::getpeername(fd_, reinterpret_cast<sockaddr *>(&addr), &len)
                     : ::getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len);
        char host[NI_MAXHOST], service[NI_MAXSERV];
        if (r != 0 || ::getnameinfo(reinterpret_cast<sockaddr *>(&addr), len, host, sizeof host, service,
                                    sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
            ip.clear();
            port = -1;
            return;
        }
        ip = host;
        port = std::atoi(service);
    }

    int fd_;
    const HttpServer &server_;
    int read_timeout_ms_;
    std::chrono::seconds stall_timeout_;
    char buffer_[4096];
    size_t begin_ = 0, end_ = 0;
};

// After a response sent without reading the whole request body: stop
// sending, then read and drop what the client still sends for a moment, so
// closing does not reset the connection before the client read the answer.
void lingering_close(int fd) {
    ::shutdown(fd, SHUT_WR);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    char sink[16384];
    size_t dropped = 0;
    while (dropped < (16u << 20)) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, millis_left(deadline)) <= 0) break;
        ssize_t n = ::recv(fd, sink, sizeof sink, 0);
        if (n <= 0) break;
        dropped += static_cast<size_t>(n);
    }
}

}  // namespace

RequestRecord &current_request() { return t_request; }

HttpServer::HttpServer() {
    set_keep_alive_max_count(100);
}

int HttpServer::bind(const std::string &host, int port) {
    int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
    if (bound < 0) return -1;
    // cpp-httplib listens with a backlog of 5: 32 clients connecting at once
    // would see SYN retries (a second each). Linux lets listen() raise it.
    ::listen(svr_sock_, SOMAXCONN);
    return bound;
}

HttpServer::Wait HttpServer::wait_for(int fd, int timeout_ms) {
    pollfd pfds[2] = {{fd, POLLIN, 0}, {t_client_socket, POLLRDHUP, 0}};
    int r = ::poll(pfds, t_client_socket >= 0 ? 2 : 1, timeout_ms);
    if (r < 0) return errno == EINTR ? Wait::timeout : Wait::client_gone;
    // A client that closed (or half-closed) its side is gone: it sent its
    // request and has nothing more to say while it waits for the answer.
    if (t_client_socket >= 0 && (pfds[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
        return Wait::client_gone;
    if (pfds[0].revents != 0) return Wait::readable;
    return Wait::timeout;
}

bool HttpServer::process_and_close_socket(socket_t sock) {
    int on = 1;
    // Each chunk is one write of up to 64 KB: send it now, not when the
    // previous one is acknowledged (Nagle would hold the first document).
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    ClientStream stream(sock, *this, read_timeout_sec_, stall_timeout_);
    t_client_socket = sock;
    bool ret = false;
    bool linger = false;
    for (size_t left = keep_alive_max_count_; left > 0 && accepting(); --left) {
        if (!stream.wait_for_request(keep_alive_timeout_sec_)) break;
        bool connection_closed = false;
        ret = process_request(stream, left == 1, connection_closed, [](httplib::Request &) {
            t_request = RequestRecord{};
            t_request.started = std::chrono::steady_clock::now();
            t_request.active = true;
        });
        linger = t_request.close_connection;
        if (!ret || connection_closed || linger) break;
    }
    t_client_socket = -1;
    if (linger) lingering_close(sock);
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ret;
}

}  // namespace clara::cli
