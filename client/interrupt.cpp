#include "interrupt.hpp"

#include <csignal>
#include <cstring>
#include <limits.h>
#include <unistd.h>

namespace clara::cli {

namespace {

volatile sig_atomic_t g_signal = 0;
// Written only with the signals blocked, so the handler never sees a
// half-updated value or a freed PGcancel.
PGcancel *volatile g_cancel = nullptr;
char g_partial_file[PATH_MAX + 16];

extern "C" void on_signal(int sig) {
    if (g_signal != 0) {
        if (g_partial_file[0] != '\0') unlink(g_partial_file);
        _exit(128 + sig);
    }
    g_signal = sig;
    PGcancel *cancel = g_cancel;
    if (cancel != nullptr) {
        char error[256];
        PQcancel(cancel, error, sizeof error);
    }
}

// Blocks SIGINT and SIGTERM for the lifetime of the object.
class BlockSignals {
public:
    BlockSignals() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, &old_);
    }
    ~BlockSignals() { sigprocmask(SIG_SETMASK, &old_, nullptr); }

private:
    sigset_t old_;
};

}  // namespace

void install_interrupt_handlers() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

int pending_signal() { return g_signal; }

void throw_if_interrupted(const char *what) {
    int sig = g_signal;
    if (sig == 0) return;
    throw Failure(sig == SIGTERM ? ExitCode::terminated : ExitCode::interrupted,
                  std::string(sig == SIGTERM ? "terminated" : "interrupted") + ": " + what);
}

CancelOnSignal::CancelOnSignal(PGconn *conn) {
    PGcancel *cancel = PQgetCancel(conn);
    BlockSignals block;
    g_cancel = cancel;
}

CancelOnSignal::~CancelOnSignal() {
    PGcancel *cancel;
    {
        BlockSignals block;
        cancel = g_cancel;
        g_cancel = nullptr;
    }
    if (cancel != nullptr) PQfreeCancel(cancel);
}

void CancelOnSignal::cancel_if_interrupted() {
    if (g_signal == 0 || resent_) return;
    resent_ = true;
    BlockSignals block;
    if (g_cancel != nullptr) {
        char error[256];
        PQcancel(g_cancel, error, sizeof error);
    }
}

void set_partial_file(const std::string &path) {
    BlockSignals block;
    if (path.size() >= sizeof g_partial_file) {
        g_partial_file[0] = '\0';  // too long to remember; the normal path still removes it
        return;
    }
    std::memcpy(g_partial_file, path.c_str(), path.size() + 1);
}

}  // namespace clara::cli
