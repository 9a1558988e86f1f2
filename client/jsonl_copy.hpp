// The export statement, shared by the CLI export and `clara-stream serve`:
// in one transaction, the arguments as bound parameters of set_config(),
// then one COPY (SELECT clara_stream_jsonl(...)) TO STDOUT whose rows are
// the training lines. Rows are read without blocking, so the caller decides
// what happens while the server computes: watch for signals, flush its
// output, notice an HTTP client that went away.
#pragma once

#include "connection.hpp"
#include "search_arguments.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace clara::cli {

class JsonlCopy {
public:
    enum class Status {
        row,       // a training line with its '\n' is in data()/size()
        waiting,   // nothing buffered: wait until socket() is readable, then call next() again
        finished,  // the COPY completed and the transaction is committed
    };

    // Runs BEGIN and the set_config() (short statements, blocking) and sends
    // the COPY. Throws Failure. With provenance, the transaction is
    // REPEATABLE READ and *provenance gets, as JSON text, what the export
    // reads: its snapshot, the WAL position, versions, the tokenizer's sha256.
    // before_copy runs in the transaction, after the provenance and before
    // the COPY is sent (the resume's checks); it may throw.
    JsonlCopy(Connection &conn, const std::string &schema, const SearchArguments &search, int batch_size,
              std::string *provenance = nullptr, const std::function<void()> &before_copy = nullptr);
    ~JsonlCopy();
    JsonlCopy(const JsonlCopy &) = delete;
    JsonlCopy &operator=(const JsonlCopy &) = delete;

    // The next step, without blocking. Throws Failure for a server error
    // (unknown filter key, cancel, ...) or a broken connection.
    Status next();
    // The row of the last Status::row, valid until the next call.
    const char *data() const { return line_; }
    size_t size() const { return static_cast<size_t>(row_size_); }

    int socket() const { return PQsocket(conn_.get()); }
    bool finished() const { return phase_ == Phase::finished; }
    // Once finished: clara_export_summary() of this export as JSON text
    // (documents ranked and written, removed duplicates, ...).
    const std::string &summary() const { return summary_; }

    // Stops a COPY that has not finished: sends a cancel request, reads and
    // drops what the server still sends until it confirms, and rolls back.
    // False when that did not complete before the deadline (the connection
    // is then in an unknown state: close it). Never throws.
    bool abandon(std::chrono::steady_clock::time_point deadline);

private:
    enum class Phase { starting, copying, finished, failed };
    void free_row();
    bool take_binary_row(int n);

    Connection &conn_;
    std::string schema_;
    std::string summary_;
    Phase phase_ = Phase::starting;
    char *row_ = nullptr;         // the message, from PQgetCopyData()
    const char *line_ = nullptr;  // the line in it
    int row_size_ = 0;
    bool header_read_ = false;  // binary COPY's header, before the first row
};

// Waits until fd is readable, or timeout_ms pass, or a signal arrives.
// Throws Failure(io) when poll fails for another reason.
void wait_readable(int fd, int timeout_ms);

}  // namespace clara::cli
