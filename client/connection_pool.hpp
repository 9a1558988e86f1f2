// A fixed-size pool of libpq connections for `clara-stream serve`. A request
// borrows one for its whole statement (a stream holds it until the last
// byte); when all are borrowed, the next request waits a bounded time and
// then gets PoolExhausted (HTTP 503) instead of queueing without limit.
#pragma once

#include "connection.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace clara::cli {

class PoolExhausted : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ConnectionPool {
    struct Slot {
        std::unique_ptr<Connection> conn;
        std::string schema;  // where the clara extension lives, quoted
    };

public:
    // Connections are opened on demand, at most size of them.
    ConnectionPool(ConnectionTarget target, size_t size, const char *application_name);
    ~ConnectionPool();

    // A borrowed connection. Returned on destruction: kept when it is idle
    // (or can be rolled back to idle), closed otherwise.
    class Lease {
    public:
        Lease(Lease &&other) noexcept;
        Lease &operator=(Lease &&) = delete;
        Lease(const Lease &) = delete;
        ~Lease();
        Connection &connection() { return *slot_->conn; }
        const std::string &schema() const { return slot_->schema; }
        // Closes the connection instead of returning it (state unknown).
        void discard() { discard_ = true; }

    private:
        friend class ConnectionPool;
        Lease(ConnectionPool &pool, std::unique_ptr<Slot> slot) : pool_(&pool), slot_(std::move(slot)) {}
        ConnectionPool *pool_;
        std::unique_ptr<Slot> slot_;
        bool discard_ = false;
    };

    // Waits at most `wait` for a free connection: PoolExhausted after that.
    // Opening a new connection throws Failure (connection, extension_missing).
    Lease acquire(std::chrono::milliseconds wait);

    size_t size() const { return size_; }
    size_t in_use() const;
    // Requests waiting in acquire() right now (serve ends slow streams
    // early only while someone waits; see --min-rate).
    size_t waiting() const;

private:
    void give_back(std::unique_ptr<Slot> slot, bool discard);

    const ConnectionTarget target_;
    const size_t size_;
    const char *application_name_;
    mutable std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Slot>> idle_;  // most recently used last
    size_t open_ = 0;                          // idle + borrowed + being opened
    size_t waiting_ = 0;                       // callers blocked in acquire()
};

}  // namespace clara::cli
