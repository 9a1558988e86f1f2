#include "connection_pool.hpp"

#include <poll.h>

namespace clara::cli {

namespace {

// An idle connection the server closed meanwhile (restart, idle timeout,
// pg_terminate_backend) has its EOF waiting on the socket: notice it before
// handing the connection out.
bool still_usable(PGconn *conn) {
    if (PQstatus(conn) != CONNECTION_OK) return false;
    pollfd pfd{PQsocket(conn), POLLIN, 0};
    if (poll(&pfd, 1, 0) > 0 && PQconsumeInput(conn) == 0) return false;
    return PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE;
}

// A connection given back inside a transaction (a failed statement) is
// rolled back; one still busy with a statement is not worth waiting for.
bool back_to_idle(PGconn *conn) {
    switch (PQtransactionStatus(conn)) {
        case PQTRANS_IDLE: return true;
        case PQTRANS_INTRANS:
        case PQTRANS_INERROR: {
            Result r(PQexec(conn, "ROLLBACK"));
            return PQresultStatus(r.get()) == PGRES_COMMAND_OK && PQtransactionStatus(conn) == PQTRANS_IDLE;
        }
        default: return false;
    }
}

}  // namespace

ConnectionPool::ConnectionPool(ConnectionTarget target, size_t size, const char *application_name)
    : target_(std::move(target)), size_(size), application_name_(application_name) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(Lease &&other) noexcept
    : pool_(other.pool_), slot_(std::move(other.slot_)), discard_(other.discard_) {}

ConnectionPool::Lease::~Lease() {
    if (slot_) pool_->give_back(std::move(slot_), discard_);
}

size_t ConnectionPool::waiting() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return waiting_;
}

size_t ConnectionPool::in_use() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return open_ - idle_.size();
}

ConnectionPool::Lease ConnectionPool::acquire(std::chrono::milliseconds wait) {
    for (;;) {
        std::unique_ptr<Slot> slot;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            auto free = [&] { return !idle_.empty() || open_ < size_; };
            bool got = free();
            if (!got) {
                ++waiting_;
                got = available_.wait_for(lock, wait, free);
                --waiting_;
            }
            if (!got) throw PoolExhausted("all " + std::to_string(size_) + " database connections are busy");
            if (!idle_.empty()) {
                slot = std::move(idle_.back());
                idle_.pop_back();
            } else {
                ++open_;  // reserved; opened below without holding the lock
            }
        }
        if (slot) {
            if (still_usable(slot->conn->get())) return Lease(*this, std::move(slot));
            give_back(std::move(slot), true);  // closed meanwhile: open a fresh one
            continue;
        }
        try {
            auto fresh = std::make_unique<Slot>();
            fresh->conn = std::make_unique<Connection>(target_, application_name_);
            fresh->schema = fresh->conn->clara_schema();
            return Lease(*this, std::move(fresh));
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            --open_;
            available_.notify_one();
            throw;
        }
    }
}

void ConnectionPool::give_back(std::unique_ptr<Slot> slot, bool discard) {
    if (!discard && !back_to_idle(slot->conn->get())) discard = true;
    if (discard) slot.reset();  // PQfinish outside the lock
    std::lock_guard<std::mutex> lock(mutex_);
    if (slot)
        idle_.push_back(std::move(slot));
    else
        --open_;
    available_.notify_one();
}

}  // namespace clara::cli
