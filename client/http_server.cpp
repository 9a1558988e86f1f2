#include "http_server.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <netdb.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <string_view>
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
        : fd_(fd),
          server_(server),
          read_timeout_ms_(static_cast<int>(read_timeout_sec * 1000)),
          stall_timeout_(stall_timeout) {}

    // Reads fail once the deadline has passed (timed_out() then says so),
    // however steadily single bytes arrive.
    void set_read_deadline(std::chrono::steady_clock::time_point deadline) {
        deadline_ = deadline;
        timed_out_ = false;
    }
    // A new request starts: its head has the whole kMaxHead again.
    void start_request() { head_read_ = 0; }
    void clear_read_deadline() { deadline_.reset(); }
    bool timed_out() const { return timed_out_; }

    bool is_readable() const override {
        if (buffered() > 0) return true;
        int timeout = read_timeout_ms_;
        if (deadline_) {
            timeout = std::min(timeout, millis_left(*deadline_));
            if (timeout == 0) return deadline_passed();
        }
        if (poll_one(POLLIN, timeout) > 0) return true;
        if (deadline_ && millis_left(*deadline_) == 0) return deadline_passed();
        return false;
    }
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
        if (!t_request.active) {
            // The request line and headers: at most kMaxHead bytes in all
            // (httplib limits each line, not their number).
            if (head_read_ + n > kMaxHead) return -1;
            head_read_ += n;
        }
        std::memcpy(ptr, buffer_ + begin_, n);
        begin_ += n;
        return static_cast<ssize_t>(n);
    }

    // Waits while the socket buffer is full. A client that reads slowly is
    // waited for as long as its queue keeps shrinking; one that reads
    // nothing for the stall timeout or hangs up ends the write (-1), and so
    // does a server stopping whose grace ended kHardStop ago (the handler
    // ends streams between lines; this is for a client that cannot take
    // even the rest of its last chunk).
    ssize_t write(const char *ptr, size_t size) override {
        using Clock = std::chrono::steady_clock;
        Clock::time_point progress = Clock::now();
        int queued = unsent();
        for (;;) {
            ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) return n;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
            if (server_.aborting() && Clock::now() - progress > kHardStop) return -1;
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

    bool deadline_passed() const {
        timed_out_ = true;
        if (t_request.active) t_request.read_timed_out = true;  // in the body
        return false;
    }

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

    static constexpr auto kHardStop = std::chrono::seconds(5);
    static constexpr size_t kMaxHead = 64 << 10;
    size_t head_read_ = 0;

    int fd_;
    const HttpServer &server_;
    int read_timeout_ms_;
    std::chrono::seconds stall_timeout_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    mutable bool timed_out_ = false;
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
    // cpp-httplib sets SO_REUSEPORT on Linux, which lets a second serve bind
    // the same port and silently take half of the connections (to its own
    // database). SO_REUSEADDR alone still allows a restart while old
    // connections linger in TIME_WAIT, but refuses a port in use.
    set_socket_options([](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<void *>(&yes), sizeof(yes));
    });
}

int HttpServer::bind(const std::string &host, int port) {
    int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
    if (bound < 0) return -1;
    // cpp-httplib listens with a backlog of 5: 32 clients connecting at once
    // would see SYN retries (a second each). Linux lets listen() raise it.
    ::listen(svr_sock_, SOMAXCONN);
    return bound;
}

void HttpServer::stop_after(std::chrono::seconds grace) {
    abort_at_ = (std::chrono::steady_clock::now() + grace).time_since_epoch().count();
    stopping_ = true;
    // The accept loop sees its socket fail, closes it and waits for the
    // workers; svr_sock_ keeps its value, so httplib's own "shutting down"
    // test stays false and running responses go on.
    ::shutdown(svr_sock_, SHUT_RDWR);
}

bool HttpServer::aborting() const {
    return stopping_ && std::chrono::steady_clock::now().time_since_epoch().count() >= abort_at_;
}

HttpServer::Room HttpServer::send_room() {
    Room room;
    int size = 0, queued = 0;
    socklen_t len = sizeof size;
    if (t_client_socket < 0 || ::getsockopt(t_client_socket, SOL_SOCKET, SO_SNDBUF, &size, &len) != 0 ||
        ::ioctl(t_client_socket, SIOCOUTQ, &queued) != 0)
        return room;
    // Linux reports twice the size set, half of it for its own bookkeeping.
    room.capacity = static_cast<size_t>(size) / 2;
    room.free = room.capacity > static_cast<size_t>(queued) ? room.capacity - static_cast<size_t>(queued) : 0;
    return room;
}

HttpServer::Wait HttpServer::wait_writable(int timeout_ms) {
    if (t_client_socket < 0) return Wait::client_gone;
    pollfd pfd{t_client_socket, POLLOUT | POLLRDHUP, 0};
    int r = ::poll(&pfd, 1, timeout_ms);
    if (r < 0) return errno == EINTR ? Wait::timeout : Wait::client_gone;
    if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return Wait::client_gone;
    return r > 0 ? Wait::readable : Wait::timeout;
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
        auto first_byte = std::chrono::steady_clock::now();
        stream.set_read_deadline(first_byte + request_timeout_);
        stream.start_request();
        t_request = RequestRecord{};  // "head not read yet", whatever the last request left
        bool connection_closed = false;
        ret = process_request(stream, left == 1, connection_closed, [&](httplib::Request &) {
            // Headers read: the body (read by the handler) gets as long again.
            auto now = std::chrono::steady_clock::now();
            stream.set_read_deadline(now + request_timeout_);
            t_request = RequestRecord{};
            t_request.started = now;
            t_request.active = true;
        });
        stream.clear_read_deadline();
        if (!ret && stream.timed_out() && !t_request.active) {
            // The request line or headers never completed: say so, then close.
            const std::string body = "{\"error\": \"request headers not received in time\", \"field\": null}";
            const std::string answer =
                "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                "Content-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
            stream.write(answer.data(), answer.size());
            if (on_request_timeout) {
                std::string ip;
                int port = -1;
                stream.get_remote_ip_and_port(ip, port);
                on_request_timeout(
                    ip.empty() ? "-" : ip + ":" + std::to_string(port),
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - first_byte).count());
            }
            break;
        }
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
