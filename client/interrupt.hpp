// Ctrl-C / SIGTERM while talking to the server. The handler only does what is
// async-signal-safe: it records the signal and calls PQcancel (documented as
// safe in a signal handler), so the server stops the query and the code that
// waits for it sees an error, cleans up and exits 130 (143 for SIGTERM).
// A second signal gives up waiting: it removes the registered partial file
// and _exits at once.
#pragma once

#include "exit_code.hpp"

#include <libpq-fe.h>

#include <string>

namespace clara::cli {

// SIGINT and SIGTERM without SA_RESTART (a blocked poll/read returns EINTR);
// SIGPIPE ignored: a closed stdout is an EPIPE that ends the run quietly
// with exit 141 (ExitCode::broken_pipe), after the cleanup a signal death would skip.
void install_interrupt_handlers();

// 0, or the first SIGINT / SIGTERM received.
int pending_signal();

// Throws Failure(interrupted / terminated) when a signal has arrived.
void throw_if_interrupted(const char *what);

// While alive, a signal cancels the connection's running query.
class CancelOnSignal {
public:
    explicit CancelOnSignal(PGconn *conn);
    ~CancelOnSignal();
    // Sends the cancel request from normal context: for a signal that came
    // before the query reached the server (the handler's request found
    // nothing to cancel). Sends it once.
    void cancel_if_interrupted();
    CancelOnSignal(const CancelOnSignal &) = delete;
    CancelOnSignal &operator=(const CancelOnSignal &) = delete;

private:
    bool resent_ = false;
};

// The file a second signal removes before exiting ("" for none).
void set_partial_file(const std::string &path);

}  // namespace clara::cli
