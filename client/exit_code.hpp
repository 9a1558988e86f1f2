// The exit codes of clara-stream, in one place (docs/cli.md repeats this
// table). Scripts branch on them, so a value never changes meaning.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace clara::cli {

enum class ExitCode : int {
    ok = 0,
    internal = 1,           // a bug or an unexpected state of the client
    usage = 2,              // bad or missing command-line arguments
    connection = 3,         // the server could not be reached or refused us
    extension_missing = 4,  // connected, but CREATE EXTENSION clara was not run
    server = 5,             // the server rejected the query (SQLSTATE in the message)
    io = 6,                 // reading the input or writing the output failed
    bad_input = 7,          // load: malformed input documents (nothing loaded)
    resume_refused = 8,     // --resume: nothing to resume, other arguments, or the corpus changed
    invalid_dataset = 9,    // validate: a line breaks the dataset's one shape, or a file its manifest
    interrupted = 130,      // SIGINT (Ctrl-C): query cancelled, partial output removed
    broken_pipe = 141,      // the reader of stdout went away (`| head`): stopped quietly, like SIGPIPE
    terminated = 143,       // SIGTERM: the same as SIGINT
};

// The table `clara-stream --help` prints in its footer.
struct ExitCodeHelp {
    ExitCode code;
    const char *meaning;
};
inline constexpr ExitCodeHelp kExitCodeHelp[] = {
    {ExitCode::ok, "success"},
    {ExitCode::internal, "internal error (a bug)"},
    {ExitCode::usage, "bad command line"},
    {ExitCode::connection, "cannot connect, or the connection was lost"},
    {ExitCode::extension_missing, "the database has no clara extension"},
    {ExitCode::server, "the server rejected the query (SQLSTATE in the message)"},
    {ExitCode::io, "cannot read the input or write the output"},
    {ExitCode::bad_input, "load: malformed input documents, nothing loaded"},
    {ExitCode::resume_refused, "--resume refused: no interrupted export, other arguments, or the corpus changed"},
    {ExitCode::invalid_dataset, "validate: a line changes the dataset's keys or types (or is not JSON)"},
    {ExitCode::interrupted, "SIGINT (Ctrl-C): query cancelled, partial output removed"},
    {ExitCode::broken_pipe, "stdout closed by its reader (| head): stopped without a message"},
    {ExitCode::terminated, "SIGTERM: as for SIGINT"},
};

// What the server said about a statement it rejected (the fields of its
// ErrorResponse); `serve` turns them into an HTTP status and a JSON body.
struct ServerDiagnostics {
    std::string sqlstate;
    std::string message;  // the primary message, one line
    std::string detail;
    std::string hint;
};

// Thrown by every layer; main() prints "clara-stream: <message>" on stderr
// and exits with code.
class Failure : public std::runtime_error {
public:
    Failure(ExitCode code, const std::string &message) : std::runtime_error(message), code_(code) {}
    Failure(ExitCode code, const std::string &message, ServerDiagnostics server)
        : std::runtime_error(message), code_(code), server_(std::move(server)) {}
    ExitCode code() const { return code_; }
    // Set when the server answered with an error (code is ExitCode::server).
    const std::optional<ServerDiagnostics> &server() const { return server_; }

private:
    ExitCode code_;
    std::optional<ServerDiagnostics> server_;
};

}  // namespace clara::cli
